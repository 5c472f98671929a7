"""What a graded file says: reward means, nulls by reason, pass@k, GRPO signal, sources.

pass@k is the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models
Trained on Code", eq. 1): per group of n graded samples with c correct (accuracy == 1),
``1 - C(n - c, k) / C(n, k)``, averaged over groups with at least k samples. Undecided samples
(null accuracy) are left out of n. A group has *no GRPO signal* when all its rewards are equal:
its group-relative advantages are all zero.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reward_server.offline.rows import extra_field, to_item


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k samples drawn from n (c correct) is correct."""
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


@dataclass
class Summary:
    rows: int
    reward_mean: float | None
    component_means: dict[str, float | None]
    nulls: dict[str, int]  # error type -> rows with a null reward
    groups: int = 0
    group_size: tuple[int, int] = (0, 0)  # smallest, largest
    pass_at: dict[int, float] = field(default_factory=dict)
    all_equal_share: float | None = None
    by_source: dict[str, tuple[int, float | None, float | None]] = field(default_factory=dict)
    rewards: list[float] = field(default_factory=list)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(out_rows: Sequence[Mapping[str, Any]], mapping: Mapping[str, str]) -> Summary:
    """Statistics of OUTPUT rows (as written by ``score``); ``mapping`` finds groups, sources."""
    rewards = [float(r["reward"]) for r in out_rows if r.get("reward") is not None]
    names = sorted({n for r in out_rows for n in (r.get("components") or {})})
    component_means = {
        name: _mean(
            [float(s) for r in out_rows if (s := (r.get("components") or {}).get(name)) is not None]
        )
        for name in names
    }
    nulls = Counter(str(r.get("error") or "unknown") for r in out_rows if r.get("reward") is None)
    summary = Summary(len(out_rows), _mean(rewards), component_means, dict(nulls), rewards=rewards)

    groups: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    sources: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in out_rows:
        key = to_item(row, mapping).get("group_id")
        groups[key if isinstance(key, (str, int)) else ("row", row.get("row_index"))].append(row)
        source = extra_field(row, "source", mapping)
        if source is not None:
            sources[str(source)].append(row)
    _group_stats(summary, list(groups.values()))
    for source, members in sorted(sources.items()):
        decided = [float(m["reward"]) for m in members if m.get("reward") is not None]
        accuracy = [
            float(a)
            for m in members
            if (a := (m.get("components") or {}).get("accuracy")) is not None
        ]
        summary.by_source[source] = (len(members), _mean(decided), _mean(accuracy))
    return summary


def _group_stats(summary: Summary, groups: list[list[Mapping[str, Any]]]) -> None:
    summary.groups = len(groups)
    sizes = [len(g) for g in groups]
    summary.group_size = (min(sizes), max(sizes)) if sizes else (0, 0)
    counts = []  # (n, c) per group, decided accuracy only
    for members in groups:
        verdicts = [
            a for m in members if (a := (m.get("components") or {}).get("accuracy")) is not None
        ]
        if verdicts:
            counts.append((len(verdicts), sum(1 for a in verdicts if a >= 1.0)))
    if counts:
        largest = max(n for n, _ in counts)
        ks = sorted({1, largest} | {2**p for p in range(1, 10) if 2**p < largest})
        for k in ks:
            eligible = [pass_at_k(n, c, k) for n, c in counts if n >= k]
            if eligible:
                summary.pass_at[k] = sum(eligible) / len(eligible)
    multi = [
        [float(m["reward"]) for m in g if m.get("reward") is not None] for g in groups if len(g) > 1
    ]
    multi = [r for r in multi if len(r) > 1]
    if multi:
        summary.all_equal_share = sum(1 for r in multi if max(r) - min(r) < 1e-9) / len(multi)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def to_markdown(summary: Summary, histogram: str | None = None) -> str:
    """The summary as markdown: what ``score`` prints and ``--report`` writes."""
    lines = [
        f"rows: {summary.rows}, decided: {len(summary.rewards)}, "
        f"mean reward: {_fmt(summary.reward_mean)}",
        "",
        "| component | mean score |",
        "| --- | --- |",
    ]
    lines += [f"| {name} | {_fmt(mean)} |" for name, mean in summary.component_means.items()]
    lines += ["", "| null reward because | rows |", "| --- | --- |"]
    lines += [f"| {kind} | {count} |" for kind, count in sorted(summary.nulls.items())] or [
        "| (none) | 0 |"
    ]
    smallest, largest = summary.group_size
    lines += ["", f"groups: {summary.groups} (size {smallest}-{largest})"]
    if summary.pass_at:
        lines.append(
            "pass@k (accuracy == 1, unbiased estimator): "
            + ", ".join(f"pass@{k} {v:.4f}" for k, v in summary.pass_at.items())
        )
    if summary.all_equal_share is not None:
        lines.append(
            f"groups with all-equal rewards (no GRPO signal): {summary.all_equal_share:.1%}"
        )
    if summary.by_source:
        lines += [
            "",
            "| source | rows | mean reward | mean accuracy |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {source} | {n} | {_fmt(reward)} | {_fmt(acc)} |"
            for source, (n, reward, acc) in summary.by_source.items()
        ]
    if histogram:
        lines += ["", f"![reward histogram]({histogram})"]
    return "\n".join(lines) + "\n"


def write_histogram(rewards: Sequence[float], path: Path) -> bool:
    """A PNG histogram of decided rewards; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, no display
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.hist(list(rewards), bins=20, color="#4c72b0")
    ax.set_xlabel("reward")
    ax.set_ylabel("rows")
    ax.set_title(f"reward histogram ({len(rewards)} decided rows)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True

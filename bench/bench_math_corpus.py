"""Math grading accuracy on the labelled corpus: plain math-verify vs the service's grader.

The corpus (``tests/data/math_corpus.jsonl``, built by ``scripts/build_math_corpus.py``) holds
R1-shaped completions with a human label, grouped by kind: extraction failures, equivalence
failures, answers that must never be rewarded, MATH-500 references written the ways models
write them, and answers from public bug reports. Graded

(a) by math-verify with its defaults: ``verify(parse(reference), parse(completion))``;
(b) by the service's grader (``MathGrader``: extraction in-process, comparison in worker
    processes), with default parameters; items that carry a ``prompt`` pass it along.

Prints, per kind, how often each agrees with the label, and the false positives (a 1 for a
row labelled 0) of each. Run: ``python bench/bench_math_corpus.py [--show-misses]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, markdown_table  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "math_corpus.jsonl"
NEVER_REWARD = (
    "tiny_huge", "units", "hedge", "no_answer", "echo", "choice_in_formula", "costly",
    "false_equation", "hidden",
)  # fmt: skip


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def _math_verify_one(reference: str, completion: str) -> float:
    from math_verify import parse, verify

    try:
        return float(verify(parse(reference), parse(completion)))
    except Exception:
        return 0.0


def grade_math_verify(rows: list[dict[str, Any]], kill_after_s: float = 20.0) -> list[float]:
    """math-verify with defaults, as its README shows: gold first, then the prediction.

    Each row runs in a killable process: some answers (power towers) hang math-verify in C
    code its own timeout cannot interrupt; a row killed after ``kill_after_s`` counts as 0.
    """
    import multiprocessing
    from concurrent.futures import TimeoutError as FutureTimeout

    from pebble import ProcessPool

    with ProcessPool(max_workers=2, context=multiprocessing.get_context("fork")) as pool:
        futures = [
            pool.schedule(
                _math_verify_one, args=(r["reference"], r["completion"]), timeout=kill_after_s
            )
            for r in rows
        ]
        rewards = []
        for future in futures:
            try:
                rewards.append(future.result())
            except (FutureTimeout, Exception):
                rewards.append(0.0)
    return rewards


def grade_service(rows: list[dict[str, Any]], workers: int = 2) -> list[float | None]:
    """The service's grader, exactly as ``POST /score`` runs it (without the HTTP layer)."""
    from reward_server.rewards.math import MathGrader
    from reward_server.schemas import Item
    from reward_server.workers import WorkerPool

    async def run() -> list[float | None]:
        pool = WorkerPool(workers)
        await pool.start()
        try:
            grader = MathGrader(pool, cache_size=10_000, default_timeout_s=5.0)
            items = [
                Item(completion=r["completion"], answer=r["reference"], prompt=r.get("prompt"))
                for r in rows
            ]
            scores = await asyncio.gather(*(grader.grade(item) for item in items))
            return [score.value for score in scores]
        finally:
            pool.close()

    return asyncio.run(run())


def per_kind(
    rows: list[dict[str, Any]], rewards: list[float | None]
) -> dict[str, tuple[int, int, int]]:
    """kind -> (rows, agreeing with the label, false positives)."""
    table: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row, reward in zip(rows, rewards, strict=True):
        given = 1 if reward == 1.0 else 0
        entry = table[row["kind"]]
        entry[0] += 1
        entry[1] += given == row["label"]
        entry[2] += given == 1 and row["label"] == 0
    return {kind: (n, ok, fp) for kind, (n, ok, fp) in table.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    rows = load_corpus()
    baseline = grade_math_verify(rows)
    served = grade_service(rows)
    base_kinds, served_kinds = per_kind(rows, baseline), per_kind(rows, served)
    table = []
    for kind in sorted(served_kinds, key=lambda k: (k.startswith("math500"), k)):
        n, ok_b, fp_b = base_kinds[kind]
        _, ok_s, fp_s = served_kinds[kind]
        mark = " (never reward)" if kind in NEVER_REWARD else ""
        table.append([kind + mark, n, f"{ok_b / n:.1%}", fp_b, f"{ok_s / n:.1%}", fp_s])
    total = len(rows)
    ok_b = sum(v[1] for v in base_kinds.values())
    ok_s = sum(v[1] for v in served_kinds.values())
    table.append(
        [
            "**all**",
            total,
            f"**{ok_b / total:.1%}**",
            sum(v[2] for v in base_kinds.values()),
            f"**{ok_s / total:.1%}**",
            sum(v[2] for v in served_kinds.values()),
        ]
    )
    header = ["kind", "rows", "math-verify", "its false +", "service", "its false +"]
    print(f"{CORPUS.relative_to(ROOT)}: {total} labelled rows")
    print(markdown_table(header, table))
    if args.show_misses:
        for row, reward in zip(rows, served, strict=True):
            if (1 if reward == 1.0 else 0) != row["label"]:
                print(json.dumps({**row, "reward": reward}, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Before/after table of the CPU demo, with standard errors, from ``grpo-train evaluate`` samples.

Each ``--samples-out`` file holds every graded sample (``prompt``, ``correct``, ``reward``...).
pass@1 of a prompt is its fraction of correct samples; the table gives the mean over prompts
and its standard error ``std(pass@1 per prompt) / sqrt(prompts)`` (samples of one prompt are
not independent, so the prompt is the unit). The gain between two evaluations of the same
prompts is paired: its standard error is that of the per-prompt differences.

    python examples/r1_addition/summary.py sft=runs/x/eval_sft.jsonl grpo=runs/x/eval_grpo.jsonl
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from collections import defaultdict
from pathlib import Path


def per_prompt(path: Path) -> dict[str, list[bool]]:
    """prompt -> correctness of each of its samples, in file order."""
    out: dict[str, list[bool]] = defaultdict(list)
    for line in path.open():
        row = json.loads(line)
        out[row["prompt"]].append(bool(row["correct"]))
    return out


def mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and its standard error (sample std / sqrt(n)); 0 error for a single value."""
    mean = statistics.fmean(values)
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return mean, se


def main(argv: list[str]) -> int:
    if not argv or any("=" not in a for a in argv):
        print(__doc__, file=sys.stderr)
        return 2
    stages = [(name, per_prompt(Path(path))) for name, path in (a.split("=", 1) for a in argv)]
    print("| stage | held-out pass@1 ± SE | pass@n | prompts × samples |")
    print("| --- | --- | --- | --- |")
    for name, groups in stages:
        p1, se = mean_se([sum(g) / len(g) for g in groups.values()])
        pn = statistics.fmean(float(any(g)) for g in groups.values())
        n = {len(g) for g in groups.values()}
        print(f"| {name} | {p1:.3f} ± {se:.3f} | {pn:.3f} | {len(groups)} × {max(n)} |")
    (first, before), (last, after) = stages[0], stages[-1]
    shared = sorted(before.keys() & after.keys())
    diffs = [sum(after[p]) / len(after[p]) - sum(before[p]) / len(before[p]) for p in shared]
    gain, se = mean_se(diffs)
    z = gain / se if se else math.inf
    print(f"gain {first} -> {last}: {gain:+.3f} ± {se:.3f} (paired over {len(shared)} "
          f"prompts, {z:.1f} standard errors)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

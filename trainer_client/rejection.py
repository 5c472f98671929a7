"""Rejection sampling: N completions per prompt from the current policy, graded by the service,
the best correct and well-formed one kept, written as SFT-ready JSONL.

A completion qualifies when its ``accuracy`` component scores 1 and, if the run asks for a
``format`` reward, its format scores 1 too (the R1 recipe keeps correct, readable answers).
Among qualifying completions the highest total reward wins, ties going to the shortest (fewest
tokens). Each output row is ``{"prompt", "completion", "reward", "components", ...}`` plus the
dataset's own columns, so it feeds ``grpo-train sft`` directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer_client.client import ScoreResult
from trainer_client.collect import Scorer
from trainer_client.evaluate import generate_and_submit
from trainer_client.rollout import RolloutBackend

REQUIRED = ("accuracy", "format")  # components that must score 1 when they are requested


@dataclass(frozen=True)
class RejectionArgs:
    """What rejection sampling adds to the shared config."""

    dataset_path: str
    output_path: str
    num_samples: int = 8
    limit: int | None = None


def qualifies(result: ScoreResult) -> bool:
    """Decided, and every requested ``accuracy``/``format`` component is exactly 1."""
    if result.reward is None:
        return False
    checked = [name for name in REQUIRED if name in result.components]
    if not checked:
        return result.reward > 0
    return all(result.component_score(name) == 1.0 for name in checked)


def best_of(
    texts: Sequence[str], lengths: Sequence[int], results: Sequence[ScoreResult]
) -> int | None:
    """Index of the qualifying completion with the highest reward, then fewest tokens.

    >>> from trainer_client.client import ScoreResult
    >>> ok = {"accuracy": {"score": 1.0}}
    >>> best_of(["a", "bb", "c"], [3, 2, 5],
    ...         [ScoreResult(0, None, 1.0, ok), ScoreResult(1, None, 1.0, ok),
    ...          ScoreResult(2, None, 0.0, {"accuracy": {"score": 0.0}})])
    1
    """
    candidates = [i for i, r in enumerate(results) if qualifies(r)]
    if not candidates:
        return None
    return min(candidates, key=lambda i: (-(results[i].reward or 0.0), lengths[i], i))


def rejection_sample(
    rows: Sequence[Mapping[str, Any]],
    backend: RolloutBackend,
    scorer: Scorer,
    encode: Callable[[Mapping[str, Any]], list[int]],
    output_path: str | Path,
    *,
    num_samples: int,
    item_fields: Sequence[str],
    max_completion_length: int,
    prompts_per_generation: int = 8,
) -> dict[str, float]:
    """Write the kept rows to ``output_path``; returns counts (prompts, kept, mean accuracy)."""
    pending = generate_and_submit(
        rows, backend, scorer, encode, num_samples=num_samples, item_fields=item_fields,
        max_completion_length=max_completion_length,
        prompts_per_generation=prompts_per_generation,
    )  # fmt: skip
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    kept = qualified = graded = 0
    with out.open("w") as f:
        for row, group, future in pending:
            results: list[ScoreResult] = future.result()
            lengths = [len(c) for c in group.completion_ids]
            graded += len(results)
            qualified += sum(qualifies(r) for r in results)
            best = best_of(group.texts, lengths, results)
            if best is None:
                continue
            kept += 1
            record = {k: v for k, v in row.items() if k != "completion"}
            record.update(
                completion=group.texts[best],
                reward=results[best].reward,
                components={name: c.get("score") for name, c in results[best].components.items()},
                completion_tokens=lengths[best],
                num_qualified=sum(qualifies(r) for r in results),
            )
            f.write(json.dumps(record) + "\n")
    return {
        "rejection/prompts": float(len(pending)),
        "rejection/kept": float(kept),
        "rejection/qualified_frac": qualified / max(1, graded),
    }

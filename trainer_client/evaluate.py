"""Held-out evaluation: pass@1 / pass@k and mean reward per component, graded by the service.

Each prompt gets ``n`` samples (or one greedy completion); the service grades them with the
run's rewards; a sample is *correct* when its ``accuracy`` component scores 1 (or, without an
``accuracy`` reward, when its reward is positive). pass@k uses the unbiased estimator of Chen et
al. 2021 ("Evaluating Large Language Models Trained on Code", eq. 1):
``pass@k = E_prompts[1 - C(n - c, k) / C(n, k)]`` with ``c`` correct out of ``n``.
The numbers go to the same ``metrics.jsonl`` as training (keys ``eval/...``) and its plot.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trainer_client.client import ScoreResult
from trainer_client.collect import Scorer
from trainer_client.data import GroupRef, reward_items
from trainer_client.rollout import RolloutBackend


@dataclass(frozen=True)
class EvalArgs:
    """What evaluation adds to the shared config."""

    dataset_path: str
    num_samples: int = 4  # n completions per prompt (1 with greedy)
    ks: tuple[int, ...] = (1,)
    limit: int | None = None  # first N prompts only


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``c`` correct of ``n`` samples (Chen et al. 2021).

    >>> pass_at_k(4, 1, 1), pass_at_k(4, 1, 4), round(pass_at_k(4, 2, 2), 4)
    (0.25, 1.0, 0.8333)
    """
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples per prompt, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def is_correct(result: ScoreResult) -> bool:
    """Accuracy 1, or a positive reward when no ``accuracy`` component was asked for."""
    accuracy = result.component_score("accuracy")
    if "accuracy" in result.components:
        return accuracy is not None and accuracy >= 1.0
    return result.reward is not None and result.reward > 0


def generate_and_submit(
    rows: Sequence[Mapping[str, Any]],
    backend: RolloutBackend,
    scorer: Scorer,
    encode: Callable[[Mapping[str, Any]], list[int]],
    *,
    num_samples: int,
    item_fields: Sequence[str],
    max_completion_length: int,
    step: int = 0,
    prompts_per_generation: int = 8,
    id_prefix: str = "",
) -> list[tuple[Mapping[str, Any], Any, Any]]:
    """Generate ``num_samples`` completions per row, a chunk of prompts at a time, and send
    each group for grading while the next chunk generates; returns (row, group, future)."""
    pending = []
    for start in range(0, len(rows), prompts_per_generation):
        chunk = list(rows[start : start + prompts_per_generation])
        groups = backend.generate([encode(r) for r in chunk], num_samples)
        for offset, (row, group) in enumerate(zip(chunk, groups, strict=True)):
            lengths = [len(c) for c in group.completion_ids]
            items = reward_items(
                row, group.texts, lengths, GroupRef(step, start + offset), item_fields,
                max_completion_length,
            )  # fmt: skip
            for item in items:
                item.id = f"{id_prefix}{item.id}"
            pending.append((row, group, scorer.submit(items)))
    return pending


def evaluate_rows(
    rows: Sequence[Mapping[str, Any]],
    backend: RolloutBackend,
    scorer: Scorer,
    encode: Callable[[Mapping[str, Any]], list[int]],
    *,
    num_samples: int,
    ks: Sequence[int],
    reward_names: Sequence[str],
    item_fields: Sequence[str],
    max_completion_length: int,
    step: int = 0,
    prompts_per_generation: int = 8,
) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """Generate, grade and summarise; returns (``eval/...`` metrics, per-sample rows)."""
    pending = generate_and_submit(
        rows, backend, scorer, encode, num_samples=num_samples, item_fields=item_fields,
        max_completion_length=max_completion_length, step=step,
        prompts_per_generation=prompts_per_generation, id_prefix="eval-",
    )  # fmt: skip
    per_k: dict[int, list[float]] = {k: [] for k in ks}
    rewards: list[float] = []
    components: dict[str, list[float]] = {name: [] for name in reward_names}
    lengths: list[int] = []
    nulls = 0
    samples = []
    for row, group, future in pending:
        results: list[ScoreResult] = future.result()
        correct = sum(is_correct(r) for r in results)
        for k in ks:
            per_k[k].append(pass_at_k(len(results), correct, k))
        for text, ids, r in zip(group.texts, group.completion_ids, results, strict=True):
            lengths.append(len(ids))
            if r.reward is None:
                nulls += 1
            else:
                rewards.append(r.reward)
            for name in reward_names:
                if (score := r.component_score(name)) is not None:
                    components[name].append(score)
            samples.append(
                {"prompt": row["prompt"], "completion": text, "reward": r.reward,
                 "correct": is_correct(r), "answer": row.get("answer")}
            )  # fmt: skip
    metrics = {f"eval/pass@{k}": _mean(v) for k, v in per_k.items()}
    metrics["eval/reward"] = _mean(rewards)
    metrics["eval/reward_null_frac"] = nulls / max(1, len(lengths))
    metrics["eval/completions/mean_length"] = _mean([float(n) for n in lengths])
    metrics["eval/num_prompts"] = float(len(pending))
    for name, scores in components.items():
        metrics[f"eval/rewards/{name}/mean"] = _mean(scores)
    return metrics, samples


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan

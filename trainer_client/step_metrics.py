"""Per-step numbers of a GRPO run: rollout statistics, update statistics, readable samples.

Names follow TRL's GRPO trainer (``reward``, ``reward_std``, ``rewards/<name>/mean``,
``frac_reward_zero_std``, ``completions/*``, ``kl``, ``entropy``, ``clip_ratio/*``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from trainer_client.collect import PendingGroup, StepRollouts


def rollout_metrics(
    generated: Sequence[PendingGroup], train: Sequence[PendingGroup], reward_names: Sequence[str]
) -> dict[str, float]:
    """TRL-named reward and length statistics over everything sampled this step."""
    results = [r for p in generated for r in p.results()]
    rewards = torch.tensor([math.nan if r.reward is None else r.reward for r in results])  # [M]
    valid = rewards[~torch.isnan(rewards)]  # [m]
    out: dict[str, float] = {
        "reward": float(valid.mean()) if valid.numel() else math.nan,
        "reward_std": float(valid.std(unbiased=False)) if valid.numel() else math.nan,
        "reward_null_frac": 1.0 - valid.numel() / max(1, rewards.numel()),
    }
    for name in reward_names:
        scores = [s for r in results if (s := r.component_score(name)) is not None]
        if scores:
            t = torch.tensor(scores)
            out[f"rewards/{name}/mean"] = float(t.mean())
            out[f"rewards/{name}/std"] = float(t.std(unbiased=False))
    zero_std = [bool(torch.nan_to_num(p.rewards(), nan=0.0).std() == 0) for p in generated]
    out["frac_reward_zero_std"] = sum(zero_std) / max(1, len(zero_std))
    lengths = torch.tensor([len(c) for p in generated for c in p.group.completion_ids]).float()
    truncated = torch.tensor([t for p in generated for t in p.group.truncated])
    out["completions/mean_length"] = float(lengths.mean())
    out["completions/min_length"] = float(lengths.min())
    out["completions/max_length"] = float(lengths.max())
    out["completions/clipped_ratio"] = float(truncated.float().mean())
    if (~truncated).any():
        out["completions/mean_terminated_length"] = float(lengths[~truncated].mean())
    out["sampling/groups_generated"] = float(len(generated))
    out["sampling/groups_trained"] = float(len(train))
    return out


def samples(rollouts: StepRollouts | None, limit: int = 1) -> list[dict[str, Any]]:
    """The first ``limit`` groups of a step as readable rows, for ``completions.jsonl``."""
    if rollouts is None:
        return []
    out = []
    for pending in rollouts.generated[:limit]:
        for text, result in zip(pending.group.texts, pending.results(), strict=True):
            error = result.error or next(
                (c.get("error") for c in result.components.values() if c.get("error")), None
            )
            out.append(
                {"id": result.id, "completion": text, "reward": result.reward, "error": error}
            )
    return out


def update_metrics(sums: dict[str, float], iterations: int) -> dict[str, float]:
    """Token-weighted means (kl, entropy, clip ratios) and per-update averages (loss, grad)."""
    tokens = max(1.0, sums.get("tokens", 0.0))
    first_pass_tokens = tokens / iterations  # entropy is measured on the first pass only
    out = {"loss": sums.get("loss", 0.0) / iterations}
    if "grad_norm" in sums:
        out["grad_norm"] = sums["grad_norm"] / iterations
    for key in ("kl", "clip_ratio/low_mean", "clip_ratio/high_mean", "clip_ratio/region_mean"):
        if key in sums:
            out[key] = sums[key] / tokens
    if "entropy" in sums:
        out["entropy"] = sums["entropy"] / first_pass_tokens
    return out

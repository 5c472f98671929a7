"""Correction for sampling with another engine than the one trained (vLLM vs the trainer).

The sampler's per-token log-probs come back with each group (``rollout.Group``); the weights
multiply the token losses in ``grpo.grpo_loss``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor

ImportanceSamplingMode = Literal[
    "token_truncate", "token_mask", "sequence_truncate", "sequence_mask"
]


def importance_weights(
    logp: Tensor,
    sampling_logp: Tensor,
    mask: Tensor,
    mode: ImportanceSamplingMode = "token_truncate",
    clip_max: float | None = 3.0,
    clip_min: float | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """Correction for sampling with a different engine than the one trained (vLLM vs trainer).

    ``w = pi_trainer(o_t) / pi_sampler(o_t) = exp(logp - sampling_logp)`` per token (or its
    product over the sequence), truncated to ``[clip_min, clip_max]`` or zeroed outside it
    (``*_mask``): truncated importance sampling (Yao et al. 2025, "Your efficient RL framework
    secretly brings you off-policy RL training"), TRL's ``vllm_importance_sampling_*`` modes.
    Tokens without a sampling log-prob (NaN) get weight 1. Returns weights [N, T] (detached)
    and sums for the mismatch metrics (``|logp - sampling_logp|`` and the weights).

    >>> w, _ = importance_weights(torch.tensor([[0.0, -1.0]]), torch.tensor([[-2.0, -1.0]]),
    ...                           torch.ones(1, 2), clip_max=3.0)
    >>> w  # e^2 = 7.39 truncated to 3; equal log-probs give 1
    tensor([[3., 1.]])
    """
    m = mask.bool()  # [N, T]
    diff = torch.nan_to_num((logp.detach() - sampling_logp) * m, nan=0.0)  # [N, T]
    sequence = mode.startswith("sequence")
    log_w = diff.sum(dim=1, keepdim=True) if sequence else diff  # [N, 1] or [N, T]
    weights = torch.exp(log_w)
    low = -math.inf if clip_min is None else clip_min
    high = math.inf if clip_max is None else clip_max
    if mode.endswith("truncate"):
        weights = weights.clamp(min=low, max=high)
    elif mode.endswith("mask"):
        weights = weights.masked_fill((weights < low) | (weights > high), 0.0)
    else:
        raise ValueError(f"unknown importance sampling mode {mode!r}")
    weights = weights.expand_as(diff)  # [N, T]
    delta = (logp.detach() - sampling_logp).abs()[m & ~torch.isnan(sampling_logp)]  # [k]
    active = weights[m]  # [k']
    stats = {
        "tokens": float(delta.numel()),
        "logp_diff_sum": float(delta.sum()) if delta.numel() else 0.0,
        "logp_diff_max": float(delta.max()) if delta.numel() else 0.0,
        "is_ratio_sum": float(active.sum()) if active.numel() else 0.0,
        "is_ratio_min": float(active.min()) if active.numel() else math.nan,
        "is_ratio_max": float(active.max()) if active.numel() else math.nan,
        "is_tokens": float(active.numel()),
    }
    return weights, stats

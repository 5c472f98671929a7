"""GRPO as pure functions on tensors: advantages, log-probs, KL, clipped surrogate, aggregation.

The algorithm, one rollout batch at a time (B prompts, G completions each, N = B * G rows)::

    rewards   [N]          from the reward service (NaN where it could not decide)
    A         [N]          = group_advantages(rewards, G)            (r - mean_g) / std_g
    logp      [N, T]       = token_logprobs(policy, ...)            log pi_theta(o_t | q, o_<t)
    old_logp  [N, T]       the same under the policy that sampled (detached)
    ratio     [N, T]       = exp(logp - old_logp)
    surrogate [N, T]       = -min(ratio * A, clip(ratio, 1 - eps_low, 1 + eps_high) * A)
    kl        [N, T]       = exp(ref - logp) - (ref - logp) - 1     (k3, unbiased, >= 0)
    loss                   = aggregate(surrogate + beta * kl, mask, loss_type, normalizer)

Every function takes tensors and returns tensors, so each can be checked on CPU with numbers
written by hand (see tests/trainer/test_grpo.py). Names and conventions follow TRL's
``GRPOConfig`` (``epsilon``, ``epsilon_high``, ``beta``, ``loss_type``, ``scale_rewards``),
except that the group std is the population std, as in the DeepSeekMath paper's worked numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Literal

import torch
from torch import Tensor

ScaleRewards = Literal["group", "batch", "none"]


def group_advantages(
    rewards: Tensor,
    group_size: int,
    scale_rewards: ScaleRewards = "group",
    eps: float = 1e-4,
    batch_std: float | None = None,
) -> Tensor:
    """Group-relative advantages; NaN rewards (undecided) are left out and get advantage 0.

    ``scale_rewards``: ``"group"`` divides by each group's std (GRPO), ``"batch"`` by the std of
    the whole batch (robust when a group's std is tiny), ``"none"`` only centres (Dr. GRPO).
    ``batch_std`` overrides the batch std (the std over every process's rewards, see
    ``update.global_reward_std``).

    >>> group_advantages(torch.tensor([1., 0., 1., 1., 0.]), group_size=5)
    tensor([ 0.8163, -1.2245,  0.8163,  0.8163, -1.2245])

    Mean 0.6, population std 0.49: (1 - 0.6) / 0.49 = 0.82 and (0 - 0.6) / 0.49 = -1.22.
    """
    if rewards.numel() % group_size:
        raise ValueError(f"{rewards.numel()} rewards do not split into groups of {group_size}")
    grouped = rewards.view(-1, group_size)  # [B, G]
    valid = ~torch.isnan(grouped)  # [B, G]
    filled = torch.where(valid, grouped, torch.zeros_like(grouped))  # [B, G]
    count = valid.sum(dim=1, keepdim=True).clamp(min=1)  # [B, 1]
    mean = filled.sum(dim=1, keepdim=True) / count  # [B, 1]
    centred = torch.where(valid, grouped - mean, torch.zeros_like(grouped))  # [B, G]
    if scale_rewards == "group":
        std = (centred.pow(2).sum(dim=1, keepdim=True) / count).sqrt()  # [B, 1]
    elif scale_rewards == "batch" and batch_std is not None:
        std = torch.tensor(float(batch_std))  # []
    elif scale_rewards == "batch":
        flat = rewards[~torch.isnan(rewards)]  # [n_valid]
        std = flat.std(unbiased=False) if flat.numel() else torch.tensor(0.0)  # []
    elif scale_rewards == "none":
        std = torch.tensor(1.0 - eps)  # [] so that std + eps == 1
    else:
        raise ValueError(f"unknown scale_rewards {scale_rewards!r}")
    return (centred / (std + eps)).reshape(-1)  # [N]


def informative_groups(rewards: Tensor, group_size: int) -> Tensor:
    """DAPO dynamic sampling: True for groups whose decided rewards are not all equal.

    A group where every answer scores the same has zero advantage everywhere, so it adds
    nothing but noise to the token mean; DAPO drops it and samples another prompt.

    >>> informative_groups(torch.tensor([1., 1., 0., 0., 1., 0., 1., float("nan")]), group_size=2)
    tensor([False, False,  True, False])
    """
    grouped = rewards.view(-1, group_size)  # [B, G]
    valid = ~torch.isnan(grouped)  # [B, G]
    high = torch.where(valid, grouped, torch.full_like(grouped, -torch.inf)).amax(dim=1)  # [B]
    low = torch.where(valid, grouped, torch.full_like(grouped, torch.inf)).amin(dim=1)  # [B]
    return (valid.sum(dim=1) >= 2) & (high > low)  # [B]


def selective_log_softmax(logits: Tensor, ids: Tensor) -> Tensor:
    """log softmax(logits)[ids] without materialising the full [.., V] log-prob tensor twice."""
    picked = logits.gather(-1, ids.unsqueeze(-1)).squeeze(-1)  # [N, T]
    return picked - torch.logsumexp(logits, dim=-1)  # [N, T]


def token_logprobs(
    model: torch.nn.Module,
    input_ids: Tensor,
    attention_mask: Tensor,
    completion_len: int,
    temperature: float = 1.0,
    with_entropy: bool = False,
    chunk_rows: int = 4,
) -> tuple[Tensor, Tensor | None]:
    """Per-token log-probs (and entropies) of the last ``completion_len`` tokens of each row.

    ``input_ids`` is prompt (left-padded) + completion (right-padded); logits are divided by the
    sampling temperature so the ratio compares the distributions that were actually sampled.
    Positions skip the left padding, as ``generate`` does, so a row's log-probs do not depend
    on how much padding its micro-batch needed.

    Memory: the model returns logits for the completion positions only (``logits_to_keep``,
    [N, T + 1, V] in the model's dtype instead of [N, P + T, V]), and the fp32 upcast, the
    log-softmax and the entropy run ``chunk_rows`` rows at a time, so the fp32 working set is
    [chunk_rows, T, V] rather than [N, T, V]. The entropy reuses each chunk's logsumexp
    (H = logsumexp(z) - sum softmax(z) * z), never a second full copy.
    """
    positions = (attention_mask.cumsum(dim=1) - 1).clamp(min=0)  # [N, L] as generate counts them
    logits = model(
        input_ids=input_ids,
        attention_mask=attention_mask,
        position_ids=positions,
        logits_to_keep=completion_len + 1,
    ).logits  # [N, T + 1, V]: positions L - T - 1 .. L - 1
    logits = logits[:, -completion_len - 1 : -1, :]  # [N, T, V] predicts the T completion tokens
    targets = input_ids[:, -completion_len:]  # [N, T]
    logps: list[Tensor] = []
    entropies: list[Tensor] = []
    for start in range(0, logits.shape[0], chunk_rows):
        z = logits[start : start + chunk_rows].float() / temperature  # [c, T, V]
        lse = torch.logsumexp(z, dim=-1)  # [c, T]
        picked = z.gather(-1, targets[start : start + chunk_rows].unsqueeze(-1)).squeeze(-1)
        logps.append(picked - lse)  # [c, T]
        if with_entropy:
            with torch.no_grad():
                probs = torch.exp(z - lse.unsqueeze(-1))  # [c, T, V]
                entropies.append(lse - (probs * z).sum(-1))  # [c, T]
    logp = torch.cat(logps)  # [N, T]
    return logp, torch.cat(entropies) if with_entropy else None  # [N, T], [N, T] | None


def k3_kl(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """Per-token KL(pi_theta || pi_ref) with Schulman's k3 estimator: e^x - x - 1, x = ref - logp.

    Non-negative, unbiased, zero when the two policies agree.

    >>> k3_kl(torch.tensor([-1.0]), torch.tensor([-2.0]))  # e^-1 + 1 - 1
    tensor([0.3679])
    """
    delta = ref_logp - logp  # [N, T]
    return torch.exp(delta) - delta - 1  # [N, T]


@dataclass(frozen=True)
class ClipStats:
    """Share of active tokens where clipping took the gradient away (TRL's clip_ratio/*)."""

    low: Tensor  # [N, T] bool: ratio < 1 - eps_low with A < 0
    high: Tensor  # [N, T] bool: ratio > 1 + eps_high with A > 0


def clipped_surrogate(
    logp: Tensor, old_logp: Tensor, advantages: Tensor, epsilon: float, epsilon_high: float
) -> tuple[Tensor, ClipStats]:
    """Per-token PPO surrogate with separate low/high clip (DAPO clip-higher); lower is better.

    >>> loss, _ = clipped_surrogate(torch.log(torch.tensor([[1.5]])), torch.zeros(1, 1),
    ...                             torch.tensor([1.0]), epsilon=0.2, epsilon_high=0.28)
    >>> loss  # ratio 1.5 clipped to 1.28 for a positive advantage
    tensor([[-1.2800]])
    """
    adv = advantages.unsqueeze(1)  # [N, 1]
    ratio = torch.exp(logp - old_logp)  # [N, T]
    clipped = torch.clamp(ratio, 1 - epsilon, 1 + epsilon_high)  # [N, T]
    loss = -torch.min(ratio * adv, clipped * adv)  # [N, T]
    stats = ClipStats(
        low=(ratio < 1 - epsilon) & (adv < 0), high=(ratio > 1 + epsilon_high) & (adv > 0)
    )
    return loss, stats


@dataclass(frozen=True)
class LossNormalizer:
    """Totals over the whole optimizer step (all micro-batches, all processes).

    Dividing each micro-batch's sum by these totals, instead of by its own size, makes the sum
    of the micro-batch losses equal the full-batch loss, so gradient accumulation is exact.
    """

    num_sequences: int
    num_tokens: int
    max_completion_length: int


def normalizer_for(masks: list[Tensor], max_completion_length: int) -> LossNormalizer:
    """Totals from the masks of every micro-batch of one optimizer step."""
    return LossNormalizer(
        num_sequences=sum(int(m.shape[0]) for m in masks),
        num_tokens=max(1, int(sum(float(m.sum()) for m in masks))),
        max_completion_length=max_completion_length,
    )


# A token loss's aggregation: (token losses already masked [N, T], mask [N, T], the step's
# totals) -> this micro-batch's share of the scalar loss []. ``loss_type`` names one of these.
Aggregation = Callable[[Tensor, Tensor, LossNormalizer], Tensor]
AGGREGATIONS: dict[str, Aggregation] = {}


def aggregation(name: str) -> Callable[[Aggregation], Aggregation]:
    """Register an aggregation under a ``loss_type`` name (the config accepts every name here)."""

    def register(fn: Aggregation) -> Aggregation:
        AGGREGATIONS[name] = fn
        return fn

    return register


@aggregation("grpo")
def sequence_mean(masked: Tensor, mask: Tensor, norm: LossNormalizer) -> Tensor:
    """Mean over each sequence's tokens, then mean over sequences (length-biased; GRPO paper)."""
    per_seq = masked.sum(dim=1) / mask.sum(dim=1).clamp(min=1)  # [N]
    return per_seq.sum() / norm.num_sequences


@aggregation("dapo")
def token_mean(masked: Tensor, mask: Tensor, norm: LossNormalizer) -> Tensor:
    """Sum over all tokens / active tokens in the whole step (DAPO's token-level mean)."""
    return masked.sum() / norm.num_tokens


@aggregation("dr_grpo")
def constant_normalizer(masked: Tensor, mask: Tensor, norm: LossNormalizer) -> Tensor:
    """Sum over all tokens / (sequences * max_completion_length), a constant (Dr. GRPO)."""
    return masked.sum() / (norm.num_sequences * norm.max_completion_length)


# A ``loss_type`` is the name of a registered aggregation; config.py checks it against
# AGGREGATIONS when it validates, so an aggregation defined anywhere in this module counts.
LossType = str


def aggregate_loss(
    per_token_loss: Tensor, mask: Tensor, loss_type: LossType, norm: LossNormalizer
) -> Tensor:
    """Reduce [N, T] token losses of one micro-batch to its share of the step's scalar loss.

    ``loss_type`` picks a registered aggregation (``AGGREGATIONS``): ``grpo``, ``dapo`` or
    ``dr_grpo``. Worked example (one micro-batch = the whole step), losses [[1, 1, 0], [4, 0, 0]]
    with masks [[1, 1, 0], [1, 0, 0]]: grpo (1 + 4) / 2 = 2.5, dapo 6 / 3 = 2,
    dr_grpo 6 / (2 * 3) = 1.
    """
    if loss_type not in AGGREGATIONS:
        raise ValueError(f"unknown loss_type {loss_type!r}")
    return AGGREGATIONS[loss_type](per_token_loss * mask, mask, norm)  # []


@dataclass(frozen=True)
class LossSettings:
    """The objective's settings, with TRL's names; ``GRPOConfig`` has fields of the same names.

    ``epsilon`` / ``epsilon_high``: the ratio is clipped to [1 - epsilon, 1 + epsilon_high]
    (None: symmetric); ``beta``: weight of the k3 KL to the reference (0 skips it);
    ``loss_type``: the aggregation (``AGGREGATIONS``).
    """

    loss_type: LossType = "dapo"
    beta: float = 0.0
    epsilon: float = 0.2
    epsilon_high: float | None = None

    @classmethod
    def of(cls, config: object) -> LossSettings:
        """Every field read by name from ``config`` (a ``GRPOConfig``): a new setting needs a
        field here and in the config, nothing in between."""
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class LossOutput:
    loss: Tensor  # [] this micro-batch's share; call backward on it
    metrics: dict[str, float]  # sums weighted by active tokens, see masked_sums


def grpo_loss(
    logp: Tensor,
    old_logp: Tensor | None,
    ref_logp: Tensor | None,
    advantages: Tensor,
    mask: Tensor,
    norm: LossNormalizer,
    settings: LossSettings = LossSettings(),
    *,
    is_weights: Tensor | None = None,
) -> LossOutput:
    """The whole per-micro-batch objective: (surrogate + beta * k3 KL) * w, aggregated.

    ``old_logp`` None means the batch is on-policy (first and only update): the ratio is 1
    with the policy gradient intact. ``ref_logp`` None (beta 0) skips the KL term.
    ``is_weights`` [N, T] (from ``importance_weights``) multiply the token losses, as TRL does,
    when the completions were sampled by another engine.
    """
    old = logp.detach() if old_logp is None else old_logp  # [N, T]
    epsilon, epsilon_high, beta = settings.epsilon, settings.epsilon_high, settings.beta
    per_token, clip = clipped_surrogate(
        logp, old, advantages, epsilon, epsilon if epsilon_high is None else epsilon_high
    )  # [N, T]
    kl = None
    if beta != 0.0:
        if ref_logp is None:
            raise ValueError("beta != 0 needs reference log-probs")
        kl = k3_kl(logp, ref_logp)  # [N, T]
        per_token = per_token + beta * kl  # [N, T]
    if is_weights is not None:
        per_token = per_token * is_weights  # [N, T]
    loss = aggregate_loss(per_token, mask, settings.loss_type, norm)
    sums = masked_sums(mask, clip, kl)
    return LossOutput(loss=loss, metrics=sums)


def masked_sums(mask: Tensor, clip: ClipStats, kl: Tensor | None) -> dict[str, float]:
    """Token-weighted sums for metrics; divide by the step's token total to get means."""
    m = mask.float()  # [N, T]
    sums = {
        "tokens": float(m.sum()),
        "clip_ratio/low_mean": float((clip.low.float() * m).sum()),
        "clip_ratio/high_mean": float((clip.high.float() * m).sum()),
        "clip_ratio/region_mean": float(((clip.low | clip.high).float() * m).sum()),
    }
    if kl is not None:
        sums["kl"] = float((kl.detach() * m).sum())
    return sums


def pad_right(rows: list[list[int]], pad_token_id: int) -> tuple[Tensor, Tensor]:
    """Token lists -> right-padded ids and mask.

    >>> pad_right([[4, 5], [6]], pad_token_id=0)
    (tensor([[4, 5],
            [6, 0]]), tensor([[1, 1],
            [1, 0]]))
    """
    width = max(1, max((len(r) for r in rows), default=0))
    ids = torch.full((len(rows), width), pad_token_id, dtype=torch.long)  # [N, T]
    mask = torch.zeros((len(rows), width), dtype=torch.long)  # [N, T]
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def pad_left(rows: list[list[int]], pad_token_id: int) -> tuple[Tensor, Tensor]:
    """Token lists -> left-padded ids and mask (prompts, so completions line up on the right)."""
    ids, mask = pad_right([list(reversed(r)) for r in rows], pad_token_id)  # [N, P]
    return ids.flip(1), mask.flip(1)  # [N, P]


__all__ = [
    "ClipStats",
    "AGGREGATIONS",
    "LossNormalizer",
    "LossOutput",
    "LossSettings",
    "aggregate_loss",
    "aggregation",
    "clipped_surrogate",
    "group_advantages",
    "grpo_loss",
    "informative_groups",
    "k3_kl",
    "normalizer_for",
    "selective_log_softmax",
    "pad_left",
    "pad_right",
    "token_logprobs",
]

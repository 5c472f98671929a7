"""From scored groups to an optimizer step: micro-batches, log-probs, advantages, backward.

The update asks for rewards as late as it can: old and reference log-probs are computed first
(they do not depend on rewards), and each micro-batch runs its forward pass before it waits for
the advantages of the groups it holds. The loss normalizer comes from the whole step, so the
gradient of the accumulated micro-batches equals the full-batch gradient.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from trainer_client.collect import PendingGroup
from trainer_client.config import GRPOConfig
from trainer_client.grpo import (
    LossNormalizer,
    LossSettings,
    ScaleRewards,
    group_advantages,
    grpo_loss,
    normalizer_for,
    pad_left,
    pad_right,
    token_logprobs,
)
from trainer_client.importance import importance_weights

if TYPE_CHECKING:
    from accelerate import Accelerator


@dataclass
class TrainerSetup:
    """What every step trains with, built once by ``train.train``."""

    cfg: GRPOConfig
    model: torch.nn.Module  # the policy as accelerate prepared it (DDP-wrapped when distributed)
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler  # stepped once per update, unwrapped
    accelerator: Accelerator
    pad_token_id: int
    ref_model: torch.nn.Module | None = None  # frozen reference; only when beta > 0


@dataclass
class MicroBatch:
    input_ids: Tensor  # [n, P + T] prompt left-padded, completion right-padded
    attention_mask: Tensor  # [n, P + T]
    loss_mask: Tensor  # [n, T] completion tokens that count in the loss
    rows: list[tuple[int, int]]  # (group index, index within the group) of each row
    old_logp: Tensor | None = None  # [n, T] policy that sampled (num_iterations > 1)
    ref_logp: Tensor | None = None  # [n, T] frozen reference (beta > 0)
    sampling_logp: Tensor | None = None  # [n, T] the sampler's own log-probs (NaN: unknown)
    is_weights: Tensor | None = None  # [n, T] importance weights, when sampling_logp is known

    @property
    def completion_len(self) -> int:
        return self.loss_mask.shape[1]


def build_micro_batches(
    pending: Sequence[PendingGroup],
    size: int,
    pad_token_id: int,
    mask_truncated: bool,
    device: torch.device | str = "cpu",
) -> list[MicroBatch]:
    """Flatten groups into rows (group-major) and cut them into micro-batches of ``size``."""
    rows = [
        ((g, j), p.group.prompt_ids, ids, trunc, _sampling_row(p.group.sampling_logprobs, j))
        for g, p in enumerate(pending)
        for j, (ids, trunc) in enumerate(
            zip(p.group.completion_ids, p.group.truncated, strict=True)
        )
    ]
    batches = []
    for start in range(0, len(rows), size):
        part = rows[start : start + size]
        prompt_ids, prompt_mask = pad_left([r[1] for r in part], pad_token_id)  # [n, P]
        comp_ids, present = pad_right([r[2] for r in part], pad_token_id)  # [n, T]
        comp_mask = present
        if mask_truncated:
            keep = torch.tensor([not r[3] for r in part], dtype=torch.long)  # [n]
            comp_mask = comp_mask * keep.unsqueeze(1)  # [n, T]
        sampling = None
        if all(r[4] is not None for r in part):
            sampling = torch.full(comp_ids.shape, float("nan"))  # [n, T]
            for i, r in enumerate(part):
                sampling[i, : len(r[4])] = torch.tensor(r[4], dtype=torch.float32)
            sampling = sampling.to(device)
        batches.append(
            MicroBatch(
                input_ids=torch.cat([prompt_ids, comp_ids], dim=1).to(device),  # [n, P + T]
                attention_mask=torch.cat([prompt_mask, present], dim=1).to(device),  # [n, P + T]
                loss_mask=comp_mask.to(device),
                rows=[r[0] for r in part],
                sampling_logp=sampling,
            )
        )
    return batches


def _sampling_row(logprobs: list[list[float]] | None, j: int) -> list[float] | None:
    return None if logprobs is None else logprobs[j]


class LazyAdvantages:
    """Advantages per group, computed when first asked for: asking waits only for those groups."""

    def __init__(
        self,
        pending: Sequence[PendingGroup],
        group_size: int,
        scale_rewards: ScaleRewards,
        batch_std: float | None = None,
    ) -> None:
        self.pending = pending
        self.group_size = group_size
        self.scale = scale_rewards
        self.batch_std = batch_std  # over all processes; None: this process's batch
        self._cache: dict[int, Tensor] = {}

    def _fill(self, groups: set[int]) -> None:
        if self.scale == "batch":  # batch std needs every reward
            groups = set(range(len(self.pending)))
        todo = sorted(groups - self._cache.keys())
        if not todo:
            return
        if self.scale == "batch":
            rewards = torch.cat([self.pending[g].rewards() for g in todo])  # [B * G]
            adv = group_advantages(
                rewards, self.group_size, "batch", batch_std=self.batch_std
            ).view(len(todo), -1)
            self._cache.update(zip(todo, adv, strict=True))
            return
        for g in todo:
            self._cache[g] = group_advantages(
                self.pending[g].rewards(), self.group_size, self.scale
            )

    def rows(self, rows: Sequence[tuple[int, int]]) -> Tensor:
        """[n] advantages of the given (group, index-in-group) rows; waits for those groups only."""
        self._fill({g for g, _ in rows})
        return torch.stack([self._cache[g][j] for g, j in rows])  # [n]


@torch.no_grad()
def fill_logprobs(
    model: torch.nn.Module, batches: Sequence[MicroBatch], temperature: float, attr: str
) -> None:
    """Store no-grad log-probs under ``attr`` (``old_logp`` or ``ref_logp``) on each batch."""
    was_training = model.training
    model.eval()
    for mb in batches:
        logp, _ = token_logprobs(
            model, mb.input_ids, mb.attention_mask, mb.completion_len, temperature
        )  # [n, T]
        setattr(mb, attr, logp)
    model.train(was_training)


def agree_on_groups(n_local: int, accelerator: Accelerator | None = None) -> int:
    """How many groups every process trains on this step: the minimum over processes.

    Dynamic sampling can leave processes with different numbers of informative groups, even
    none. Every process must run the same number of forward/backward passes (DDP all-reduces
    gradients in the last backward and may broadcast buffers in each forward), so all of them
    keep the smallest count, and all skip the update together when some process has nothing.
    """
    if accelerator is None or accelerator.num_processes == 1:
        return n_local
    counts = accelerator.gather(torch.tensor([n_local], device=accelerator.device))  # [world]
    return int(counts.min())


def fill_importance_weights(batches: Sequence[MicroBatch], cfg: GRPOConfig) -> dict[str, float]:
    """Importance weights from ``old_logp`` and ``sampling_logp``; returns mismatch metrics.

    Metric names follow TRL: ``sampling/sampling_logp_difference/{mean,max}`` (nats per token)
    and ``sampling/importance_sampling_ratio/{min,mean,max}`` (over active tokens).
    """
    sums: dict[str, float] = defaultdict(float)
    low, high = math.inf, -math.inf
    for mb in batches:
        if mb.old_logp is None or mb.sampling_logp is None:
            raise ValueError("importance weights need old_logp and sampling_logp")
        mb.is_weights, stats = importance_weights(
            mb.old_logp,
            mb.sampling_logp,
            mb.loss_mask,
            cfg.vllm_importance_sampling_mode,
            cfg.vllm_importance_sampling_clip_max,
            cfg.vllm_importance_sampling_clip_min,
        )  # [n, T]
        for key in ("tokens", "logp_diff_sum", "is_ratio_sum", "is_tokens"):
            sums[key] += stats[key]
        sums["logp_diff_max"] = max(sums["logp_diff_max"], stats["logp_diff_max"])
        if stats["is_tokens"]:
            low, high = min(low, stats["is_ratio_min"]), max(high, stats["is_ratio_max"])
    tokens, is_tokens = max(1.0, sums["tokens"]), max(1.0, sums["is_tokens"])
    return {
        "sampling/sampling_logp_difference/mean": sums["logp_diff_sum"] / tokens,
        "sampling/sampling_logp_difference/max": sums["logp_diff_max"],
        "sampling/importance_sampling_ratio/min": low if math.isfinite(low) else math.nan,
        "sampling/importance_sampling_ratio/mean": sums["is_ratio_sum"] / is_tokens,
        "sampling/importance_sampling_ratio/max": high if math.isfinite(high) else math.nan,
    }


def global_reward_std(
    pending: Sequence[PendingGroup], accelerator: Accelerator | None = None
) -> float:
    """Population std of every decided reward of the step on all processes (waits for all).

    ``scale_rewards: batch`` divides by the std of the whole batch, and under data parallelism
    the batch is the union over processes (TRL gathers the rewards first). Each process sends
    (count, sum, sum of squares), so one all-reduce of 3 numbers replaces a gather.
    """
    rewards = torch.cat([p.rewards() for p in pending]) if pending else torch.zeros(0)  # [B * G]
    valid = rewards[~torch.isnan(rewards)].double()  # [m]
    totals = torch.stack([torch.tensor(float(valid.numel())), valid.sum(), valid.pow(2).sum()])
    if accelerator is not None and accelerator.num_processes > 1:
        totals = accelerator.reduce(totals.to(accelerator.device), reduction="sum").cpu()
    count, total, squares = (float(x) for x in totals)
    if count == 0:
        return 0.0
    mean = total / count
    return max(0.0, squares / count - mean * mean) ** 0.5


def step_normalizer(
    batches: Sequence[MicroBatch],
    max_completion_length: int,
    accelerator: Accelerator | None = None,
) -> LossNormalizer:
    """Totals over all micro-batches, summed over processes when distributed."""
    local = normalizer_for([b.loss_mask for b in batches], max_completion_length)
    if accelerator is None or accelerator.num_processes == 1:
        return local
    totals = torch.tensor(
        [local.num_sequences, local.num_tokens], device=accelerator.device, dtype=torch.long
    )
    totals = accelerator.reduce(totals, reduction="sum")
    return LossNormalizer(int(totals[0]), int(totals[1]), max_completion_length)


def policy_update(
    setup: TrainerSetup,
    batches: Sequence[MicroBatch],
    advantages: LazyAdvantages,
    norm: LossNormalizer,
    with_entropy: bool = True,
) -> dict[str, float]:
    """One optimizer step over all micro-batches; returns token sums and the step's loss.

    Under DDP gradients are averaged over processes, while ``norm`` holds global totals: the
    loss is scaled by the process count so the two cancel.
    """
    cfg, model, accelerator = setup.cfg, setup.model, setup.accelerator
    settings = LossSettings.of(cfg)
    sums: dict[str, float] = defaultdict(float)
    world = accelerator.num_processes
    for i, mb in enumerate(batches):
        last = i == len(batches) - 1
        sync = accelerator.no_sync(model) if (world > 1 and not last) else nullcontext()
        with sync:
            logp, entropy = token_logprobs(
                model,
                mb.input_ids,
                mb.attention_mask,
                mb.completion_len,
                cfg.temperature,
                with_entropy=with_entropy,
            )  # [n, T]
            adv = advantages.rows(mb.rows).to(logp.device)  # [n], may wait for rewards
            out = grpo_loss(
                logp,
                mb.old_logp,
                mb.ref_logp,
                adv,
                mb.loss_mask,
                norm,
                settings,
                is_weights=mb.is_weights,
            )
            accelerator.backward(out.loss * world)
        sums["loss"] += float(out.loss.detach())
        for key, value in out.metrics.items():
            sums[key] += value
        if entropy is not None:
            sums["entropy"] += float((entropy * mb.loss_mask).sum())
    if cfg.max_grad_norm is not None:
        grad_norm = accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        sums["grad_norm"] = float(grad_norm)
    setup.optimizer.step()
    setup.optimizer.zero_grad(set_to_none=True)
    return dict(sums)

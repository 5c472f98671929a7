"""Rollout collection: generate groups and get their rewards in flight without stalling.

With ``overlap`` each group's ``/score`` request leaves the moment its completions exist, and
generation of the next group starts at once; nothing waits for a reward until the update asks
for that group's advantages. Without overlap (``--no-overlap``, for comparison) the whole batch
is generated, then scored in one blocking call. Dynamic sampling (DAPO) waits for a round's
rewards, keeps the groups whose rewards differ, and generates replacements for the rest.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from trainer_client.client import ScoreResult
from trainer_client.data import GroupRef, PromptSampler, reward_items
from trainer_client.grpo import informative_groups
from trainer_client.items import ScoreItem
from trainer_client.rollout import Group, RolloutBackend


class Scorer(Protocol):
    def submit(self, items: Sequence[ScoreItem]) -> Future[list[ScoreResult]]: ...


class Timer:
    """Seconds per phase, summed over a step; ``with timer("generate"): ...``."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.totals[phase] += time.perf_counter() - start


@dataclass
class PendingGroup:
    """A generated group whose rewards may still be on their way."""

    row: dict[str, Any]
    group: Group
    future: Future[list[ScoreResult]]
    timer: Timer = field(repr=False, default_factory=Timer)

    def results(self) -> list[ScoreResult]:
        """Block (timed as ``reward_wait``) until the service has answered for this group."""
        if not self.future.done():
            with self.timer("reward_wait"):
                return self.future.result()
        return self.future.result()

    def rewards(self) -> torch.Tensor:
        """[G] rewards, NaN where the service returned null."""
        return torch.tensor(
            [float("nan") if r.reward is None else r.reward for r in self.results()]
        )  # [G]


@dataclass
class StepRollouts:
    train: list[PendingGroup]  # the groups to learn from, in generation order
    generated: list[PendingGroup]  # everything sampled this step (for metrics)


def _resolved(results: list[ScoreResult]) -> Future[list[ScoreResult]]:
    done: Future[list[ScoreResult]] = Future()
    done.set_result(results)
    return done


@dataclass
class Collector:
    """Draws prompts, generates G completions each, and sends them to be scored."""

    backend: RolloutBackend
    scorer: Scorer
    sampler: PromptSampler
    encode: Callable[[Mapping[str, Any]], list[int]]  # row -> prompt token ids
    num_generations: int
    max_completion_length: int
    item_fields: Sequence[str]
    prompts_per_generation: int = 1
    overlap: bool = True
    think_prefilled: bool = False
    last: StepRollouts | None = None  # the latest step's rollouts, for sample logging

    def _items(self, row: Mapping[str, Any], group: Group, ref: GroupRef) -> list[ScoreItem]:
        lengths = [len(c) for c in group.completion_ids]
        return reward_items(
            row,
            group.texts,
            lengths,
            ref,
            self.item_fields,
            self.max_completion_length,
            self.think_prefilled,
        )

    def generate(self, rows: list[dict[str, Any]], step: int, first: int, timer: Timer):
        """Generate ``rows``' groups; with overlap each group is submitted as soon as it exists."""
        pending: list[PendingGroup] = []
        waiting: list[tuple[dict[str, Any], Group, list[ScoreItem]]] = []
        for start in range(0, len(rows), self.prompts_per_generation):
            chunk = rows[start : start + self.prompts_per_generation]
            with timer("generate"):
                groups = self.backend.generate(
                    [self.encode(r) for r in chunk], self.num_generations
                )
            for offset, (row, group) in enumerate(zip(chunk, groups, strict=True)):
                items = self._items(row, group, GroupRef(step, first + start + offset))
                if self.overlap:
                    pending.append(PendingGroup(row, group, self.scorer.submit(items), timer))
                else:
                    waiting.append((row, group, items))
        if waiting:
            with timer("reward_wait"):
                flat = self.scorer.submit([i for _, _, items in waiting for i in items]).result()
            g = self.num_generations
            for k, (row, group, _) in enumerate(waiting):
                pending.append(
                    PendingGroup(row, group, _resolved(flat[k * g : (k + 1) * g]), timer)
                )
        return pending

    def collect(
        self,
        step: int,
        num_prompts: int,
        timer: Timer,
        dynamic_sampling: bool = False,
        max_rounds: int = 1,
    ) -> StepRollouts:
        """One step's rollouts. Without dynamic sampling nothing here waits for a reward."""
        generated = self.generate(self.sampler.take(num_prompts), step, 0, timer)
        if not dynamic_sampling:
            self.last = StepRollouts(train=generated, generated=generated)
            return self.last
        kept: list[PendingGroup] = []
        fresh = generated
        for round_ in range(max_rounds):
            rewards = torch.stack([p.rewards() for p in fresh])  # [B, G], waits
            keep = informative_groups(rewards.reshape(-1), self.num_generations)  # [B]
            kept.extend(p for p, k in zip(fresh, keep.tolist(), strict=True) if k)
            deficit = num_prompts - len(kept)
            if deficit <= 0 or round_ == max_rounds - 1:
                break
            fresh = self.generate(self.sampler.take(deficit), step, len(generated), timer)
            generated = generated + fresh
        self.last = StepRollouts(train=kept[:num_prompts], generated=generated)
        return self.last

"""Overlap scheduling, dynamic sampling and the update's accumulation, with fakes where it helps."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest
import torch

from trainer_client.client import ScoreResult
from trainer_client.collect import Collector, PendingGroup, Timer
from trainer_client.config import GRPOConfig
from trainer_client.data import PromptSampler
from trainer_client.grpo import AGGREGATIONS
from trainer_client.rollout import Group
from trainer_client.update import (
    LazyAdvantages,
    TrainerSetup,
    build_micro_batches,
    policy_update,
    step_normalizer,
)

G = 4


class FakeBackend:
    """Completions [k, j] for prompt id k; logs each call."""

    def __init__(self, events: list[tuple[str, Any]]) -> None:
        self.events = events

    def generate(self, prompts: list[list[int]], n: int) -> list[Group]:
        self.events.append(("generate", [p[0] for p in prompts]))
        return [
            Group(p, [[p[0], j] for j in range(n)], [False] * n, [f"{p[0]}:{j}" for j in range(n)])
            for p in prompts
        ]

    def sleep(self) -> None: ...

    def update_weights(self, model: Any) -> None: ...

    def close(self) -> None: ...


class FakeScorer:
    """Futures the test resolves by hand; reward = j % 2 unless the row says ``same``."""

    def __init__(self, events: list[tuple[str, Any]], auto: bool = False) -> None:
        self.events = events
        self.auto = auto
        self.pending: list[tuple[list[dict], Future]] = []

    def submit(self, items):
        items = [i.to_json() for i in items]  # what the client would send
        self.events.append(("submit", sorted({i["group_id"] for i in items})))
        future: Future = Future()
        self.pending.append((items, future))
        if self.auto:
            self.release(len(self.pending) - 1)
        return future

    def release(self, k: int) -> None:
        items, future = self.pending[k]
        results = []
        for i, item in enumerate(items):
            same = "same" in item["prompt"]
            reward = 1.0 if same else float(int(item["completion"].split(":")[1]) % 2)
            results.append(ScoreResult(i, item["id"], reward, {}, None, 0.1))
        future.set_result(results)


def collector(rows, events, scorer, overlap=True) -> Collector:
    return Collector(
        backend=FakeBackend(events),
        scorer=scorer,
        sampler=PromptSampler(rows, seed=0, shuffle=False),
        encode=lambda row: [row["k"]],
        num_generations=G,
        max_completion_length=8,
        item_fields=["answer"],
        overlap=overlap,
    )


ROWS = [{"prompt": f"q{k}", "answer": "1", "k": k} for k in range(6)]


def test_overlap_submits_each_group_before_generating_the_next() -> None:
    events: list = []
    scorer = FakeScorer(events)
    out = collector(ROWS, events, scorer).collect(step=0, num_prompts=3, timer=Timer())
    kinds = [e[0] for e in events]
    assert kinds == ["generate", "submit", "generate", "submit", "generate", "submit"]
    assert not any(p.future.done() for p in out.train)  # nothing waited for a reward

    # The update asks for group 0 only: that must not wait for groups 1 and 2.
    scorer.release(0)
    adv = LazyAdvantages(out.train, G, "group")
    assert adv.rows([(0, j) for j in range(G)]).tolist() == pytest.approx([-1, 1, -1, 1], abs=1e-3)
    releaser = threading.Timer(0.2, lambda: [scorer.release(k) for k in (1, 2)])
    releaser.start()
    timer = out.train[1].timer
    adv.rows([(1, 0), (2, 3)])
    assert timer.totals["reward_wait"] >= 0.15  # waited, and the wait was timed


def test_no_overlap_generates_all_then_scores_once() -> None:
    events: list = []
    out = collector(ROWS, events, FakeScorer(events, auto=True), overlap=False).collect(
        step=0, num_prompts=3, timer=Timer()
    )
    assert [e[0] for e in events] == ["generate", "generate", "generate", "submit"]
    assert all(p.future.done() for p in out.train)
    assert [r.id for r in out.train[2].results()] == [f"s0-p2-g{j}" for j in range(G)]


def test_prompts_per_generation_batches_generate_calls() -> None:
    events: list = []
    c = collector(ROWS, events, FakeScorer(events, auto=True))
    c.prompts_per_generation = 2
    c.collect(step=0, num_prompts=3, timer=Timer())
    assert [e for e in events if e[0] == "generate"] == [("generate", [0, 1]), ("generate", [2])]


def test_dynamic_sampling_drops_equal_groups_and_refills() -> None:
    rows = [
        {"prompt": "same-0", "k": 0},
        {"prompt": "q1", "k": 1},
        {"prompt": "same-2", "k": 2},
        {"prompt": "q3", "k": 3},
        {"prompt": "q4", "k": 4},
    ]
    events: list = []
    out = collector(rows, events, FakeScorer(events, auto=True)).collect(
        step=0, num_prompts=3, timer=Timer(), dynamic_sampling=True, max_rounds=3
    )
    assert [p.row["k"] for p in out.train] == [1, 3, 4]
    assert [p.row["k"] for p in out.generated] == [0, 1, 2, 3, 4]
    ids = [p.results()[0].id for p in out.generated]
    assert len(set(ids)) == len(ids)  # refill groups get fresh ids


def pending_groups(completions: list[list[list[int]]], truncated=None) -> list[PendingGroup]:
    out = []
    for g, rows in enumerate(completions):
        future: Future = Future()
        future.set_result([ScoreResult(j, None, float(j % 2)) for j in range(len(rows))])
        trunc = truncated[g] if truncated else [False] * len(rows)
        out.append(
            PendingGroup({}, Group([7, 8, 9][: g + 1], rows, trunc, [""] * len(rows)), future)
        )
    return out


def test_micro_batches_pad_and_mask() -> None:
    groups = pending_groups(
        [[[1, 2], [3]], [[4, 5, 6], [7]]], truncated=[[False, True], [False, False]]
    )
    batches = build_micro_batches(groups, size=3, pad_token_id=0, mask_truncated=True)
    assert [len(b.rows) for b in batches] == [3, 1]
    first = batches[0]
    assert first.input_ids.tolist() == [[0, 7, 1, 2, 0], [0, 7, 3, 0, 0], [7, 8, 4, 5, 6]]
    assert first.loss_mask.tolist() == [[1, 1, 0], [0, 0, 0], [1, 1, 1]]  # row 1 truncated
    assert first.attention_mask[1].tolist() == [0, 1, 1, 0, 0]  # attended, just not trained
    assert first.rows == [(0, 0), (0, 1), (1, 0)]
    assert batches[1].rows == [(1, 1)]


class RecordingOptimizer(torch.optim.SGD):
    """Keeps a copy of the gradients at each step (lr 0: parameters stay put)."""

    def __init__(self, params) -> None:
        super().__init__(params, lr=0.0)
        self.grads: list[list[torch.Tensor]] = []

    def step(self, closure=None):  # type: ignore[override]
        self.grads.append([p.grad.clone() for g in self.param_groups for p in g["params"]])


@pytest.mark.parametrize("loss_type", sorted(AGGREGATIONS))
def test_update_gradient_independent_of_micro_batch_size(tiny_model_dir, loss_type) -> None:
    from accelerate import Accelerator
    from torch.optim.lr_scheduler import LambdaLR
    from transformers import AutoModelForCausalLM

    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    cfg = GRPOConfig(
        model_name_or_path="m",
        dataset_path="d",
        num_generations=2,
        beta=0.0,
        loss_type=loss_type,
        max_grad_norm=None,
        max_completion_length=6,
    )
    lengths = [[6, 1], [3, 5], [2, 2], [4, 1]]  # unequal lengths make dapo != per-batch means
    completions = [[list(range(10, 10 + n)) for n in pair] for pair in lengths]
    groups = pending_groups(completions)

    grads = []
    for size in (8, 3, 1):
        batches = build_micro_batches(groups, size, pad_token_id=0, mask_truncated=False)
        opt = RecordingOptimizer(model.parameters())
        norm = step_normalizer(batches, cfg.max_completion_length)
        setup = TrainerSetup(
            cfg, model, opt, LambdaLR(opt, lambda _: 1.0), Accelerator(cpu=True), pad_token_id=0
        )
        sums = policy_update(setup, batches, LazyAdvantages(groups, 2, "group"), norm)
        grads.append(opt.grads[0])
        assert sums["tokens"] == sum(sum(p) for p in lengths)
    for other in grads[1:]:
        for a, b in zip(grads[0], other, strict=True):
            assert torch.allclose(a, b, atol=1e-6)
    assert any(g.abs().sum() > 0 for g in grads[0])

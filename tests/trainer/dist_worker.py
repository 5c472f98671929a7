"""One of two CPU processes (gloo) for tests/trainer/test_distributed.py; prints a JSON line.

Run by the test with RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT set, as ``accelerate launch``
or ``torchrun`` would. Rank 0 ends dynamic sampling with zero groups while rank 1 has some: the
step must finish on both (skipped together), and the next step, with 1 and 2 groups, must train
both on the same count and leave identical weights.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import Future
from dataclasses import dataclass

import torch

from trainer_client.checkpoint import LoopState
from trainer_client.client import ScoreResult
from trainer_client.collect import PendingGroup, StepRollouts
from trainer_client.config import GRPOConfig
from trainer_client.rollout import Group
from trainer_client.train import run_step
from trainer_client.update import TrainerSetup, agree_on_groups, global_reward_std


def pending(rewards: list[float], seed: int) -> PendingGroup:
    gen = torch.Generator().manual_seed(seed)
    completions = [torch.randint(10, 60, (3,), generator=gen).tolist() for _ in rewards]
    group = Group([5, 6, 7], completions, [False] * len(rewards), ["x"] * len(rewards))
    future: Future[list[ScoreResult]] = Future()
    future.set_result([ScoreResult(i, str(i), r) for i, r in enumerate(rewards)])
    return PendingGroup({"prompt": "p"}, group, future)


class NoBackend:
    def sleep(self) -> None:
        pass


@dataclass
class ScriptedCollector:
    """Hands out pre-built groups, as dynamic sampling would after filtering."""

    steps: list[list[PendingGroup]]
    backend: NoBackend = NoBackend()  # noqa: RUF009

    def collect(self, step: int, *args, **kwargs) -> StepRollouts:
        train = self.steps[step]
        return StepRollouts(train=train, generated=train or [pending([1.0, 1.0], 99)])


def main() -> None:
    from accelerate import Accelerator
    from transformers import AutoModelForCausalLM

    model_dir = sys.argv[1]
    accelerator = Accelerator(cpu=True)
    rank, world = accelerator.process_index, accelerator.num_processes
    out: dict[str, object] = {"rank": rank, "world": world}
    out["agree_empty"] = agree_on_groups([0, 3][rank], accelerator)
    out["agree_min"] = agree_on_groups([2, 3][rank], accelerator)
    local = [[pending([0.0, 1.0], 1)], [pending([1.0, 1.0], 2), pending([0.0, 0.0], 3)]][rank]
    out["batch_std"] = global_reward_std(local, accelerator)

    cfg = GRPOConfig(
        model_name_or_path=model_dir, dataset_path="unused", num_generations=2,
        per_device_train_batch_size=2, gradient_accumulation_steps=2, learning_rate=1e-2,
        scale_rewards="batch", progress_bar=False,
    )  # fmt: skip
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    model, optimizer = accelerator.prepare(model, optimizer)
    steps = [
        [[], [pending([0.0, 1.0], 4), pending([1.0, 0.0], 5)]][rank],  # rank 0 has nothing
        [[pending([1.0, 0.0], 6)], [pending([0.0, 1.0], 7), pending([1.0, 0.0], 8)]][rank],
    ]
    collector = ScriptedCollector(steps)
    setup = TrainerSetup(cfg, model, optimizer, scheduler, accelerator, pad_token_id=0)
    state = LoopState()
    results = []
    for _ in steps:
        metrics = run_step(setup, state, collector)  # type: ignore[arg-type]
        results.append(
            {"skipped": metrics["sampling/skipped_update"],
             "groups": metrics["sampling/groups_trained"]}
        )  # fmt: skip
        state.step += 1
    out["steps"] = results
    checksum = sum(float(p.detach().double().sum()) for p in model.parameters())
    sums = accelerator.gather(torch.tensor([checksum], dtype=torch.float64)).tolist()
    out["checksums"] = sums
    print(json.dumps(out), flush=True)
    accelerator.end_training()


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()

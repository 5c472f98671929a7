"""The whole loop: the real reward server teaches a random tiny model a verifiable answer.

Toy task: "What is a+(5-a)?" for a = 0..5, answer 5, graded by the server's math ``accuracy``
(math-verify). A random 100k-parameter model almost never ends with a 5 at first; within a few
dozen seeded CPU steps GRPO makes it say 5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from trainer_client.config import GRPOConfig
from trainer_client.metrics import read_metrics
from trainer_client.train import train

from .conftest import Service, StandIn, write_jsonl

TOY = [{"prompt": f"What is {a}+{5 - a}?", "answer": "5"} for a in range(6)]


def toy_config(tmp_path: Path, model: Path, url: str, **overrides) -> GRPOConfig:
    data = write_jsonl(tmp_path / "toy.jsonl", TOY)
    base = {
        "model_name_or_path": str(model),
        "dataset_path": str(data),
        "output_dir": str(tmp_path / "run"),
        "reward_url": url,
        "rewards": {"accuracy": 1.0},
        "num_generations": 8,
        "per_device_train_batch_size": 16,
        "gradient_accumulation_steps": 2,
        "max_completion_length": 6,
        "learning_rate": 1e-2,
        "seed": 0,
        "progress_bar": False,
        "save_steps": 1000,
    }
    return GRPOConfig(**{**base, **overrides})


def weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path / "model.safetensors"))


@pytest.mark.slow
def test_reward_rises_against_real_server(
    tmp_path, tiny_model_dir, reward_service: Service
) -> None:
    cfg = toy_config(
        tmp_path,
        tiny_model_dir,
        reward_service.url,
        max_steps=30,
        beta=0.01,  # exercises the frozen reference and k3 KL
        num_iterations=2,  # and old log-probs with clipping
        epsilon_high=0.28,
        loss_type="dapo",
        report_to=["jsonl", "tensorboard"],
    )
    result = train(cfg)
    rewards = [m["reward"] for m in result.history]
    first, last = sum(rewards[:5]) / 5, sum(rewards[-5:]) / 5
    assert last >= first + 0.3, rewards
    assert all(m["reward_null_frac"] == 0 for m in result.history)
    assert result.history[-1]["kl"] > 0
    before, after = weights(tiny_model_dir), weights(result.final_checkpoint)
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) == len(before), "every parameter tensor should have moved"

    rows = read_metrics(Path(cfg.output_dir) / "metrics.jsonl")
    assert [r["step"] for r in rows] == list(range(1, 31))
    for key in (
        "reward",
        "reward_std",
        "rewards/accuracy/mean",
        "kl",
        "entropy",
        "clip_ratio/region_mean",
        "completions/mean_length",
        "frac_reward_zero_std",
        "timing/generate_s",
        "timing/reward_wait_s",
        "timing/update_s",
    ):
        assert key in rows[-1], key
    assert list((Path(cfg.output_dir) / "tensorboard").glob("events.out.tfevents.*"))
    assert (Path(cfg.output_dir) / "completions.jsonl").exists()


def test_resume_continues_the_run(tmp_path, tiny_model_dir, stand_in: StandIn) -> None:
    cfg = toy_config(
        tmp_path,
        tiny_model_dir,
        stand_in.url,
        max_steps=2,
        save_steps=2,
        report_to=["jsonl"],
        overlap=False,
    )
    first = train(cfg)
    assert first.final_checkpoint is not None and first.final_checkpoint.name == "checkpoint-2"
    cfg2 = cfg.model_copy(update={"max_steps": 4, "resume_from_checkpoint": True})
    second = train(cfg2)
    assert len(second.history) == 2  # steps 3 and 4 only
    steps = [r["step"] for r in read_metrics(Path(cfg.output_dir) / "metrics.jsonl")]
    assert steps == [1, 2, 3, 4]
    ids = [json.loads(line)["id"] for line in (Path(cfg.output_dir) / "completions.jsonl").open()]
    assert ids[-1].startswith("s3-")  # step numbering carried on
    assert second.final_checkpoint is not None and second.final_checkpoint.name == "checkpoint-4"
    assert len(list(Path(cfg.output_dir).glob("checkpoint-*"))) == 2  # save_total_limit


def test_dynamic_sampling_and_no_overlap_run(tmp_path, tiny_model_dir, stand_in: StandIn) -> None:
    cfg = toy_config(
        tmp_path,
        tiny_model_dir,
        stand_in.url,
        max_steps=2,
        overlap=False,
        dynamic_sampling=True,
        max_sampling_rounds=2,
        report_to=[],
        loss_type="dr_grpo",
        scale_rewards="none",
        mask_truncated_completions=True,
    )
    result = train(cfg)
    for m in result.history:
        assert m["sampling/groups_trained"] <= m["sampling/groups_generated"]
        assert m["sampling/groups_generated"] >= 2
    # without overlap each generation round is one request of whole groups
    assert all(len(r["items"]) % 8 == 0 for r in stand_in.requests)


def test_only_null_rewards_stop_the_run(tmp_path, tiny_model_dir, stand_in: StandIn) -> None:
    stand_in.all_null = True
    cfg = toy_config(
        tmp_path, tiny_model_dir, stand_in.url, max_steps=5, report_to=[], max_undecided_steps=2
    )
    with pytest.raises(RuntimeError, match="only null rewards for 2 steps"):
        train(cfg)


def test_unreachable_service_fails_loudly(tmp_path, tiny_model_dir, stand_in: StandIn) -> None:
    stand_in.fail_next(500, times=1000)
    cfg = toy_config(
        tmp_path, tiny_model_dir, stand_in.url, max_steps=3, report_to=[], reward_max_retries=1
    )
    from trainer_client.client import RewardServiceUnavailable

    with pytest.raises(RewardServiceUnavailable):
        train(cfg)


def test_own_backend_is_closed_and_importance_sampling_runs(
    tmp_path, tiny_model_dir, stand_in: StandIn, monkeypatch
) -> None:
    """train() closes the backend it built, and with a backend that reports sampling log-probs
    the step computes importance weights whose mismatch is ~0 for the same weights."""
    import trainer_client.train as train_module
    from trainer_client.rollout import TransformersBackend

    built: list[TransformersBackend] = []
    closed: list[bool] = []

    class Recording(TransformersBackend):
        def close(self) -> None:
            closed.append(True)

    def make_backend(cfg, model, tokenizer, path, world, process_index=0):
        built.append(Recording(model, tokenizer, train_module.SamplingSpec(
            max_completion_length=cfg.max_completion_length, temperature=cfg.temperature
        ), return_logprobs=True))  # fmt: skip
        return built[-1]

    monkeypatch.setattr(train_module, "make_backend", make_backend)
    cfg = toy_config(
        tmp_path, tiny_model_dir, stand_in.url, max_steps=2, report_to=[], temperature=0.8
    )
    result = train(cfg)
    assert len(built) == 1 and closed == [True]
    for m in result.history:
        assert m["sampling/sampling_logp_difference/mean"] < 1e-4
        assert abs(m["sampling/importance_sampling_ratio/mean"] - 1.0) < 1e-3
    off = train(cfg.model_copy(update={"vllm_importance_sampling_correction": False,
                                       "output_dir": str(tmp_path / "off")}))  # fmt: skip
    assert "sampling/importance_sampling_ratio/mean" not in off.history[-1]

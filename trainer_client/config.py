"""Trainer configuration as one value, with TRL's ``GRPOConfig`` names where TRL has the knob.

A TRL user's YAML (``num_generations``, ``beta``, ``epsilon``, ``epsilon_high``, ``loss_type``,
``scale_rewards``, ``num_iterations``, ``max_completion_length``, ``mask_truncated_completions``,
``learning_rate``...) carries over; unknown keys are rejected so a typo never silently falls
back to a default. Knobs TRL lacks (the reward service, overlap, dynamic sampling) are grouped
at the end.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trainer_client.grpo import AGGREGATIONS, LossType, ScaleRewards
from trainer_client.importance import ImportanceSamplingMode
from trainer_client.weights import parse_weights


class GRPOConfig(BaseModel):
    """Everything a run needs; the defaults are the common case on one GPU."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Model and data
    model_name_or_path: str = Field(..., description="Local dir or hub name of the policy.")
    dataset_path: str = Field(..., description="JSONL: `prompt` plus `answer` or `tests`.")
    output_dir: str = "runs/grpo"
    system_prompt: str | None = None
    apply_chat_template: bool = Field(
        True, description="Wrap prompts with the tokenizer's template."
    )
    max_prompt_length: int | None = Field(512, description="Left-truncate longer prompts.")
    seed: int = 42
    shuffle_dataset: bool = True

    # Sampling (TRL names)
    num_generations: int = Field(8, ge=2, description="G: completions per prompt.")
    max_completion_length: int = Field(256, ge=1)
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    top_k: int = Field(0, ge=0, description="0 disables top-k.")

    # Optimisation (TRL names)
    learning_rate: float = 1e-6
    lr_scheduler_type: Literal["constant", "linear", "cosine", "constant_with_warmup"] = "constant"
    warmup_steps: int = 0
    weight_decay: float = 0.0
    adam_beta1: float = 0.9
    adam_beta2: float = 0.99
    max_grad_norm: float | None = 1.0
    max_steps: int = Field(100, ge=1, description="Rollout batches to train on.")
    per_device_train_batch_size: int = Field(8, ge=1, description="Sequences per micro-batch.")
    gradient_accumulation_steps: int = Field(1, ge=1, description="Micro-batches per update.")
    num_iterations: int = Field(1, ge=1, description="Updates per rollout batch (mu).")
    gradient_checkpointing: bool = False
    bf16: bool = False

    # Objective (TRL names)
    beta: float = Field(0.0, ge=0, description="KL weight; 0 skips the reference model.")
    epsilon: float = Field(0.2, gt=0)
    epsilon_high: float | None = Field(None, description="Clip-higher (DAPO: 0.28).")
    loss_type: LossType = Field(
        "dapo", description="Token averaging: grpo, dapo, dr_grpo or any aggregation in grpo.py."
    )
    scale_rewards: ScaleRewards = "group"
    mask_truncated_completions: bool = False

    # Generation backend (TRL names)
    use_vllm: bool = False
    vllm_gpu_memory_utilization: float = 0.3
    vllm_enable_sleep_mode: bool = False
    vllm_max_model_length: int | None = None
    vllm_weight_sync_bucket_mb: int = Field(256, ge=1, description="Bytes per load_weights call.")
    vllm_importance_sampling_correction: bool = Field(
        True, description="Weight token losses by pi_trainer / pi_sampler (truncated IS)."
    )
    vllm_importance_sampling_mode: ImportanceSamplingMode = "token_truncate"
    vllm_importance_sampling_clip_max: float | None = Field(3.0, gt=0, description="IS cap.")
    vllm_importance_sampling_clip_min: float | None = Field(None, ge=0)

    # Logging and checkpoints (TRL names)
    logging_steps: int = 1
    save_steps: int = 50
    save_total_limit: int | None = 2
    report_to: list[Literal["jsonl", "tensorboard"]] = Field(
        default_factory=lambda: ["jsonl", "tensorboard"]
    )
    resume_from_checkpoint: str | bool | None = Field(
        None, description="A checkpoint dir, or true for the latest in output_dir."
    )
    progress_bar: bool = True

    # Reward service (not in TRL)
    reward_url: str = "http://127.0.0.1:8000"
    rewards: dict[str, float] = Field(default_factory=lambda: {"accuracy": 1.0})
    reward_options: dict[str, Any] = Field(default_factory=dict, description="`options` field.")
    reward_api_key: str | None = Field(
        default_factory=lambda: os.environ.get("REWARD_API_KEY"), description="Bearer token."
    )
    reward_item_fields: list[str] = Field(
        default_factory=lambda: [
            "answer",
            "tests",
            "language",
            "target_language",
            "rewards",
            "think_prefilled",
        ],
        description="Dataset columns copied into each /score item.",
    )
    think_prefilled: bool = False
    reward_batch_size: int = 64
    reward_max_in_flight: int = 8
    reward_timeout_s: float = 120.0
    reward_max_retries: int = 6
    max_undecided_steps: int = Field(
        3, ge=1, description="Stop after this many steps where every reward came back null."
    )

    # Held-out evaluation during training (not in TRL): before the first step, every
    # `eval_steps` steps and after the last; `eval/...` keys in metrics.jsonl
    eval_dataset_path: str | None = Field(None, description="JSONL of held-out prompts.")
    eval_steps: int = Field(0, ge=0, description="0: only before and after training.")
    eval_num_samples: int = Field(4, ge=1, description="Samples per held-out prompt (n).")
    eval_limit: int | None = Field(None, ge=1, description="First N held-out prompts only.")

    # Scheduling (not in TRL)
    overlap: bool = Field(True, description="Score each group while the next one generates.")
    prompts_per_generation: int = Field(1, ge=1, description="Prompts per generate call.")
    dynamic_sampling: bool = Field(False, description="DAPO: drop groups with equal rewards.")
    max_sampling_rounds: int = Field(4, ge=1, description="Refill rounds per step.")

    @field_validator("loss_type")
    @classmethod
    def _registered_loss(cls, value: str) -> str:
        if value not in AGGREGATIONS:
            choices = ", ".join(AGGREGATIONS)
            raise ValueError(f"unknown loss_type {value!r}; choose one of {choices}")
        return value

    @field_validator("rewards", mode="before")
    @classmethod
    def _weights_text(cls, value: Any) -> Any:
        """``--rewards accuracy:1,format:0.2`` reads like ``reward-server score --rewards``."""
        return parse_weights(value) if isinstance(value, str) else value

    @field_validator("scale_rewards", mode="before")
    @classmethod
    def _trl_bool_scale(cls, value: Any) -> Any:
        """TRL also accepts booleans: True means per-group, False means none."""
        if value is True:
            return "group"
        if value is False:
            return "none"
        return value

    @model_validator(mode="after")
    def _check_batch(self) -> GRPOConfig:
        if self.rollout_batch_size % self.num_generations:
            raise ValueError(
                f"per_device_train_batch_size * gradient_accumulation_steps "
                f"({self.rollout_batch_size}) must be a multiple of num_generations "
                f"({self.num_generations})"
            )
        return self

    @property
    def rollout_batch_size(self) -> int:
        """Sequences per rollout batch on this process."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps

    @property
    def prompts_per_step(self) -> int:
        return self.rollout_batch_size // self.num_generations

    @classmethod
    def from_yaml(cls, path: str | Path | None, **overrides: Any) -> GRPOConfig:
        """Load a YAML file, then apply overrides (CLI flags); None values are ignored."""
        data: dict[str, Any] = {}
        if path is not None:
            data = yaml.safe_load(Path(path).read_text()) or {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**data)

    def to_yaml(self, path: str | Path) -> None:
        """Write the effective config next to the run (without the API key)."""
        data = self.model_dump(mode="json", exclude={"reward_api_key"})
        Path(path).write_text(yaml.safe_dump(data, sort_keys=False))

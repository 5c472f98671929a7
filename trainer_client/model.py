"""Loading the policy and its tokenizer, shared by every command (train, sft, evaluate...).

Trainable weights are loaded in fp32 whatever the checkpoint's dtype: with bf16 master weights
an AdamW step near lr 1e-6 rounds away (bf16 keeps 8 significant bits, so ``0.02 + 1e-6`` is
``0.02``). ``bf16: true`` then means mixed precision (bf16 compute under autocast, fp32 master
weights), as in TRL. Frozen copies (the reference model) may stay in bf16.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch


def _dtype_kwarg(dtype: torch.dtype) -> dict[str, Any]:
    """transformers renamed ``torch_dtype`` to ``dtype`` in 4.56."""
    import transformers
    from packaging.version import Version

    name = "dtype" if Version(transformers.__version__) >= Version("4.56") else "torch_dtype"
    return {name: dtype}


def load_tokenizer(path: str | Path) -> Any:
    """The tokenizer, with EOS as padding when the checkpoint defines none."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(
    path: str | Path,
    *,
    trainable: bool = True,
    bf16: bool = False,
    gradient_checkpointing: bool = False,
) -> Any:
    """A causal LM: fp32 when ``trainable`` (or when ``bf16`` is off), else bf16 and frozen."""
    from transformers import AutoModelForCausalLM

    dtype = torch.float32 if trainable or not bf16 else torch.bfloat16
    model = AutoModelForCausalLM.from_pretrained(str(path), **_dtype_kwarg(dtype))
    if trainable and gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if not trainable:
        model.requires_grad_(False).eval()
    return model


def load_policy(cfg: Any, path: str | Path, trainable: bool = True) -> tuple[Any, Any]:
    """(model, tokenizer) for a config with ``bf16`` and ``gradient_checkpointing`` fields."""
    model = load_model(
        path,
        trainable=trainable,
        bf16=cfg.bf16,
        gradient_checkpointing=cfg.gradient_checkpointing,
    )
    return model, load_tokenizer(path)


def build_optimizer(
    model: Any, cfg: Any, learning_rate: float, warmup_steps: int, total_steps: int
) -> tuple[torch.optim.Optimizer, Any]:
    """AdamW with the config's betas and weight decay, and its learning-rate schedule
    (``cfg.lr_scheduler_type``) over ``total_steps`` optimizer steps after ``warmup_steps``."""
    from transformers import get_scheduler

    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=learning_rate,
        betas=(cfg.adam_beta1, cfg.adam_beta2),
        weight_decay=cfg.weight_decay,
    )
    scheduler = get_scheduler(
        cfg.lr_scheduler_type,
        optimizer,
        num_warmup_steps=warmup_steps,
        num_training_steps=total_steps,
    )
    return optimizer, scheduler

"""Supervised fine-tuning on ``{prompt, completion}`` JSONL: the R1 cold start, and the second
SFT round on rejection-sampled completions.

The prompt is rendered exactly as ``grpo-train`` renders it (same chat template, system prompt
and truncation), the completion follows it and ends with EOS, and the loss is the token mean of
the cross-entropy over completion tokens only (prompt positions are labelled -100). The result
is a ``save_pretrained`` directory that ``grpo-train`` can start from.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from trainer_client.config import GRPOConfig
from trainer_client.data import load_jsonl, render_prompt
from trainer_client.grpo import pad_right
from trainer_client.metrics import MetricsLogger

IGNORE = -100  # label of positions that carry no loss (transformers' convention)


@dataclass(frozen=True)
class SFTArgs:
    """What SFT adds to the shared config."""

    dataset_path: str
    output_dir: str
    epochs: float = 1.0
    learning_rate: float = 1e-5
    batch_size: int = 8
    max_length: int = 1024
    warmup_ratio: float = 0.0
    log_every: int = 10


@dataclass
class SFTResult:
    output_dir: Path
    steps: int
    losses: list[float] = field(default_factory=list)


def encode_example(
    row: dict[str, Any], tokenizer: Any, cfg: GRPOConfig, max_length: int
) -> tuple[list[int], list[int]]:
    """(input_ids, labels) of one row; labels are -100 on the prompt.

    >>> # prompt "<|im_start|>user\\n2+3?<|im_end|>\\n<|im_start|>assistant\\n", completion "5"
    >>> # -> labels [-100] * len(prompt_ids) + ids("5") + [eos]        # doctest: +SKIP
    """
    if "completion" not in row:
        raise ValueError("an SFT row needs 'prompt' and 'completion'")
    text = render_prompt(row["prompt"], tokenizer, cfg.system_prompt, cfg.apply_chat_template)
    prompt_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    if cfg.max_prompt_length:
        prompt_ids = prompt_ids[-cfg.max_prompt_length :]
    completion_ids = tokenizer(str(row["completion"]), add_special_tokens=False)["input_ids"]
    completion_ids = completion_ids + [int(tokenizer.eos_token_id)]
    ids = (prompt_ids + completion_ids)[:max_length]
    labels = ([IGNORE] * len(prompt_ids) + completion_ids)[:max_length]
    return ids, labels


def collate(
    examples: Sequence[tuple[list[int], list[int]]], pad_token_id: int
) -> dict[str, torch.Tensor]:
    """Right-padded ``input_ids``, ``attention_mask`` and ``labels`` ([B, L] each)."""
    ids, mask = pad_right([e[0] for e in examples], pad_token_id)  # [B, L]
    labels, _ = pad_right([e[1] for e in examples], IGNORE)  # [B, L]
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def completion_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy over positions whose label is not -100.

    logits [B, L, V] predict labels shifted by one: position t is scored on token t + 1.
    """
    shifted = logits[:, :-1, :].float()  # [B, L - 1, V]
    targets = labels[:, 1:]  # [B, L - 1]
    return torch.nn.functional.cross_entropy(
        shifted.reshape(-1, shifted.shape[-1]), targets.reshape(-1), ignore_index=IGNORE
    )


def sft(cfg: GRPOConfig, args: SFTArgs) -> SFTResult:
    """Fine-tune ``cfg.model_name_or_path`` on ``args.dataset_path``, save in ``output_dir``."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed

    from trainer_client.model import build_optimizer, load_policy

    accelerator = Accelerator(mixed_precision="bf16" if cfg.bf16 else "no")
    set_seed(cfg.seed)
    model, tokenizer = load_policy(cfg, cfg.model_name_or_path)
    examples = [
        encode_example(r, tokenizer, cfg, args.max_length) for r in load_jsonl(args.dataset_path)
    ]
    per_epoch = math.ceil(len(examples) / args.batch_size)
    total = max(1, math.ceil(per_epoch * args.epochs))
    optimizer, scheduler = build_optimizer(
        model, cfg, args.learning_rate, int(args.warmup_ratio * total), total
    )
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    out = Path(args.output_dir)
    logger = MetricsLogger(out, ["jsonl"] if accelerator.is_main_process else [])
    rng = random.Random(cfg.seed)
    pad = int(tokenizer.pad_token_id)
    result = SFTResult(output_dir=out, steps=total)
    order: list[int] = []
    start = time.perf_counter()
    for step in range(1, total + 1):
        if len(order) < args.batch_size:  # a fresh permutation each epoch
            fresh = list(range(len(examples)))
            rng.shuffle(fresh)
            order += fresh
        batch = collate([examples[i] for i in order[: args.batch_size]], pad)
        del order[: args.batch_size]
        batch = {k: v.to(accelerator.device) for k, v in batch.items()}
        with accelerator.autocast():
            logits = model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits  # [B, L, V]
        loss = completion_loss(logits, batch["labels"])
        accelerator.backward(loss)
        if cfg.max_grad_norm is not None:
            accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        result.losses.append(float(loss.detach()))
        if step % args.log_every == 0 or step == total:
            window = result.losses[-args.log_every :]
            logger.log(
                step,
                {
                    "sft/loss": sum(window) / len(window),
                    "learning_rate": float(scheduler.get_last_lr()[0]),
                    "timing/elapsed_s": time.perf_counter() - start,
                },
            )
    logger.close()
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
    return result

"""Checkpoints a run can resume from: ``save_pretrained`` weights plus the loop's own state.

``output_dir/checkpoint-<step>/`` holds the model and tokenizer exactly as ``from_pretrained``
expects (so any checkpoint is also a usable model), and ``trainer_state.pt`` with the optimizer,
scheduler, data position and RNG states, so a resumed run continues the same sample stream.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

STATE_FILE = "trainer_state.pt"
_CKPT = re.compile(r"^checkpoint-(\d+)$")


@dataclass
class LoopState:
    """Everything besides weights and optimizer that decides what happens next."""

    step: int = 0  # rollout batches done
    prompts_drawn: int = 0  # PromptSampler position
    num_tokens: int = 0  # prompt + completion tokens seen (TRL's num_tokens)


def checkpoints(output_dir: str | Path) -> list[Path]:
    """Checkpoint dirs under ``output_dir``, oldest first."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := _CKPT.match(p.name))]
    return [p for _, p in sorted(found) if (p / STATE_FILE).exists()]


def resolve_resume(output_dir: str | Path, resume: str | bool | None) -> Path | None:
    """``True`` means the latest checkpoint in ``output_dir`` (None if there is none yet)."""
    if resume is None or resume is False:
        return None
    if resume is True:
        found = checkpoints(output_dir)
        return found[-1] if found else None
    path = Path(resume)
    if not (path / STATE_FILE).exists():
        raise FileNotFoundError(f"{path} is not a checkpoint (no {STATE_FILE})")
    return path


def save_checkpoint(
    output_dir: str | Path,
    model: Any,
    tokenizer: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    state: LoopState,
    total_limit: int | None = None,
) -> Path:
    """Write ``checkpoint-<step>`` and prune the oldest beyond ``total_limit``."""
    path = Path(output_dir) / f"checkpoint-{state.step}"
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(path))
    tokenizer.save_pretrained(str(path))
    torch.save(
        {
            "loop": asdict(state),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict() if scheduler is not None else None,
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate()},
        },
        path / STATE_FILE,
    )
    if total_limit is not None:
        for old in checkpoints(output_dir)[:-total_limit]:
            shutil.rmtree(old, ignore_errors=True)
    return path


def load_state(path: str | Path, optimizer: torch.optim.Optimizer, scheduler: Any) -> LoopState:
    """Restore optimizer, scheduler and RNGs in place; the weights come via from_pretrained."""
    blob = torch.load(Path(path) / STATE_FILE, map_location="cpu", weights_only=False)
    optimizer.load_state_dict(blob["optimizer"])
    if scheduler is not None and blob.get("scheduler") is not None:
        scheduler.load_state_dict(blob["scheduler"])
    torch.set_rng_state(blob["rng"]["torch"])
    random.setstate(blob["rng"]["python"])
    return LoopState(**blob["loop"])

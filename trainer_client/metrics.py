"""Where numbers go: a JSONL file (one object per step), TensorBoard, a rich progress bar, a PNG.

Metric names follow TRL's GRPO trainer (``reward``, ``reward_std``, ``rewards/<name>/mean``,
``kl``, ``entropy``, ``clip_ratio/*``, ``completions/*``, ``frac_reward_zero_std``) so existing
dashboards read these runs; timings live under ``timing/``.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PLOTTED = (
    ("reward", "reward"),
    ("eval/pass@1", "held-out pass@1"),
    ("kl", "KL"),
    ("completions/mean_length", "mean length"),
)


def _clean(value: Any) -> Any:
    """JSON has no NaN: write null instead."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsLogger:
    """Appends each step's metrics to ``metrics.jsonl`` and, if asked, to TensorBoard."""

    def __init__(self, output_dir: str | Path, report_to: Sequence[str] = ("jsonl",)) -> None:
        self.dir = Path(output_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / "metrics.jsonl"
        self._jsonl = self.path.open("a") if "jsonl" in report_to else None
        self._tb = None
        if "tensorboard" in report_to:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(log_dir=str(self.dir / "tensorboard"))

    def log(self, step: int, metrics: Mapping[str, float]) -> None:
        if self._jsonl is not None:
            row = {"step": step, **{k: _clean(v) for k, v in metrics.items()}}
            self._jsonl.write(json.dumps(row) + "\n")
            self._jsonl.flush()
        if self._tb is not None:
            for key, value in metrics.items():
                if isinstance(value, int | float) and math.isfinite(value):
                    self._tb.add_scalar(f"train/{key}", value, step)
            self._tb.flush()

    def log_samples(self, step: int, samples: Sequence[Mapping[str, Any]]) -> None:
        """A few (prompt, completion, reward) rows per step in ``completions.jsonl``."""
        if self._jsonl is None:
            return
        with (self.dir / "completions.jsonl").open("a") as f:
            for sample in samples:
                f.write(json.dumps({"step": step, **sample}, default=str) + "\n")

    def close(self) -> None:
        if self._jsonl is not None:
            self._jsonl.close()
        if self._tb is not None:
            self._tb.close()


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """One row per step: train and eval rows of a step merge, later values win (resume)."""
    by_step: dict[int, dict[str, Any]] = {}
    for line in Path(path).read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            by_step.setdefault(int(row["step"]), {}).update(row)
    return [by_step[s] for s in sorted(by_step)]


def plot_metrics(metrics_path: str | Path, out_png: str | Path | None = None) -> Path:
    """Reward, held-out pass@1, KL and mean completion length per step, saved as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_metrics(metrics_path)
    out = Path(out_png) if out_png else Path(metrics_path).with_suffix(".png")
    fig, axes = plt.subplots(len(PLOTTED), 1, figsize=(7, 2.4 * len(PLOTTED)), sharex=True)
    for ax, (key, label) in zip(axes, PLOTTED, strict=True):
        points = [(r["step"], r[key]) for r in rows if r.get(key) is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="." if len(xs) < 50 else None)
        else:
            ax.text(0.5, 0.5, f"no {key} logged", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("step")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


class Progress:
    """A rich progress bar showing live reward, KL and step time; silent when disabled.

    When stderr is not a terminal (a log file, a batch job), a bar would show nothing until
    the end: one plain line per step goes to stderr instead.
    """

    def __init__(self, total: int, start: int = 0, enabled: bool = True) -> None:
        self._bar = None
        self._lines = enabled and not sys.stderr.isatty()
        self._total, self._step = total, start
        if not enabled or self._lines:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]GRPO"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("reward {task.fields[reward]}  kl {task.fields[kl]}  {task.fields[dt]}"),
            TimeRemainingColumn(),
        )
        self._task = self._bar.add_task("train", total=total, completed=start, **_fields({}))
        self._bar.start()

    def update(self, metrics: Mapping[str, float]) -> None:
        self._step += 1
        if self._lines:
            f = _fields(metrics)
            line = f"step {self._step}/{self._total}  reward {f['reward']}  kl {f['kl']}  {f['dt']}"
            print(line, file=sys.stderr, flush=True)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, **_fields(metrics))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()


def _fields(m: Mapping[str, float]) -> dict[str, str]:
    def fmt(key: str, spec: str) -> str:
        value = m.get(key)
        return "-" if value is None or not math.isfinite(value) else format(value, spec)

    return {
        "reward": fmt("reward", ".3f"),
        "kl": fmt("kl", ".4f"),
        "dt": fmt("timing/step_s", ".2f") + "s/step",
    }

"""Progress for long gradings: a tqdm bar on a terminal, one plain line per N items otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``update(n)`` after each chunk; ``close()`` at the end. Writes to ``stream`` (stderr)."""

    def __init__(
        self, total: int, done: int = 0, every: int = 1000, stream: TextIO | None = None
    ) -> None:
        self.total, self.done, self.every = total, done, max(1, every)
        self.stream = stream or sys.stderr
        self.started = time.perf_counter()
        self._graded = 0
        self._next_line = done + self.every
        self._bar = None
        if self.stream.isatty():
            try:
                from tqdm import tqdm
            except ImportError:  # plain lines then
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(
                    total=total, initial=done, unit="row", file=self.stream, dynamic_ncols=True
                )

    @property
    def rate(self) -> float:
        """Rows graded per second in this run (resumed rows not counted)."""
        elapsed = time.perf_counter() - self.started
        return self._graded / elapsed if elapsed > 0 else 0.0

    def update(self, count: int) -> None:
        self.done += count
        self._graded += count
        if self._bar is not None:
            self._bar.update(count)
            return
        if self.done >= self._next_line or self.done >= self.total:
            print(
                f"graded {self.done}/{self.total} rows ({self.rate:.1f} rows/s)",
                file=self.stream,
                flush=True,
            )
            self._next_line = (self.done // self.every + 1) * self.every

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

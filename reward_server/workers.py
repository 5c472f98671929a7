"""Killable worker processes for CPU-bound grading (math-verify + sympy).

A grader that hangs must cost its item one deadline, never the server. pebble's
``ProcessPool`` kills and replaces a worker whose task runs past its timeout, which a
thread or ``concurrent.futures`` pool cannot do. Workers are forked from a forkserver that
has already imported math-verify and parsed a set of typical answers, so a replacement
is ready, and warm, in milliseconds.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from pebble import ProcessExpired, ProcessPool

from reward_server import metrics

log = logging.getLogger(__name__)

_PRELOAD = ["reward_server.rewards.math_warm"]


class WorkerTimeout(Exception):
    """The task ran past its deadline; its worker was killed and replaced."""


class WorkerCrashed(Exception):
    """The worker process died while grading (segfault, OOM kill, ...)."""


def _ready() -> bool:
    return True


class WorkerPool:
    """An asyncio face on a pebble process pool."""

    def __init__(self, workers: int, max_tasks_per_worker: int = 2000) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        self._workers = workers
        self._pool = ProcessPool(
            max_workers=workers,
            max_tasks=max_tasks_per_worker,
            context=context,
        )

    async def start(self) -> None:
        """Start the forkserver and every worker now, not on the first request."""
        await asyncio.gather(*(self.run(_ready, timeout_s=120) for _ in range(self._workers)))

    @property
    def alive(self) -> bool:
        return self._pool.active

    @property
    def size(self) -> int:
        return self._workers

    async def run(self, fn: Callable[..., Any], *args: Any, timeout_s: float) -> Any:
        """Run ``fn(*args)`` in a worker; kill that worker if it is not done in ``timeout_s``."""
        future = self._pool.schedule(fn, args=args, timeout=timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            metrics.WORKER_RESTARTS.labels(reason="timeout").inc()
            raise WorkerTimeout(f"grading exceeded its {timeout_s:g} s deadline") from exc
        except ProcessExpired as exc:
            metrics.WORKER_RESTARTS.labels(reason="crash").inc()
            raise WorkerCrashed(f"grading worker died (exit code {exc.exitcode})") from exc
        except asyncio.CancelledError:
            future.cancel()
            raise

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)

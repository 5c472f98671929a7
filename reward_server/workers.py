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
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from pebble import ProcessExpired, ProcessPool

from reward_server import metrics

log = logging.getLogger(__name__)

_PRELOAD = ["reward_server.math_warm"]


class WorkerTimeout(Exception):
    """The task ran past its deadline; its worker was killed and replaced."""


class WorkerCrashed(Exception):
    """The worker process died while grading (segfault, OOM kill, ...)."""


def _ready() -> bool:
    return True


class WorkerPool:
    """An asyncio face on a pebble process pool that rebuilds itself if the pool breaks.

    pebble replaces a killed worker by itself, but if its manager thread fails (the
    forkserver died, a worker could not be started) the whole pool stays broken and answers
    every task with ``RuntimeError``. A server that runs for days must recover from that.
    """

    def __init__(self, workers: int, max_tasks_per_worker: int = 2000) -> None:
        self._workers = workers
        self._max_tasks = max_tasks_per_worker
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return ProcessPool(max_workers=self._workers, max_tasks=self._max_tasks, context=context)

    def _rebuild(self, reason: str) -> None:
        log.error("grading pool broken (%s); starting a new one", reason)
        metrics.WORKER_RESTARTS.labels(reason="pool_broken").inc()
        broken, self._pool = self._pool, self._new_pool()
        try:
            broken.stop()
        except Exception:  # already dead: nothing left to stop
            log.debug("stopping the broken pool failed", exc_info=True)

    async def start(self) -> None:
        """Start the forkserver and every worker now, not on the first request."""
        await asyncio.gather(*(self.run(_ready, timeout_s=120) for _ in range(self._workers)))

    @property
    def alive(self) -> bool:
        return self._pool.active

    async def run(self, fn: Callable[..., Any], *args: Any, timeout_s: float) -> Any:
        """Run ``fn(*args)`` in a worker; kill that worker if it is not done in ``timeout_s``."""
        try:
            future = self._pool.schedule(fn, args=args, timeout=timeout_s)
        except RuntimeError as exc:  # pebble: "Unexpected error within the Pool"
            self._rebuild(str(exc))
            future = self._pool.schedule(fn, args=args, timeout=timeout_s)
        try:
            return await asyncio.wrap_future(future)
        except FutureTimeout as exc:
            metrics.WORKER_RESTARTS.labels(reason="timeout").inc()
            raise WorkerTimeout(f"grading exceeded its {timeout_s:g} s deadline") from exc
        except ProcessExpired as exc:
            metrics.WORKER_RESTARTS.labels(reason="crash").inc()
            raise WorkerCrashed(f"grading worker died (exit code {exc.exitcode})") from exc
        except (BrokenProcessPool, RuntimeError) as exc:
            self._rebuild(str(exc))
            raise WorkerCrashed(f"grading pool failed: {exc}") from exc
        except asyncio.CancelledError:
            future.cancel()
            raise

    def close(self) -> None:
        self._pool.stop()
        self._pool.join(timeout=10)

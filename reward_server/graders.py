"""The long-lived grading resources of one server process, created in the app's lifespan.

``Graders`` owns them (start, readiness, close) and lends them to the rewards that declare
them (``registry.Resources``); which reward grades what is the rewards' business.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from reward_server.rewards.math import MathGrader
from reward_server.settings import Settings
from reward_server.workers import WorkerPool
from sandbox import SandboxPool

log = logging.getLogger(__name__)


class Graders:
    """Worker processes for math (with their verdict cache) and the sandbox pool for code.

    A sandbox pool that cannot start (no Docker engine yet, image missing) does not stop the
    server: math keeps grading, code items get ``sandbox_error``, ``/readyz`` says why, and
    the pool is retried in the background until it starts.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers = WorkerPool(settings.grader_workers)
        self.math = MathGrader(self.workers, settings.cache_size, settings.math_timeout_s)
        self.sandbox: SandboxPool | None = None
        self.sandbox_problem: str | None = None
        self._sandbox_starter: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start what takes time, so that /readyz turns green only when grading is fast."""
        await self.workers.start()
        if self.settings.sandbox_enabled:
            if not await self._start_sandbox():
                self._sandbox_starter = asyncio.ensure_future(self._keep_starting_sandbox())

    async def _start_sandbox(self) -> bool:
        pool = SandboxPool(self.settings.sandbox)
        try:
            await pool.start()
        except Exception as exc:
            self.sandbox_problem = f"{type(exc).__name__}: {exc}"
            log.warning("sandbox pool not started: %s", self.sandbox_problem)
            with contextlib.suppress(Exception):
                await pool.close()
            return False
        self.sandbox, self.sandbox_problem = pool, None
        return True

    async def _keep_starting_sandbox(self) -> None:
        while not await self._start_sandbox():
            await asyncio.sleep(self.settings.sandbox_retry_s)

    @property
    def sandbox_enabled(self) -> bool:
        return self.settings.sandbox_enabled

    async def close(self) -> None:
        if self._sandbox_starter is not None:
            self._sandbox_starter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sandbox_starter
        try:
            if self.sandbox is not None:
                await self.sandbox.close()
        finally:  # the math workers stop even when the sandboxes could not be removed
            self.workers.close()

    def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {"math_workers": self.workers.alive}
        if self.settings.sandbox_enabled:
            checks["sandbox"] = self.sandbox is not None and self.sandbox.ready
            if self.sandbox_problem:
                checks["sandbox_problem"] = self.sandbox_problem
        return checks

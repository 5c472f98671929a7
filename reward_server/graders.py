"""The long-lived grading resources of one server process, created in the app's lifespan."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.catalog import ACCURACY
from reward_server.rewards.math import MathGrader
from reward_server.schemas import Item, ScoreOptions
from reward_server.settings import Settings
from reward_server.workers import WorkerPool

log = logging.getLogger(__name__)


class Graders:
    """Worker processes for math, the sandbox pool for code; ``accuracy`` routes between them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers = WorkerPool(settings.grader_workers)
        self.math = MathGrader(self.workers, settings.cache_size, settings.math_timeout_s)
        self.sandbox: Any = None

    async def start(self) -> None:
        """Start what takes time, so that /readyz turns green only when grading is fast."""
        await self.workers.start()

    async def close(self) -> None:
        self.workers.close()

    def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {"math_workers": self.workers.alive}
        return checks

    async def accuracy(
        self, item: Item, options: ScoreOptions, params: dict[str, BaseModel]
    ) -> Score:
        """Math when the item carries an answer, code when it carries tests."""
        if item.tests is not None:
            return Score.undecided(
                ErrorType.sandbox_error, "code grading is not enabled on this server"
            )
        return await self.math.grade(item, options.timeout_s)


__all__ = ["ACCURACY", "Graders"]

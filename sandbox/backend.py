"""What a pool needs from a backend, and the errors the sandbox can raise."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class SandboxError(Exception):
    """The sandbox could not grade a job (infrastructure, not the program)."""


class SandboxBusy(SandboxError):
    """The job queue is full; retry after ``retry_after`` seconds (HTTP 429)."""

    def __init__(self, retry_after: float, message: str = "sandbox queue is full") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SandboxUnavailable(SandboxError):
    """The pool is not started, closed, or has no live sandbox (HTTP 503)."""


class WorkerBroken(SandboxError):
    """A sandbox stopped answering; it is replaced, and the job may be retried once."""


class Worker(ABC):
    """One warm runner session: a container (or process) answering JSON lines."""

    name: str = "worker"
    jobs: int = 0

    @abstractmethod
    async def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send one message, wait for its one-line answer; WorkerBroken if that fails."""

    @abstractmethod
    async def close(self) -> None:
        """Destroy the sandbox; never raises."""

    async def ended_by_itself(self) -> bool:
        """After a WorkerBroken: True when the sandbox ended from the inside (its runner died
        or it ran out of memory), False when killed from outside, still running, or unknown.
        Only an inside end may be blamed on the program that was running."""
        return False


class Backend(ABC):
    image_id: str = ""

    @abstractmethod
    async def prepare(self) -> None:
        """Check prerequisites (image, runtime) and reap sandboxes leaked by dead servers."""

    @abstractmethod
    async def spawn(self) -> Worker:
        """Start one sandbox and check its runner answers."""

    @abstractmethod
    async def shutdown(self) -> int:
        """Remove every sandbox of this pool, leaked or not; returns how many."""

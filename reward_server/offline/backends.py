"""Where offline grading happens: in this process with the server's own graders, or on a server.

Both answer ``grade(items) -> list[Graded]``, one per item, in order. The local backend is the
server minus HTTP: the same ``Graders`` (math worker processes, sandbox pool) and ``Scorer``
that ``POST /score`` uses, so a file graded offline gets the rewards the service would give.
The remote backend sends each chunk as one ``POST /score`` with the trainer's ``RewardClient``
(retries, backoff, ``Retry-After``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from reward_server.settings import Settings

T = TypeVar("T")


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when installed (as uvicorn does for the server: thousands of
    worker futures resolve through the loop), else on asyncio's loop. Ctrl-C cancels ``main``
    and raises KeyboardInterrupt, as ``asyncio.run`` does."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


class BackendError(RuntimeError):
    """Grading cannot go on (sandbox needed but not started, server refused the request)."""


@dataclass(frozen=True)
class Graded:
    """One item's grade, flattened for a table row: ``components`` maps reward -> score."""

    reward: float | None
    components: dict[str, float | None]
    error: str | None = None
    error_message: str | None = None
    detail: dict[str, Any] | None = None  # accuracy's detail (extracted answer, verdict)


class Backend(Protocol):
    async def grade(self, items: Sequence[Mapping[str, Any]]) -> list[Graded]: ...


def _flatten(reward: float | None, components: Mapping[str, Any], error: Any) -> Graded:
    scores = {name: comp.get("score") for name, comp in components.items()}
    error_type = error.get("type") if isinstance(error, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    accuracy = components.get("accuracy")
    detail = dict(accuracy.get("detail") or {}) if isinstance(accuracy, Mapping) else None
    return Graded(reward, scores, error_type, message, detail)


class LocalBackend:
    """The server's graders in this process; an async context manager that owns them."""

    def __init__(self, settings: Settings, rewards: Mapping[str, float]) -> None:
        from reward_server.scoring import RequestError, check_weights

        try:
            check_weights(dict(rewards), "--rewards")
        except RequestError as exc:
            raise BackendError(str(exc)) from exc
        self.settings = settings
        self.rewards = dict(rewards)
        self._graders: Any = None
        self._scorer: Any = None

    async def __aenter__(self) -> LocalBackend:
        from reward_server.graders import Graders
        from reward_server.scoring import Scorer

        graders = Graders(self.settings)
        await graders.start()
        if self.settings.sandbox_enabled and graders.sandbox is None:
            problem = graders.sandbox_problem
            await graders.close()
            raise BackendError(f"code rows need the sandbox, which did not start: {problem}")
        self._graders = graders
        self._scorer = Scorer(
            graders, self.settings.max_completion_chars, self.settings.max_pending_items
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._graders is not None:
            await self._graders.close()

    async def grade(self, items: Sequence[Mapping[str, Any]]) -> list[Graded]:
        from reward_server.rewards.base import TryLater
        from reward_server.schemas import ScoreRequest

        request = ScoreRequest(items=[dict(i) for i in items], rewards=self.rewards)
        while True:
            try:
                results = await self._scorer.score(request, self.settings.request_timeout_s)
                break
            except TryLater as exc:  # the service would answer 429: wait as a client would
                await asyncio.sleep(max(exc.retry_after_s, 0.1))
        return [
            _flatten(
                r.reward,
                {n: c.model_dump() for n, c in r.components.items()},
                r.error.model_dump() if r.error else None,
            )
            for r in results
        ]


class RemoteBackend:
    """A running service, through ``trainer_client.RewardClient``."""

    def __init__(
        self,
        url: str,
        rewards: Mapping[str, float],
        api_key: str | None = None,
        max_in_flight: int = 4,
        timeout_s: float = 600.0,
    ) -> None:
        from trainer_client.client import RewardClient

        self._client = RewardClient(
            url,
            rewards=rewards,
            api_key=api_key,
            batch_size=1_000_000,  # the caller's chunks are the requests
            max_in_flight=max_in_flight,
            timeout_s=timeout_s,
        )

    async def __aenter__(self) -> RemoteBackend:
        if not await self._client.healthz():
            await self._client.aclose()
            raise BackendError(f"no reward service answers at {self._client.base_url}/healthz")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def grade(self, items: Sequence[Mapping[str, Any]]) -> list[Graded]:
        from trainer_client.client import RewardServiceError

        try:
            results = await self._client.score(list(items))
        except RewardServiceError as exc:
            raise BackendError(str(exc)) from exc
        return [_flatten(r.reward, r.components, r.error) for r in results]


async def grade_many(
    backend: Backend, items: Sequence[Mapping[str, Any]], chunk_size: int = 64, in_flight: int = 8
) -> list[Graded]:
    """Grade any number of items, ``in_flight`` chunks at a time; results in order."""
    gate = asyncio.Semaphore(in_flight)

    async def one(chunk: Sequence[Mapping[str, Any]]) -> list[Graded]:
        async with gate:
            return await backend.grade(chunk)

    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    answers = await asyncio.gather(*(one(c) for c in chunks))
    return [graded for answer in answers for graded in answer]


def open_backend(
    url: str | None,
    rewards: Mapping[str, float],
    settings: Settings,
    api_key: str | None = None,
) -> LocalBackend | RemoteBackend:
    """``url`` given: a remote backend; otherwise the local one with ``settings``."""
    if url:
        return RemoteBackend(url, rewards, api_key=api_key)
    return LocalBackend(settings, rewards)

"""HTTP client for the reward service: ``POST /score`` with batching, bounded concurrency, retries.

One async implementation (``RewardClient``); ``SyncRewardClient`` runs it on a private event loop
in a background thread, so plain scripts can block on it and trainers can hold futures while they
keep the accelerator busy. Retries (tenacity, exponential backoff with jitter) cover connection
errors, timeouts, 5xx and 429 (honouring ``Retry-After``); any other 4xx is the caller's bug and
raises ``RewardRequestError`` at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email.utils
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from trainer_client.items import ItemLike, item_json


class RewardServiceError(Exception):
    """Base class of the client's errors."""


class RewardRequestError(RewardServiceError):
    """The service rejected the request (4xx other than 429): fix the request, do not retry."""

    def __init__(self, status_code: int, detail: Any) -> None:
        super().__init__(f"reward service answered {status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail


class RetryableStatusError(RewardServiceError):
    """5xx or 429; carries the server's ``Retry-After`` in seconds when it sent one."""

    def __init__(self, status_code: int, detail: Any, retry_after: float | None) -> None:
        super().__init__(f"reward service answered {status_code}: {detail}")
        self.status_code = status_code
        self.retry_after = retry_after


class RewardServiceUnavailable(RewardServiceError):
    """Retries exhausted; ``__cause__`` is the last failure."""


@dataclass(frozen=True)
class ScoreResult:
    """One item's grade. ``reward`` None: the service could not decide (drop from statistics)."""

    index: int
    id: str | int | None
    reward: float | None
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    elapsed_ms: float = 0.0

    def component_score(self, name: str) -> float | None:
        """The unweighted score of one reward (``accuracy``, ``format``...), None if absent."""
        comp = self.components.get(name)
        return None if comp is None else comp.get("score")


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date.

    >>> parse_retry_after("3")
    3.0
    >>> parse_retry_after(None) is None
    True
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, RetryableStatusError | httpx.TransportError)


class _WaitHonouringRetryAfter:
    """Backoff that uses the server's ``Retry-After`` when given, exponential jitter otherwise."""

    def __init__(self, initial: float, maximum: float, retry_after_max: float) -> None:
        self.retry_after_max = retry_after_max
        try:  # tenacity >= 9.1 names the base delay `multiplier`
            self.fallback = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
        except TypeError:
            self.fallback = wait_exponential_jitter(initial=initial, max=maximum, jitter=initial)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatusError) and exc.retry_after is not None:
            return min(exc.retry_after, self.retry_after_max)
        return self.fallback(state)


class RewardClient:
    """Async client for ``POST /score``.

    ``score`` splits items into batches of ``batch_size``, sends at most ``max_in_flight`` of
    them at once over one pooled connection set, and returns one ``ScoreResult`` per item, in
    the order given, whatever order the batches finish in.

    >>> async def main():                                            # doctest: +SKIP
    ...     async with RewardClient("http://localhost:8000", rewards={"accuracy": 1.0}) as rc:
    ...         [r] = await rc.score([{"completion": "\\\\boxed{7}", "answer": "7"}])
    ...         return r.reward
    """

    def __init__(
        self,
        base_url: str,
        rewards: Mapping[str, float] | None = None,
        *,
        options: Mapping[str, Any] | None = None,
        api_key: str | None = None,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 10.0,
        batch_size: int = 64,
        max_in_flight: int = 8,
        max_retries: int = 6,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if batch_size < 1 or max_in_flight < 1:
            raise ValueError("batch_size and max_in_flight must be >= 1")
        self.base_url = base_url.rstrip("/")
        self.rewards = dict(rewards) if rewards is not None else None
        self.options = dict(options) if options is not None else None
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.max_retries = max_retries
        self._wait = _WaitHonouringRetryAfter(backoff_initial_s, backoff_max_s, retry_after_max_s)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(
                max_connections=max_in_flight, max_keepalive_connections=max_in_flight
            ),
            transport=transport,
        )
        self._semaphore: asyncio.Semaphore | None = None
        self.retries = 0  # total retried attempts, for metrics

    async def __aenter__(self) -> RewardClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def _body(
        self,
        items: Sequence[ItemLike],
        rewards: Mapping[str, float] | None,
        options: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"items": [item_json(i) for i in items]}
        weights = rewards if rewards is not None else self.rewards
        if weights is not None:
            body["rewards"] = dict(weights)
        opts = options if options is not None else self.options
        if opts is not None:
            body["options"] = dict(opts)
        return body

    async def _post_once(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        response = await self._http.post("/score", json=body)
        if response.status_code == 200:
            return response.json()["results"]
        try:
            detail = response.json().get("detail")
        except ValueError:
            detail = response.text[:500]
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RetryableStatusError(response.status_code, detail, retry_after)
        raise RewardRequestError(response.status_code, detail)

    async def score_batch(
        self,
        items: Sequence[ItemLike],
        rewards: Mapping[str, float] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> list[ScoreResult]:
        """One request (with retries) for up to ``batch_size`` items."""
        body = self._body(items, rewards, options)
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_in_flight)
        retrying = AsyncRetrying(
            retry=retry_if_exception(_is_retryable),
            wait=self._wait,
            stop=stop_after_attempt(self.max_retries + 1),
            reraise=False,
        )
        async with self._semaphore:
            try:
                async for attempt in retrying:
                    with attempt:
                        if attempt.retry_state.attempt_number > 1:
                            self.retries += 1
                        raw = await self._post_once(body)
            except RewardRequestError:
                raise
            except Exception as exc:  # tenacity.RetryError wraps the last failure
                last = getattr(exc, "last_attempt", None)
                cause = last.exception() if last is not None else exc
                raise RewardServiceUnavailable(
                    f"reward service at {self.base_url} failed after {self.max_retries + 1} "
                    f"attempts: {cause}"
                ) from cause
        return match_results(raw, len(items))

    async def score(
        self,
        items: Sequence[ItemLike],
        rewards: Mapping[str, float] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> list[ScoreResult]:
        """Grade any number of items; results in input order, ``index`` relative to ``items``."""
        chunks = [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]
        answers = await asyncio.gather(*(self.score_batch(c, rewards, options) for c in chunks))
        out: list[ScoreResult] = []
        for offset, chunk in zip(range(0, len(items), self.batch_size), answers, strict=True):
            out.extend(_reindex(r, offset + r.index) for r in chunk)
        return out

    async def healthz(self) -> bool:
        """True when ``/healthz`` answers 200."""
        try:
            return (await self._http.get("/healthz")).status_code == 200
        except httpx.HTTPError:
            return False


def match_results(raw: Sequence[Mapping[str, Any]], n: int) -> list[ScoreResult]:
    """Put a response's results back in request order by their ``index`` field.

    The contract gives each result the ``index`` of its item; a result without one falls back
    to its position. Missing, repeated or out-of-range indices raise ``RewardServiceError``
    rather than hand one item's reward to another.
    """
    if len(raw) != n:
        raise RewardServiceError(f"sent {n} items, got {len(raw)} results")
    results = [_result(r, i) for i, r in enumerate(raw)]
    by_index = {r.index: r for r in results}
    if sorted(by_index) != list(range(n)):
        raise RewardServiceError(
            f"result indices {sorted(r.index for r in results)} do not match items 0..{n - 1}"
        )
    return [by_index[i] for i in range(n)]


def _result(raw: Mapping[str, Any], position: int) -> ScoreResult:
    reward = raw.get("reward")
    return ScoreResult(
        index=int(raw.get("index", position)),
        id=raw.get("id"),
        reward=None if reward is None else float(reward),
        components=dict(raw.get("components") or {}),
        error=raw.get("error"),
        elapsed_ms=float(raw.get("elapsed_ms") or 0.0),
    )


def _reindex(result: ScoreResult, index: int) -> ScoreResult:
    return ScoreResult(
        index, result.id, result.reward, result.components, result.error, result.elapsed_ms
    )


class SyncRewardClient:
    """Blocking facade over ``RewardClient``, with ``submit`` for fire-now-collect-later.

    The async client lives on an event loop in a daemon thread; ``submit`` returns a
    ``concurrent.futures.Future`` at once, which is how the trainer sends a group's request
    and goes back to generating.
    """

    def __init__(self, base_url: str, rewards: Mapping[str, float] | None = None, **kwargs: Any):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="rewards")
        self._thread.start()
        self._client: RewardClient = self._call(_make_client(base_url, rewards, kwargs)).result()

    def _call(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    @property
    def retries(self) -> int:
        return self._client.retries

    def submit(
        self,
        items: Sequence[ItemLike],
        rewards: Mapping[str, float] | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> concurrent.futures.Future[list[ScoreResult]]:
        """Start grading now; the future resolves to the results in order."""
        return self._call(self._client.score(list(items), rewards, options))

    def score(
        self,
        items: Sequence[ItemLike],
        rewards: Mapping[str, float] | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> list[ScoreResult]:
        """Grade and wait."""
        return self.submit(items, rewards, options).result(timeout)

    def healthz(self) -> bool:
        return self._call(self._client.healthz()).result()

    def close(self) -> None:
        """Close connections and stop the loop thread; idempotent."""
        if self._loop.is_closed():
            return
        self._call(self._client.aclose()).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> SyncRewardClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _make_client(
    base_url: str, rewards: Mapping[str, float] | None, kwargs: dict[str, Any]
) -> RewardClient:
    """Built on the loop thread so httpx binds its pool to that loop."""
    return RewardClient(base_url, rewards, **kwargs)


def wait_for_service(base_url: str, timeout_s: float = 60.0, interval_s: float = 0.5) -> None:
    """Block until ``/healthz`` answers 200, or raise ``RewardServiceUnavailable``."""
    deadline = time.monotonic() + timeout_s
    url = base_url.rstrip("/") + "/healthz"
    while True:
        try:
            if httpx.get(url, timeout=5.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RewardServiceUnavailable(f"{url} not healthy after {timeout_s:.0f}s")
        time.sleep(interval_s)


def check_service(base_url: str, timeout_s: float = 5.0) -> None:
    """One ``GET /healthz`` before a run starts; raise ``RewardServiceUnavailable`` in one line.

    A run against a wrong ``reward_url`` would otherwise load the model, generate, and only then
    spend its whole retry budget (tens of seconds) before failing on the first ``/score``.
    """
    url = base_url.rstrip("/") + "/healthz"
    try:
        response = httpx.get(url, timeout=timeout_s)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise RewardServiceUnavailable(
            f"reward service not reachable at {base_url} ({reason}); "
            "start it with `reward-server serve` or set reward_url"
        ) from None
    if response.status_code != 200:
        raise RewardServiceUnavailable(
            f"reward service at {base_url} answered /healthz with {response.status_code}"
        )

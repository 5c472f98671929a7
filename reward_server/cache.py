"""A bounded verdict cache that also merges identical requests already in flight.

A GRPO group of 16 samples often holds a handful of distinct answers, and all 16 arrive in
the same batch: without merging in-flight work, every duplicate would miss the cache and
occupy a worker. Only decided verdicts are stored; a timeout is retried next time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from cachetools import LRUCache

from reward_server import metrics

V = TypeVar("V")


class VerdictCache(Generic[V]):
    def __init__(self, name: str, maxsize: int, keep: Callable[[V], bool]) -> None:
        self._name = name
        self._done: LRUCache[Hashable, V] = LRUCache(maxsize=maxsize) if maxsize > 0 else None
        self._pending: dict[Hashable, asyncio.Future[V]] = {}
        self._keep = keep

    async def get_or_compute(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> V:
        """Return the cached verdict for ``key`` or compute it exactly once."""
        if self._done is not None and key in self._done:
            metrics.CACHE_HITS.labels(cache=self._name).inc()
            return self._done[key]
        pending = self._pending.get(key)
        if pending is not None:
            metrics.CACHE_HITS.labels(cache=self._name).inc()
            return await asyncio.shield(pending)
        metrics.CACHE_MISSES.labels(cache=self._name).inc()
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: waiters re-raise it, nobody else must
            raise
        finally:
            self._pending.pop(key, None)
        future.set_result(value)
        if self._done is not None and self._keep(value):
            self._done[key] = value
        return value

    def __len__(self) -> int:
        return len(self._done) if self._done is not None else 0

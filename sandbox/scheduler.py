"""Which waiting job gets the next free sandbox: round-robin across requests, FIFO within one.

A plain FIFO let one request that queued hundreds of slow programs hold every sandbox while
the jobs of every later request waited behind all of them. Here each request (named by the
``REQUEST`` context variable, which the server sets once per HTTP request and every task of
that request inherits) has its own line, and a free sandbox goes to the line served least
recently: with ``k`` requests waiting, each gets about ``1/k`` of the pool, and a request
alone gets all of it. Within a request, second runs of jobs that timed out in their short
first run wait until the request's first runs have been served.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")

REQUEST: ContextVar[str] = ContextVar("sandbox_request", default="")
CHECK_S = 5.0  # how often a waiter asks whether it should give up


class FairQueue(Generic[T]):
    """Free items (sandboxes) and the waiters for them, one FIFO line per owner."""

    def __init__(self) -> None:
        self._free: deque[T] = deque()
        # owner -> (waiters, waiters served only once the first line is empty)
        self._lines: OrderedDict[str, tuple[deque[asyncio.Future[T | None]],
                                            deque[asyncio.Future[T | None]]]] = OrderedDict()

    def qsize(self) -> int:
        """Free items not yet handed out."""
        return len(self._free)

    def empty(self) -> bool:
        return not self._free

    def put(self, item: T) -> None:
        """Hand ``item`` to the head of the least recently served line, or keep it free."""
        while self._lines:
            owner, (now, later) = next(iter(self._lines.items()))
            waiter = (now or later).popleft()
            if now or later:
                self._lines.move_to_end(owner)
            else:
                del self._lines[owner]
            if not waiter.done():
                waiter.set_result(item)
                return
        self._free.append(item)

    def take(self) -> T | None:
        """A free item now, or None: never waits (free items exist only when nobody waits)."""
        return self._free.popleft() if self._free else None

    def close(self) -> None:
        """Wake every waiter with None (the pool is closing)."""
        lines, self._lines = self._lines, OrderedDict()
        for now, later in lines.values():
            for waiter in (*now, *later):
                if not waiter.done():
                    waiter.set_result(None)

    async def get(self, owner: str, check: Callable[[], None], later: bool = False) -> T | None:
        """The next free item for ``owner`` (None once closed); with ``later``, only after
        the owner's other waiters (second runs of slow jobs). ``check`` runs every
        ``CHECK_S`` seconds of waiting and may raise to give up. A waiter cancelled after an
        item reached it hands the item on: cancellation never loses a sandbox."""
        if self._free:
            return self._free.popleft()
        waiter: asyncio.Future[T | None] = asyncio.get_running_loop().create_future()
        self._lines.setdefault(owner, (deque(), deque()))[1 if later else 0].append(waiter)
        try:
            while True:
                done, _ = await asyncio.wait({waiter}, timeout=CHECK_S)
                if done:
                    return waiter.result()
                check()
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                item = waiter.result()
                if item is not None:
                    self.put(item)
            else:
                waiter.cancel()  # put() skips it
            raise

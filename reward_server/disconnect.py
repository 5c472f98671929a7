"""Work ends when its request ends: grading stops once the client has gone away.

Starlette does not cancel a handler whose client disconnected, so an abandoned batch of
programs would keep every sandbox busy until it was graded for nobody. ``until_disconnected``
runs the grading as a task and cancels it when the connection closes; cancellation reaches
the sandbox pool, which drops the request's queued jobs and stops its running ones.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

from starlette.requests import Request

T = TypeVar("T")
POLL_S = 0.5  # how often the connection is looked at while grading runs


async def until_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``; if the client disconnects first, cancel it and raise CancelledError."""
    task = asyncio.ensure_future(work)
    while True:
        done, _ = await asyncio.wait({task}, timeout=POLL_S)
        if done:
            return task.result()
        if await request.is_disconnected():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise asyncio.CancelledError("client disconnected")

"""The grading pool survives killed workers and a dead forkserver."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from multiprocessing import forkserver

import psutil
import pytest

from reward_server.rewards.math_check import MathVerdict, check_answer
from reward_server.workers import WorkerCrashed, WorkerPool


def _children_running(pid: int) -> list[psutil.Process]:
    return [p for p in psutil.Process(pid).children(recursive=True) if p.is_running()]


def _slow(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


def test_killed_worker_is_a_typed_crash_and_replaced() -> None:
    async def scenario() -> None:
        pool = WorkerPool(1)
        try:
            worker_pid = await pool.run(os.getpid, timeout_s=30)
            task = asyncio.ensure_future(pool.run(_slow, 5.0, timeout_s=30))
            await asyncio.sleep(0.5)
            os.kill(worker_pid, signal.SIGKILL)
            with pytest.raises(WorkerCrashed):
                await task
            verdict = await pool.run(check_answer, "2", ("2",), 5, timeout_s=30)
            assert verdict.correct is True
        finally:
            pool.close()

    asyncio.run(scenario())


def test_pool_rebuilds_after_its_forkserver_dies() -> None:
    async def scenario() -> None:
        pool = WorkerPool(1)
        try:
            worker_pid = await pool.run(os.getpid, timeout_s=30)
            server_pid = forkserver._forkserver._forkserver_pid
            assert server_pid
            os.kill(server_pid, signal.SIGKILL)
            os.kill(worker_pid, signal.SIGKILL)
            outcomes = []
            for _ in range(5):  # the first tries may fail while the pool notices
                try:
                    outcomes.append(await pool.run(check_answer, "3", ("3",), 5, timeout_s=30))
                except WorkerCrashed:
                    outcomes.append(None)
                    await asyncio.sleep(0.5)
            assert outcomes[-1] == MathVerdict(correct=True, reason="equivalent", matched=0)
        finally:
            pool.close()

    asyncio.run(scenario())

"""Work ends when its request ends, and one request cannot hold the pool.

A job nobody waits for any more (its request's deadline passed, its client went away) leaves
the queue, or is stopped with its sandbox if it was running. Jobs of different requests take
turns for free sandboxes, so a request that queued many slow programs does not make a later
request wait for all of them.
"""

from __future__ import annotations

import asyncio
import re

import docker
import httpx
import pytest

from sandbox import CodeJob, Limits, SandboxPool, parse_tests
from sandbox.scheduler import REQUEST
from tests.reliability.helpers import code_server, stop_and_check, wait_until

from .conftest import test_settings

ASYNC = pytest.mark.asyncio(loop_scope="session")

THREE = parse_tests({"type": "stdin_stdout", "cases": [{"input": "", "output": "3\n"}]})


def sleeper(i: int, seconds: float = 3.0) -> CodeJob:
    return CodeJob(language="python", code=f"import time\ntime.sleep({seconds})  # {i}\nprint(3)",
                   tests=THREE, limits=Limits(time_s=2, wall_time_s=8))


@ASYNC
async def test_abandoned_jobs_leave_the_queue_and_stop(sandbox_image: str) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, cache_size=0)) as pool:
        callers = [asyncio.ensure_future(pool.run(sleeper(i))) for i in range(6)]
        await asyncio.sleep(1.0)  # one runs, five wait
        for c in callers:
            c.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
        assert pool.counts["abandoned"] == 6
        assert pool.stats()["waiting"] == 0
        honest = await pool.run(CodeJob(language="python", code="print(3)", tests=THREE))
        assert honest.verdict.value == "pass"
        assert pool.counts["jobs"] == 1  # only the honest one was graded
        assert pool.counts["recycle:abandoned"] == 1  # the running sleeper was stopped


@ASYNC
async def test_a_shared_job_runs_while_anyone_still_waits(sandbox_image: str) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, cache_size=0)) as pool:
        job = sleeper(0, 0.5)
        first, second = (asyncio.ensure_future(pool.run(job)) for _ in range(2))
        await asyncio.sleep(0.1)
        first.cancel()
        result = await second
        assert result.verdict.value == "pass" and pool.counts["abandoned"] == 0


@ASYNC
async def test_identical_job_sent_again_after_abandoning_is_graded(sandbox_image: str) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, cache_size=0)) as pool:
        job = sleeper(0, 0.3)
        first = asyncio.ensure_future(pool.run(job))
        await asyncio.sleep(0.2)
        first.cancel()
        await asyncio.sleep(0)  # the caller has given up; its job is still being stopped
        again = await pool.run(job)
        assert again.verdict.value == "pass", again


@ASYNC
async def test_requests_take_turns_for_sandboxes(sandbox_image: str) -> None:
    """Request A queues six slow programs, then request B one fast one: B is served after at
    most one of A's (the pool has one sandbox), not after all six."""
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, cache_size=0)) as pool:
        order: list[str] = []

        async def submit(owner: str, name: str, job: CodeJob) -> None:
            REQUEST.set(owner)  # this task's own context: as the server does per request
            await pool.run(job)
            order.append(name)

        slow = [asyncio.ensure_future(submit("a", f"a{i}", sleeper(i, 0.3))) for i in range(6)]
        await asyncio.sleep(0.2)
        fast = asyncio.ensure_future(submit("b", "b", CodeJob(
            language="python", code="print(3)", tests=THREE)))
        await asyncio.gather(*slow, fast)
        assert order.index("b") <= 2, order


@ASYNC
async def test_cheap_item_is_not_starved_behind_slow_ones_of_its_request(
        sandbox_image: str) -> None:
    """One request: two programs that run out their time, then an honest one. Every job's
    first run gets a short slice and only the slow ones run again with their full limits, after
    the request's other first runs: the honest item is graded before any slow one finishes."""
    settings = test_settings(sandbox_image, pool_size=1, cache_size=0, first_pass_time_s=0.2)
    async with SandboxPool(settings) as pool:
        order: list[str] = []
        REQUEST.set("one-request")

        async def submit(name: str, job: CodeJob) -> None:
            result = await pool.run(job)
            order.append(f"{name}:{result.verdict.value}")

        slow = [asyncio.ensure_future(submit(f"slow{i}", CodeJob(
            language="python", code=f"import time\ntime.sleep(5)  # {i}\nprint(3)",
            tests=THREE, limits=Limits(time_s=0.5, wall_time_s=1.0)))) for i in range(2)]
        await asyncio.sleep(0.1)
        honest = asyncio.ensure_future(submit("honest", CodeJob(
            language="python", code="print(3)", tests=THREE,
            limits=Limits(time_s=0.5, wall_time_s=1.0))))
        await asyncio.gather(*slow, honest)
        assert order[0] == "honest:pass", order
        assert sorted(order[1:]) == [f"slow{i}:timeout" for i in range(2)]
        assert pool.counts["second_pass"] == 2


def _metric(text: str, name: str) -> float:
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


def test_http_deadline_and_disconnect_release_the_pool(
        sandbox_image: str, docker_client: docker.DockerClient) -> None:
    """Over HTTP: a request whose deadline passes, and one whose client hangs up, leave no
    work behind; the next request is graded at once."""
    server = code_server(sandbox_image, pool_size=1, VR_REQUEST_TIMEOUT_S="2",
                         VR_SANDBOX__LIMITS__WALL_TIME_S="8")
    try:
        def items(tag: str) -> list[dict]:
            return [{"id": f"{tag}{i}", "tests": {"type": "stdin_stdout", "cases": [
                {"input": "", "output": "3\n"}]}, "completion":
                f"```python\nimport time\ntime.sleep(4)  # {tag}{i}\nprint(3)\n```"}
                for i in range(3)]

        def abandoned() -> float:
            return _metric(httpx.get(f"{server.url}/metrics", timeout=5).text,
                           "sandbox_abandoned_total")

        late = httpx.post(f"{server.url}/score", json={"items": items("late")}, timeout=30)
        assert late.status_code == 200
        assert all(r["error"]["type"] == "timeout" for r in late.json()["results"])
        assert wait_until(lambda: abandoned() == 3, 10), abandoned()
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{server.url}/score", json={"items": items("gone")}, timeout=1.0)
        assert wait_until(lambda: abandoned() == 6, 10), abandoned()
        honest = httpx.post(f"{server.url}/score", timeout=30, json={"items": [{
            "tests": {"type": "stdin_stdout", "cases": [{"input": "", "output": "3\n"}]},
            "completion": "```python\nprint(3)\n```"}]})
        assert honest.json()["results"][0]["reward"] == 1.0
    finally:
        stop_and_check(server, docker_client)

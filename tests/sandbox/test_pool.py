"""Pool behaviour: hardening flags, labels, queue bound, cache, recycling, reaping, close."""

from __future__ import annotations

import asyncio
import socket
import time

import docker
import pytest
from prometheus_client import REGISTRY

from sandbox import CodeJob, SandboxBusy, SandboxPool, SandboxUnavailable, parse_tests
from sandbox.docker_backend import LABEL, LABEL_HOST, LABEL_PID, LABEL_POOL

from .conftest import pool_containers, test_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

ECHO = parse_tests({"type": "stdin_stdout", "cases": [{"input": "5\n", "output": "5\n"}]})


def job(code: str = "print(input())", **kw: object) -> CodeJob:
    return CodeJob(language="python", code=code, tests=ECHO, **kw)


async def test_containers_are_hardened(sandbox_image: str,
                                       docker_client: docker.DockerClient) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=2)) as pool:
        assert pool.stats().get("spawn_failures", 0) == 0, pool.stats()
        containers = pool_containers(docker_client, pool.pool_id)
        assert len(containers) == 2
        for c in containers:
            check_hardening(c, pool)


def check_hardening(c: docker.models.containers.Container, pool: SandboxPool) -> None:
    c.reload()
    host = c.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["Memory"] == host["MemorySwap"] == pool.settings.container_memory_mb << 20
    assert host["PidsLimit"] == pool.settings.pids_limit
    assert host["NanoCpus"] == int(pool.settings.container_cpus * 1e9)
    assert set(host["Tmpfs"]) == {"/work", "/tmp"} and "size=" in host["Tmpfs"]["/work"]
    assert host["LogConfig"]["Type"] == "none"
    uid = c.attrs["Config"]["User"].split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000
    labels = c.labels
    assert labels[LABEL] == "1" and labels[LABEL_POOL] == pool.pool_id
    assert labels[LABEL_HOST] == socket.gethostname()


async def test_event_loop_never_blocks(pool: SandboxPool) -> None:
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        for _ in range(40):
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    slow = [job(f"import time\ntime.sleep(0.3)\nprint(input())  # {i}") for i in range(8)]
    results, _ = await asyncio.gather(asyncio.gather(*(pool.run(j) for j in slow)), ticker())
    assert all(r.verdict.value == "pass" for r in results)
    assert max(gaps) < 0.15, max(gaps)


async def test_queue_bound_raises_busy(sandbox_image: str) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, queue_size=1,
                                         retry_after_s=2.0)) as p:
        slow = [job(f"import time\ntime.sleep(0.5)\nprint(input())  # {i}") for i in range(3)]
        first = asyncio.ensure_future(p.run(slow[0]))
        await asyncio.sleep(0.05)
        second = asyncio.ensure_future(p.run(slow[1]))
        await asyncio.sleep(0.05)
        with pytest.raises(SandboxBusy) as info:
            await p.run(slow[2])
        assert info.value.retry_after >= 2.0
        assert [r.verdict.value for r in await asyncio.gather(first, second)] == ["pass", "pass"]
        assert p.stats()["busy"] == 1


async def test_cache_and_shared_runs(sandbox_image: str) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=2)) as p:
        same = [job("import time\ntime.sleep(0.2)\nprint(input())") for _ in range(5)]
        results = await asyncio.gather(*(p.run(j) for j in same))
        assert all(r.verdict.value == "pass" for r in results)
        assert p.stats()["jobs"] == 1 and p.stats()["shared"] == 4
        again = await p.run(job("import time\ntime.sleep(0.2)\nprint(input())"))
        assert again.cached and again.verdict.value == "pass"
        other_limits = job("import time\ntime.sleep(0.2)\nprint(input())",
                           limits=p.settings.limits.model_copy(update={"memory_mb": 300}))
        assert not (await p.run(other_limits)).cached


async def test_recycles_after_max_jobs_and_timeouts(sandbox_image: str,
                                                    docker_client: docker.DockerClient) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=1, cache_size=0,
                                         max_jobs_per_container=2)) as p:
        first = {c.id for c in pool_containers(docker_client, p.pool_id)}
        for i in range(3):
            assert (await p.run(job(f"print(input())  # {i}"))).verdict.value == "pass"
        loop_job = job("while True:\n    pass", limits=p.settings.limits.model_copy(
            update={"time_s": 0.5}))
        assert (await p.run(loop_job)).verdict.value == "timeout"
        assert (await p.run(job())).verdict.value == "pass"
        stats = p.stats()
        # the loop times out in its short first run and again in its full one
        assert stats["recycle:max_jobs"] >= 1 and stats["second_pass"] == 1
        assert stats["recycle:timeout"] == 2
        now = {c.id for c in pool_containers(docker_client, p.pool_id)}
        assert not first & now and len(now) == 1


async def test_broken_container_is_replaced(sandbox_image: str,
                                            docker_client: docker.DockerClient) -> None:
    async with SandboxPool(test_settings(sandbox_image, pool_size=2, cache_size=0)) as p:
        victim = pool_containers(docker_client, p.pool_id)[0]
        victim.kill()
        results = await asyncio.gather(*(p.run(job(f"print(input())  # {i}")) for i in range(6)))
        assert all(r.verdict.value == "pass" for r in results)
        assert p.stats()["recycle:broken"] == 1
        for _ in range(50):
            if p.stats()["workers"] == 2:
                break
            await asyncio.sleep(0.1)
        assert p.stats()["workers"] == 2


async def test_reaps_leaks_and_cleans_up_on_close(sandbox_image: str,
                                                  docker_client: docker.DockerClient) -> None:
    leaked = docker_client.containers.create(
        sandbox_image, command=["--serve"], network_mode="none",
        labels={LABEL: "1", LABEL_POOL: "dead-pool", LABEL_HOST: socket.gethostname(),
                LABEL_PID: "4194000"})  # no such pid: its server is gone
    p = SandboxPool(test_settings(sandbox_image, pool_size=2))
    await p.start()
    with pytest.raises(docker.errors.NotFound):
        leaked.reload()
    assert p.ready and len(pool_containers(docker_client, p.pool_id)) == 2
    await p.close()
    assert not p.ready
    assert pool_containers(docker_client, p.pool_id) == []
    with pytest.raises(SandboxUnavailable):
        await p.run(job())


async def test_missing_image_is_unavailable(docker_client: docker.DockerClient) -> None:
    p = SandboxPool(test_settings("verifiable-rewards-sandbox:no-such-tag", pool_size=1))
    with pytest.raises(SandboxUnavailable, match="make images"):
        await p.start()


async def test_unknown_runtime_is_unavailable(sandbox_image: str) -> None:
    p = SandboxPool(test_settings(sandbox_image, pool_size=1, runtime="no-such-runtime"))
    with pytest.raises(SandboxUnavailable, match="runtime"):
        await p.start()


async def test_metrics_are_exported(pool: SandboxPool) -> None:
    await pool.run(job("print(input())  # metrics"))
    verdicts = REGISTRY.get_sample_value(
        "sandbox_verdicts_total", {"language": "python", "verdict": "pass"})
    assert verdicts and verdicts >= 1
    assert REGISTRY.get_sample_value("sandbox_queue_wait_seconds_count") >= 1
    assert REGISTRY.get_sample_value("sandbox_workers") is not None

"""Shared helpers: servers with a real sandbox pool, and the leak checks run when they stop.

A server's containers carry its pid (``LABEL_PID``), so the checks only ever look at what this
server created: other servers (other suites, other people's compose stacks) may share the engine.
"""

from __future__ import annotations

import time
from typing import Any

import docker
import httpx
import psutil

from sandbox.docker_backend import LABEL, LABEL_PID
from tests.conftest import Server, start_server, stop_server

TRACE_MARKERS = ("Traceback (most recent call last)", 'File "/', "site-packages")


def code_server(image: str, pool_size: int = 1, **env: str) -> Server:
    """A real server with the Docker sandbox, small limits and one math worker."""
    return start_server(
        {
            "VR_SANDBOX_ENABLED": "true",
            "VR_SANDBOX__IMAGE": image,
            "VR_SANDBOX__POOL_SIZE": str(pool_size),
            "VR_SANDBOX__CACHE_SIZE": "0",
            "VR_SANDBOX__LIMITS__TIME_S": "2",
            "VR_SANDBOX__LIMITS__WALL_TIME_S": "5",
            "VR_SANDBOX__LIMITS__MEMORY_MB": "256",
            "VR_GRADER_WORKERS": "1",
            **env,
        },
        ready_path="/readyz",
    )


def server_containers(client: docker.DockerClient, pid: int) -> list[Any]:
    """Containers (running or not) that the server with this pid created."""
    return client.containers.list(
        all=True, ignore_removed=True, filters={"label": [LABEL, f"{LABEL_PID}={pid}"]}
    )


def process_tree(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    out = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def stop_and_check(server: Server, client: docker.DockerClient | None) -> dict[str, int]:
    """Stop with SIGTERM; nothing of the server may survive: no process, no container."""
    tree = process_tree(server.process.pid)
    stop_server(server)
    return check_nothing_left(server, tree, client)


def check_nothing_left(
    server: Server, tree: list[psutil.Process], client: docker.DockerClient | None
) -> dict[str, int]:
    """After the server exited: its containers removed, its child processes gone."""
    pid = server.process.pid
    left: list[Any] = []
    deadline = time.monotonic() + 15
    while client is not None and time.monotonic() < deadline:
        left = server_containers(client, pid)
        if not left:
            break
        time.sleep(0.2)
    procs = alive(tree)
    deadline = time.monotonic() + 10
    while procs and time.monotonic() < deadline:
        time.sleep(0.2)
        procs = alive(procs)
    assert server.process.returncode in (0, -15), f"server exit code {server.process.returncode}"
    assert not left, f"containers left after stop: {[c.short_id for c in left]}"
    assert not procs, f"processes left after stop: {[(p.pid, p.name()) for p in procs]}"
    return {"containers_left": len(left), "processes_left": len(procs)}


def assert_clean(response: httpx.Response, quotes_programs: bool = False) -> None:
    """Never a 5xx, never a stack trace or a source path in the body. A graded code item may
    quote its own program's traceback (``quotes_programs``): then only error bodies count."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if quotes_programs and response.status_code == 200:
        return
    for marker in TRACE_MARKERS:
        assert marker not in response.text, response.text[:2000]


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())

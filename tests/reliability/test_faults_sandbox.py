"""Infrastructure faults under a live server: sandbox containers killed (mid-job and idle)
and (opt-in, ``VR_TEST_RESTART_DOCKERD=1``) the Docker engine stopped and started again.
Expected: typed ``sandbox_error`` results (never a hang, never a 500), ``/readyz`` telling the
truth, and recovery without help."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import docker
import httpx
import psutil
import pytest

from tests.conftest import Server, stop_server
from tests.reliability.helpers import (
    assert_clean,
    check_nothing_left,
    code_server,
    process_tree,
    server_containers,
    stop_and_check,
    wait_until,
)

pytestmark = pytest.mark.docker

TESTS = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"}]}
MATH = {"id": "math", "completion": "<think>\nok\n</think>\n\\boxed{4}", "answer": "4"}
DOCKERD_START = "(dockerd > /tmp/dockerd.log 2>&1 &)"  # how CI starts it (.ci/run)
RESTART_OPT_IN = "VR_TEST_RESTART_DOCKERD"  # only a throwaway CI machine may stop its engine


def code_item(ident: str, body: str = "print(sum(map(int, input().split())))") -> dict[str, Any]:
    return {"id": ident, "completion": f"<think>\nsum\n</think>\n```python\n{body}\n```",
            "tests": TESTS}


def score(server: Server, items: list[dict[str, Any]], timeout: float = 120) -> list[dict]:
    response = httpx.post(f"{server.url}/score", json={"items": items}, timeout=timeout)
    assert_clean(response, quotes_programs=True)
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert [r["id"] for r in results] == [i["id"] for i in items]
    return results


def ready(server: Server) -> bool:
    try:
        return httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def running(client: docker.DockerClient, server: Server) -> list[Any]:
    return [c for c in server_containers(client, server.process.pid) if c.status == "running"]


@pytest.fixture()
def pool_server(sandbox_image: str, docker_client: docker.DockerClient) -> Iterator[Server]:
    server = code_server(sandbox_image, pool_size=2)
    try:
        yield server
    finally:
        stop_and_check(server, docker_client)


def _kill_job_containers(client: docker.DockerClient, server: Server, done: threading.Event,
                         max_kills: int) -> list[str]:
    """Kill the container in which the program runs (seen by `docker top`), up to max_kills."""
    killed: list[str] = []
    while not done.is_set() and len(killed) < max_kills:
        for container in running(client, server):
            if container.id in killed:
                continue
            try:
                processes = container.top().get("Processes") or []
            except docker.errors.APIError:
                continue
            if any("main.py" in " ".join(p) for p in processes):
                container.kill()
                killed.append(container.id)
                break  # the retry may already run elsewhere: look again from the top
        time.sleep(0.05)
    return killed


@pytest.mark.parametrize("kills", [1, 2])
def test_container_killed_mid_job(pool_server: Server, docker_client: docker.DockerClient,
                                  kills: int) -> None:
    """One kill: the pool retries the job once on another sandbox, so it still passes. Killed
    again: the item is ``sandbox_error`` with reward null. Either way the pool replaces the dead
    containers and the next item passes."""
    before = {c.id for c in running(docker_client, pool_server)}
    done, outcome = threading.Event(), {}

    def send() -> None:
        item = code_item("slow", "import time\ntime.sleep(2)\nprint(3)")
        outcome["results"] = score(pool_server, [item, MATH])
        done.set()

    thread = threading.Thread(target=send)
    thread.start()
    killed = _kill_job_containers(docker_client, pool_server, done, kills)
    thread.join(timeout=60)
    assert not thread.is_alive(), "the request hung"
    assert len(killed) == kills and set(killed) <= before
    slow, math = outcome["results"]
    assert math["reward"] == 1.0
    if kills == 1:
        assert slow["reward"] == 1.0, slow
    else:
        assert slow["reward"] is None and slow["error"]["type"] == "sandbox_error", slow
        assert slow["components"]["accuracy"]["score"] is None
    assert wait_until(lambda: len(running(docker_client, pool_server)) == 2, 30)
    assert not {c.id for c in running(docker_client, pool_server)} & set(killed)
    # a replacement is running a moment before its runner answered the pool's greeting
    assert wait_until(lambda: ready(pool_server), 30)
    assert [r["reward"] for r in score(pool_server, [code_item("next")])] == [1.0]


def test_idle_containers_killed_are_replaced_before_the_next_job(
    pool_server: Server, docker_client: docker.DockerClient
) -> None:
    """Sandboxes that die while idle are noticed and replaced; the next job never meets one."""
    killed = set()
    for container in running(docker_client, pool_server):
        container.kill()
        killed.add(container.id)

    def replaced() -> bool:
        now = {c.id for c in running(docker_client, pool_server)}
        return len(now) == 2 and not now & killed and ready(pool_server)

    assert wait_until(replaced, 30)
    results = score(pool_server, [code_item("a"), code_item("b", "print(3)")])
    assert [r["reward"] for r in results] == [1.0, 1.0], results


def _host_dockerd() -> psutil.Process | None:
    """The engine of this host (not a Docker-in-Docker one): same pid namespace as ours."""
    mine = os.readlink("/proc/self/ns/pid")
    for proc in psutil.process_iter(["name"]):
        try:
            if proc.info["name"] == "dockerd" and os.readlink(f"/proc/{proc.pid}/ns/pid") == mine:
                return proc
        except (OSError, psutil.Error):
            continue
    return None


def _engine_up() -> bool:
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def _start_dockerd() -> None:
    if _host_dockerd() is None:
        subprocess.run(DOCKERD_START, shell=True, check=True, start_new_session=True)
    assert wait_until(_engine_up, 90, interval=1.0), "dockerd did not come back"


def test_dockerd_stopped_and_restarted(sandbox_image: str,
                                       docker_client: docker.DockerClient) -> None:
    """While the engine is away: /readyz red, code items typed ``sandbox_error`` (math still
    graded), and a server stopped then exits cleanly. Once it is back: green again, code
    passes, and what the outage left (dead and half-created containers) is removed."""
    if os.environ.get(RESTART_OPT_IN) != "1":
        pytest.skip(f"stops this host's dockerd, cutting every Docker user on it: opt in with "
                    f"{RESTART_OPT_IN}=1 (.ci/run does)")
    dockerd = _host_dockerd()
    if dockerd is None or os.geteuid() != 0:
        pytest.skip("needs a local dockerd this test may stop and start (root)")
    server = code_server(sandbox_image, pool_size=2, VR_SANDBOX_RETRY_S="1")
    doomed = code_server(sandbox_image, pool_size=1)  # stopped while the engine is away
    doomed_tree = process_tree(doomed.process.pid)
    try:
        assert [r["reward"] for r in score(server, [code_item("warm"), MATH])] == [1.0, 1.0]
        dockerd.terminate()
        dockerd.wait(timeout=90)
        assert wait_until(lambda: not ready(server), 30), "/readyz stayed green without Docker"
        assert httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200
        t0 = time.monotonic()
        down = score(server, [code_item("down"), MATH], timeout=60)
        assert time.monotonic() - t0 < 30
        assert down[0]["reward"] is None and down[0]["error"]["type"] == "sandbox_error", down
        assert down[1]["reward"] == 1.0
        stop_server(doomed)
        check_nothing_left(doomed, doomed_tree, None)  # exit code and processes only
        _start_dockerd()
        assert wait_until(lambda: ready(server), 90), "/readyz did not turn green again"
        back = score(server, [code_item("back"), code_item("again", "print(3)"), MATH])
        assert [r["reward"] for r in back] == [1.0, 1.0, 1.0], back
        assert wait_until(lambda: len(server_containers(docker_client, server.process.pid)) == 2,
                          15), [c.status for c in server_containers(docker_client,
                                                                    server.process.pid)]
    finally:
        _start_dockerd()
        if doomed.process.poll() is None:
            stop_server(doomed)
        client = docker.from_env(timeout=60)
        for container in server_containers(client, doomed.process.pid):  # a next server
            container.remove(force=True)  # start on this host would reap these orphans
        stop_and_check(server, client)

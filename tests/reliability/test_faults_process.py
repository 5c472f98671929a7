"""Process faults under a live server: a math worker killed in the middle of a batch, and
SIGTERM while a batch with code items is being graded."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import docker
import httpx
import psutil
import pytest

from tests.conftest import start_server, stop_server
from tests.reliability.helpers import (
    assert_clean,
    check_nothing_left,
    code_server,
    process_tree,
    server_containers,
    wait_until,
)

RIGHT = "<think>\nfine\n</think>\n\\boxed{{{}}}"
# a comparison sympy needs seconds for: it keeps one worker busy until that worker is killed
BOMB = {"id": "bomb", "completion": "\\boxed{(x+y+z+1)^{20}}", "answer": "(x+y+z+2)^{20}"}
TESTS = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"}]}


def _math_workers(server_pid: int) -> list[psutil.Process]:
    """The grading processes: children of the forkserver, itself a child of the server."""
    workers = []
    for child in psutil.Process(server_pid).children():
        try:
            if "forkserver" in " ".join(child.cmdline()):
                workers += child.children()
        except psutil.Error:
            continue
    return workers


def _expected(item: dict[str, Any]) -> float:
    return 1.0 if item["completion"] == RIGHT.format(item["answer"]) else 0.0


def test_math_worker_killed_mid_batch() -> None:
    server = start_server({"VR_GRADER_WORKERS": "2"}, ready_path="/readyz")
    try:
        items: list[dict[str, Any]] = [BOMB] + [
            {"id": f"n{i}", "completion": RIGHT.format(i % 7), "answer": str(i % 5)}
            for i in range(40)
        ]
        outcome: dict[str, httpx.Response] = {}
        body = {"items": items, "options": {"timeout_s": 20}}
        thread = threading.Thread(target=lambda: outcome.setdefault(
            "r", httpx.post(f"{server.url}/score", json=body, timeout=120)))
        thread.start()
        time.sleep(1.5)  # the bomb keeps one worker busy: that worker is the one with CPU
        busiest = max(_math_workers(server.process.pid), key=lambda p: sum(p.cpu_times()[:2]))
        busiest.kill()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the batch hung"
        response = outcome["r"]
        assert_clean(response)
        results = response.json()["results"]
        assert [r["id"] for r in results] == [i["id"] for i in items]
        assert results[0]["reward"] is None
        assert results[0]["error"]["type"] == "worker_crashed", results[0]
        for item, result in zip(items[1:], results[1:], strict=True):
            assert result["reward"] == _expected(item), result
        assert wait_until(lambda: len(_math_workers(server.process.pid)) == 2, 20)
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        again = httpx.post(f"{server.url}/score", json={"items": items[4:8]}).json()["results"]
        assert [r["reward"] for r in again] == [_expected(i) for i in items[4:8]]
    finally:
        stop_server(server)


@pytest.mark.docker
def test_sigterm_during_a_code_batch(sandbox_image: str,
                                     docker_client: docker.DockerClient) -> None:
    """In-flight code items finish and are answered; then the containers are removed and no
    process of the server is left."""
    server = code_server(sandbox_image, pool_size=2)
    tree = process_tree(server.process.pid)
    containers = server_containers(docker_client, server.process.pid)
    assert len(containers) == 2
    items = [
        {"id": f"c{i}", "completion": f"```python\nimport time\ntime.sleep(1)\nprint({3 + i} - {i})"
         "\n```", "tests": TESTS}
        for i in range(4)
    ] + [{"id": "m", "completion": RIGHT.format(2), "answer": "2"}]
    outcome: dict[str, Any] = {}

    def send() -> None:
        try:
            outcome["r"] = httpx.post(f"{server.url}/score", json={"items": items}, timeout=120)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=send)
    thread.start()
    # a program runs: its process (and its job's) besides the runner and the warm zygote
    assert wait_until(lambda: any(
        sum("main.py" in " ".join(p) for p in c.top().get("Processes") or []) > 1
        for c in containers), 10, 0.05)
    server.process.send_signal(signal.SIGTERM)
    thread.join(timeout=60)
    server.process.wait(timeout=60)
    response = outcome.get("r")
    assert isinstance(response, httpx.Response), outcome
    assert response.status_code == 200, response.text[:500]
    assert [r["reward"] for r in response.json()["results"]] == [1.0] * 5
    check_nothing_left(server, tree, docker_client)

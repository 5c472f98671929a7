"""Code grading through the real HTTP server with the real Docker sandbox pool."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import httpx
import pytest

from sandbox.docker_backend import LABEL, LABEL_PID
from tests.conftest import Server, start_server, stop_server

DOUBLE = "<think>\nread n, print 2n\n</think>\n```python\nprint(int(input()) * 2)\n```"
TESTS = {
    "type": "stdin_stdout",
    "cases": [{"input": "3\n", "output": "6\n"}, {"input": "10\n", "output": "20\n"}],
}


@pytest.fixture(scope="module")
def code_server(sandbox_image: str) -> Iterator[Server]:
    server = start_server(
        {
            "VR_SANDBOX_ENABLED": "true",
            "VR_SANDBOX__IMAGE": sandbox_image,
            "VR_SANDBOX__POOL_SIZE": "2",
        },
        ready_path="/readyz",
    )
    yield server
    stop_server(server)


def test_code_items_through_score(code_server: Server) -> None:
    items = [
        {"id": "ok", "completion": DOUBLE, "tests": TESTS},
        {"id": "wrong", "completion": DOUBLE.replace("* 2", "* 3"), "tests": TESTS},
        {"id": "none", "completion": "<think>x</think>I cannot.", "tests": TESTS},
        {"id": "bad-tests", "completion": DOUBLE, "tests": {"type": "nonsense"}},
        {"id": "math", "completion": "<think>x</think>\\boxed{2}", "answer": "2"},
    ]
    with code_server.client() as http:
        response = http.post(
            "/score", json={"items": items, "rewards": {"accuracy": 1, "code_format": 0.5}}
        )
    assert response.status_code == 200, response.text
    results = {r["id"]: r for r in response.json()["results"]}
    assert results["ok"]["reward"] == 1.5
    assert results["ok"]["components"]["accuracy"]["detail"]["verdict"] == "pass"
    assert results["wrong"]["components"]["accuracy"]["score"] == 0.0
    assert results["wrong"]["components"]["accuracy"]["detail"]["verdict"] == "wrong_answer"
    assert results["none"]["components"]["accuracy"]["detail"]["verdict"] == "no_code"
    assert results["bad-tests"]["reward"] is None
    assert results["bad-tests"]["error"]["type"] == "invalid_reference"
    assert results["math"]["components"]["accuracy"]["score"] == 1.0


def test_fraction_scoring_param(code_server: Server) -> None:
    half = DOUBLE.replace("print(int(input()) * 2)", "n = int(input())\nprint(6 if n == 3 else 0)")
    body = {
        "items": [{"completion": half, "tests": TESTS}],
        "options": {"params": {"accuracy": {"scoring": "fraction"}}},
    }
    with code_server.client() as http:
        result = http.post("/score", json=body).json()["results"][0]
    assert result["reward"] == 0.5


def test_readyz_reports_the_pool(code_server: Server) -> None:
    with code_server.client() as http:
        ready = http.get("/readyz").json()
        assert ready["checks"]["sandbox"] is True
        assert "vr_sandbox" in http.get("/metrics").text or "sandbox" in http.get("/metrics").text


def test_run_code_sandboxfusion(code_server: Server) -> None:
    with code_server.client() as http:
        reply = http.post(
            "/run_code", json={"code": "print(input()[::-1])", "language": "python", "stdin": "abc"}
        ).json()
    assert reply["status"] == "Success"
    assert reply["run_result"]["stdout"].strip() == "cba"


def test_stopping_the_server_removes_its_containers(sandbox_image: str) -> None:
    server = start_server(
        {
            "VR_SANDBOX_ENABLED": "true",
            "VR_SANDBOX__IMAGE": sandbox_image,
            "VR_SANDBOX__POOL_SIZE": "2",
        },
        ready_path="/readyz",
    )
    client = docker.from_env()
    # only this server's containers (other pools on the engine come and go meanwhile)
    mine = {"label": [LABEL, f"{LABEL_PID}={server.process.pid}"]}
    ours = client.containers.list(filters=mine, ignore_removed=True)
    assert len(ours) == 2
    stop_server(server)
    assert client.containers.list(all=True, filters=mine, ignore_removed=True) == []


def test_code_disabled_server_says_so(http: httpx.Client) -> None:
    result = http.post("/score", json={"items": [{"completion": DOUBLE, "tests": TESTS}]})
    error = result.json()["results"][0]["error"]
    assert error["type"] == "sandbox_error" and "disabled" in error["message"]


def test_a_full_sandbox_queue_answers_429_with_retry_after(sandbox_image: str) -> None:
    """The sandbox's busy signal reaches the client as the scorer's generic ``TryLater``."""
    import threading

    server = start_server(
        {
            "VR_SANDBOX_ENABLED": "true",
            "VR_SANDBOX__IMAGE": sandbox_image,
            "VR_SANDBOX__POOL_SIZE": "1",
            "VR_SANDBOX__QUEUE_SIZE": "0",
            "VR_SANDBOX__FIRST_PASS_TIME_S": "0",
        },
        ready_path="/readyz",
    )
    sleepy = DOUBLE.replace("print(", "import time\ntime.sleep(4)\nprint(")
    one_case = {"type": "stdin_stdout", "cases": [{"input": "3\n", "output": "6\n"}]}

    def hold_the_sandbox() -> None:  # retried until the sleeper gets the one sandbox
        body = {"items": [{"completion": sleepy, "tests": one_case}]}
        while httpx.post(f"{server.url}/score", json=body, timeout=60).status_code == 429:
            pass

    try:
        with server.client() as http:
            background = threading.Thread(target=hold_the_sandbox)
            background.start()
            refused = None
            attempt = 0
            while background.is_alive() and refused is None:
                attempt += 1  # a new program each time: no cached verdict
                program = DOUBLE.replace("* 2", f"* 2 + {attempt} * 0")
                body = {"items": [{"completion": program, "tests": TESTS}]}
                reply = http.post("/score", json=body)
                refused = reply if reply.status_code == 429 else None
            background.join()
        assert refused is not None, "the sandbox never looked busy"
        assert int(refused.headers["retry-after"]) >= 1
        assert "retry" in refused.json()["detail"]
    finally:
        stop_server(server)

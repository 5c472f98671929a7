"""Operations against real servers: API keys, request ids, JSON logs, graceful shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time

import httpx

from tests.conftest import free_port, start_server, stop_server


def test_api_keys_guard_grading_but_not_health() -> None:
    server = start_server({"VR_API_KEYS": "k-one,k-two"})
    try:
        with server.client() as http:
            body = {"items": [{"completion": "\\boxed{1}", "answer": "1"}]}
            missing = http.post("/score", json=body)
            assert missing.status_code == 401 and "Bearer" in missing.json()["detail"]
            wrong = http.post("/score", json=body, headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401 and wrong.json()["detail"] == "invalid API key"
            for key in ("k-one", "k-two"):
                ok = http.post("/score", json=body, headers={"Authorization": f"Bearer {key}"})
                assert ok.status_code == 200 and ok.json()["results"][0]["reward"] == 1.0
            openrlhf = http.post("/openrlhf", json={"query": ["x"], "labels": ["1"]})
            assert openrlhf.status_code == 401
            assert http.get("/healthz").status_code == 200
            assert http.get("/metrics").status_code == 200
    finally:
        stop_server(server)


def test_request_id_is_echoed_or_made(http: httpx.Client) -> None:
    given = http.get("/healthz", headers={"X-Request-ID": "trace-123"})
    assert given.headers["x-request-id"] == "trace-123"
    made = http.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32


def test_json_logs_carry_the_request_id() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reward_server.cli", "serve", "--port", str(port)],
        env={**_env(), "VR_LOG_FORMAT": "json", "VR_SANDBOX_ENABLED": "false"},
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url)
        httpx.get(f"{url}/healthz", headers={"X-Request-ID": "log-me"})
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [r for r in records if r.get("logger") == "reward_server.access"]
    assert any(r["request_id"] == "log-me" and r["status"] == 200 for r in access)


def test_sigterm_lets_in_flight_requests_finish() -> None:
    server = start_server({"VR_GRADER_WORKERS": "1"})
    outcome: dict[str, object] = {}

    def slow_request() -> None:
        body = {
            "items": [
                # runs to its 3 s deadline (then scores 0): in flight at the SIGTERM
                {"completion": "\\boxed{(x+y+z+1)^{20}}", "answer": "(x+y+z+2)^{20}"},
                {"completion": "\\boxed{2}", "answer": "2"},
            ],
            "options": {"timeout_s": 3},
        }
        try:
            outcome["response"] = httpx.post(f"{server.url}/score", json=body, timeout=60)
        except httpx.HTTPError as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=slow_request)
    thread.start()
    time.sleep(1.0)
    server.process.send_signal(signal.SIGTERM)
    thread.join(timeout=60)
    server.process.wait(timeout=60)
    response = outcome.get("response")
    assert isinstance(response, httpx.Response), outcome
    assert response.status_code == 200
    rewards = [r["reward"] for r in response.json()["results"]]
    assert rewards == [0.0, 1.0]
    # uvicorn re-raises the signal after its graceful shutdown, so -SIGTERM is a clean exit.
    assert server.process.returncode in (0, -signal.SIGTERM)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server not ready")


def test_several_workers_share_metrics() -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reward_server.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            "2",
            "--grader-workers",
            "1",
            "--no-sandbox",
        ],
        env={k: v for k, v in _env().items() if k != "PROMETHEUS_MULTIPROC_DIR"},
    )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url)
        body = {"items": [{"completion": "\\boxed{1}", "answer": "1"}] * 3}
        with httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(6):  # new connections: both workers get some
                assert httpx.post(f"{url}/score", json=body, timeout=60).status_code == 200
            text = http.get("/metrics").text
        line = next(
            x for x in text.splitlines() if x.startswith('vr_items_total{reward="accuracy"}')
        )
        assert float(line.split()[-1]) == 18.0
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

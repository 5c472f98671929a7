"""The HTTP contract, against a real uvicorn server."""

from __future__ import annotations

import httpx

RIGHT = "<think>\n2 + 2 is 4.\n</think>\n\\boxed{4}"
WRONG = "<think>\n2 + 2 is 5.\n</think>\n\\boxed{5}"
NO_THINK = "2 + 2 is \\boxed{4}"


def score(http: httpx.Client, items: list[object], **body: object) -> list[dict]:
    response = http.post("/score", json={"items": items, **body})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    return results


def test_seed_worked_numbers(http: httpx.Client) -> None:
    items = [{"completion": c, "answer": "4"} for c in (RIGHT, WRONG, NO_THINK)]
    results = score(http, items, rewards={"accuracy": 1, "format": 1})
    assert [r["reward"] for r in results] == [2.0, 1.0, 1.0]
    first = results[0]["components"]
    assert first["accuracy"] == {
        "score": 1.0,
        "weight": 1.0,
        "error": None,
        "detail": first["accuracy"]["detail"],
    }
    assert first["accuracy"]["detail"]["extracted"] == "4"
    assert results[0]["error"] is None and results[0]["elapsed_ms"] >= 0


def test_ids_echoed_and_malformed_items_isolated(http: httpx.Client) -> None:
    items = [
        {"id": "a", "completion": RIGHT, "answer": "4"},
        {"id": "b", "answer": "4"},  # no completion
        "not an object",
        {"id": 7, "completion": 12, "answer": "4"},  # wrong type
        {"id": "e", "completion": RIGHT, "answer": "4", "surprise": 1},  # unknown field
        {"id": "f", "completion": WRONG, "answer": "4"},
    ]
    results = score(http, items)
    assert [r["id"] for r in results] == ["a", "b", None, 7, "e", "f"]
    assert [r["reward"] for r in results] == [1.0, None, None, None, None, 0.0]
    for r in results[1:5]:
        assert r["error"]["type"] == "invalid_item" and r["error"]["message"]
    assert "completion" in results[1]["error"]["message"]
    assert "surprise" in results[4]["error"]["message"]


def test_lone_surrogates_do_not_fail_the_batch(http: httpx.Client) -> None:
    """JSON may carry half a UTF-16 pair; it becomes U+FFFD and the item is graded as usual."""
    body = (
        '{"items": [{"id": "s\\ud800", "completion": "\\\\boxed{4\\udfff}", "answer": "4"},'
        ' {"id": "ok", "completion": "\\\\boxed{4}", "answer": "4"}],'
        ' "rewards": {"accuracy": 1}}'
    )
    response = http.post("/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["id"] for r in results] == ["s\ufffd", "ok"]
    assert [r["reward"] for r in results] == [0.0, 1.0]


def test_per_item_weights_override(http: httpx.Client) -> None:
    items = [
        {"completion": RIGHT, "answer": "4"},
        {"completion": RIGHT, "answer": "4", "rewards": {"accuracy": 0.5, "tags": 0}},
    ]
    results = score(http, items, rewards={"accuracy": 1.0})
    assert results[0]["reward"] == 1.0 and results[1]["reward"] == 0.5
    assert set(results[1]["components"]) == {"accuracy", "tags"}


def test_unknown_rewards(http: httpx.Client) -> None:
    response = http.post("/score", json={"items": [{"completion": "x"}], "rewards": {"bogus": 1}})
    assert response.status_code == 422 and "bogus" in response.json()["detail"]
    results = score(http, [{"completion": RIGHT, "answer": "4", "rewards": {"nope": 1}}])
    assert results[0]["error"]["type"] == "unknown_reward"


def test_bad_params_are_422(http: httpx.Client) -> None:
    body = {
        "items": [{"completion": "x"}],
        "rewards": {"repetition": 1},
        "options": {"params": {"repetition": {"ngram_size": "three"}}},
    }
    response = http.post("/score", json=body)
    assert response.status_code == 422
    assert "repetition" in response.json()["detail"]


def test_missing_reference_and_on_error(http: httpx.Client) -> None:
    items = [{"completion": RIGHT}, {"completion": RIGHT, "answer": "4"}]
    results = score(http, items, rewards={"accuracy": 1, "format": 1})
    assert results[0]["reward"] is None
    assert results[0]["components"]["accuracy"]["error"]["type"] == "missing_reference"
    assert results[0]["components"]["format"]["score"] == 1.0
    zero = score(http, items, rewards={"accuracy": 1, "format": 1}, options={"on_error": "zero"})
    assert zero[0]["reward"] == 1.0 and zero[0]["error"]["type"] == "missing_reference"


def test_costly_answers_score_zero_not_null(http: httpx.Client) -> None:
    """A sympy bomb (decided before sympy) and a comparison that runs past the deadline
    (decided by the deadline) are wrong answers: 0 with a reason, never a null."""
    items = [
        {"completion": "\\boxed{9^{9^{9^{9}}}}", "answer": "1"},
        {"completion": "\\boxed{(x+y+z+1)^{20}}", "answer": "(x+y+z+2)^{20}"},
        {"completion": RIGHT, "answer": "4"},
    ]
    results = score(http, items, options={"timeout_s": 1})
    for result in results[:2]:
        assert result["reward"] == 0.0 and result["error"] is None, result
        assert result["components"]["accuracy"]["detail"]["reason"] == "answer_too_costly"
    assert results[2]["reward"] == 1.0


def test_determinism(http: httpx.Client) -> None:
    items = [
        {
            "completion": c,
            "answer": "4",
            "group_id": i % 2,
            "completion_tokens": 10 + i,
            "max_tokens": 64,
        }
        for i, c in enumerate([RIGHT, WRONG, NO_THINK, RIGHT + " Wait, maybe 5?"])
    ]
    body = {
        "rewards": {
            "accuracy": 1,
            "format": 0.5,
            "language": 0.2,
            "length": 0.1,
            "repetition": 0.1,
            "cosine": 0.1,
            "overlong": 0.1,
        }
    }
    first = score(http, items, **body)
    second = score(http, items, **body)
    strip = [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in first]
    assert strip == [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in second]


def test_validation_errors_are_readable(http: httpx.Client) -> None:
    bad_json = http.post(
        "/score", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad_json.status_code == 422 and "invalid request" in bad_json.json()["detail"]
    wrong_type = http.post("/score", json={"items": "nope"})
    assert wrong_type.status_code == 422 and "items" in wrong_type.json()["detail"]
    missing = http.post("/score", json={})
    assert missing.status_code == 422 and "items" in missing.json()["detail"]


def test_size_limits(http: httpx.Client) -> None:
    too_many = http.post("/score", json={"items": [{"completion": "x"}] * 2001})
    assert too_many.status_code == 413 and "limit" in too_many.json()["detail"]
    too_big = http.post("/score", json={"items": [{"completion": "x" * (9 * 1024 * 1024)}]})
    assert too_big.status_code == 413 and "bytes" in too_big.json()["detail"]

    def chunks():  # no Content-Length: the limit is enforced while streaming
        for _ in range(10):
            yield b" " * (1024 * 1024)

    streamed = http.post("/score", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_ops_endpoints(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    score(http, [{"completion": RIGHT, "answer": "4"}])
    text = http.get("/metrics").text
    for name in (
        "vr_items_total",
        "vr_grade_seconds_bucket",
        "vr_cache_hits_total",
        "vr_request_seconds_bucket",
    ):
        assert name in text
    assert http.get("/docs").status_code == 200
    schema = http.get("/openapi.json").json()
    assert "Item" in schema["components"]["schemas"]


def test_openrlhf_endpoint(http: httpx.Client) -> None:
    prompts = ["Q: 2+2?\n", "Q: 3+3?\n", "Q: x?\n"]
    body = {
        "query": [
            prompts[0] + RIGHT,
            prompts[1] + "<think>\nhm\n</think>\n\\boxed{7}",
            prompts[2] + RIGHT,
        ],
        "prompts": prompts,
        "labels": ["4", "6", None],
    }
    response = http.post("/openrlhf?rewards=accuracy:1,format:0.5", json=body)
    assert response.status_code == 200, response.text
    payload = response.json()
    assert payload["rewards"] == [1.5, 0.5, 0.0] and payload["scores"] == payload["rewards"]
    assert payload["extra_logs"]["accuracy"] == [1.0, 0.0, 0.0]
    assert payload["extra_logs"]["undecided"] == [0.0, 0.0, 1.0]
    mismatched = http.post("/get_reward", json={"query": ["a"], "prompts": ["a", "b"]})
    assert mismatched.status_code == 422


def test_slow_body_gets_408() -> None:
    import socket
    import time as _time

    from tests.conftest import start_server, stop_server

    server = start_server({"VR_BODY_TIMEOUT_S": "1"})
    try:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(
                b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'Content-Length: 1000\r\n\r\n{"items": ['
            )
            _time.sleep(2)
            reply = sock.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 408"), reply
        with server.client() as http:  # the server is fine afterwards
            assert http.get("/healthz").status_code == 200
    finally:
        stop_server(server)


def test_backlog_answers_429_with_retry_after() -> None:
    import threading

    from tests.conftest import start_server, stop_server

    server = start_server({"VR_MAX_PENDING_ITEMS": "4", "VR_GRADER_WORKERS": "1"})
    try:
        # a comparison that runs to its deadline keeps the only worker busy
        item = {"completion": "\\boxed{(x+y+z+1)^{20}}", "answer": "(x+y+z+2)^{20}"}
        slow = {
            "items": [item] * 3,
            "options": {"timeout_s": 2},
        }
        background = threading.Thread(
            target=lambda: httpx.post(f"{server.url}/score", json=slow, timeout=60)
        )
        background.start()
        _wait_for_pending(server.url)
        busy = httpx.post(f"{server.url}/score", json={"items": [{"completion": "x"}] * 2})
        background.join()
        assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
        assert "busy" in busy.json()["detail"]
    finally:
        stop_server(server)


def _wait_for_pending(url: str) -> None:
    import time as _time

    deadline = _time.monotonic() + 10
    while _time.monotonic() < deadline:
        text = httpx.get(f"{url}/metrics").text
        if 'vr_request_items_total{endpoint="score"} 3.0' in text:
            return
        _time.sleep(0.05)

"""Hostile HTTP against a real server: huge batches, wrong types in every field, extremely long
strings, non-finite numbers, slow clients. Expected: a 4xx with a message a person can act on
or a typed per-item error; never a 5xx, never a stack trace in a body."""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from tests.conftest import Server, start_server, stop_server
from tests.reliability.helpers import assert_clean

RIGHT = "<think>\n2 + 2 is 4.\n</think>\n\\boxed{4}"
GOOD = {"id": "good", "completion": RIGHT, "answer": "4"}

# field -> values of the wrong type (or out of range); each must be that item's invalid_item
WRONG_FIELDS: dict[str, list[Any]] = {
    "id": [1.5, [1], {"a": 1}],
    "prompt": [5, ["x"], {"x": 1}],
    "completion": [None, 12, ["a"], {"x": 1}, True],
    "answer": [5, {"a": "b"}, [1, 2], 1.5],
    "tests": ["print(1)", [1, 2], 3],
    "language": [5, ["python"], {"x": 1}],
    "target_language": [None, 5, ["en"]],
    "think_prefilled": ["maybe", 2, [True], None],
    "rewards": ["accuracy", [1], {"accuracy": "heavy"}, {"accuracy": None}],
    "group_id": [1.5, [1], {"g": 1}],
    "completion_tokens": [-1, "ten", 1.5, [1]],
    "max_tokens": [0, "x", -5, 2.5],
    "surprise": [1],
}
BAD_BODIES: list[tuple[str, bytes | str]] = [
    ("malformed json", b'{"items": [{"completion": "x"'),
    ("not json", b"\x00\x01\x02"),
    ("invalid utf-8", b'\xff\xfe{"items": []}'),
    ("empty", b""),
    ("array", b"[]"),
    ("string", b'"items"'),
    ("null", b"null"),
    ("items string", json.dumps({"items": "x"})),
    ("items object", json.dumps({"items": {"completion": "x"}})),
    ("items null", json.dumps({"items": None})),
    ("rewards list", json.dumps({"items": [GOOD], "rewards": ["accuracy"]})),
    ("rewards string weight", json.dumps({"items": [GOOD], "rewards": {"accuracy": "1x"}})),
    ("rewards null weight", json.dumps({"items": [GOOD], "rewards": {"accuracy": None}})),
    ("nan weight", '{"items": [], "rewards": {"accuracy": NaN}}'),
    ("infinite weight", '{"items": [], "rewards": {"accuracy": Infinity}}'),
    ("overflowing weights", '{"items": [], "rewards": {"accuracy": 1e308, "format": 1e308}}'),
    ("options list", json.dumps({"items": [GOOD], "options": []})),
    ("on_error", json.dumps({"items": [GOOD], "options": {"on_error": "maybe"}})),
    ("negative timeout", json.dumps({"items": [GOOD], "options": {"timeout_s": -1}})),
    ("huge timeout", json.dumps({"items": [GOOD], "options": {"timeout_s": 1e9}})),
    ("nan timeout", '{"items": [], "options": {"timeout_s": NaN}}'),
    ("params list", json.dumps({"items": [GOOD], "options": {"params": []}})),
    ("params scalar", json.dumps({"items": [GOOD], "options": {"params": {"cosine": 5}}})),
    ("unknown top-level field", json.dumps({"items": [GOOD], "extra": 1})),
]


def _post(http: httpx.Client, path: str, body: Any) -> httpx.Response:
    response = http.post(path, json=body)
    assert_clean(response)
    return response


def test_hundred_thousand_items_is_413_with_a_message(http: httpx.Client) -> None:
    items = [{"completion": "x", "answer": "1"}] * 100_000
    response = _post(http, "/score", {"items": items})
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "100000 items" in detail and "limit" in detail and "split" in detail
    openrlhf = _post(http, "/openrlhf", {"query": ["x"] * 100_000, "labels": ["1"] * 100_000})
    assert openrlhf.status_code == 413 and "100000 items" in openrlhf.json()["detail"]
    assert http.get("/readyz").status_code == 200  # nothing was graded, nothing is stuck


def test_wrong_types_in_every_item_field_are_item_errors(http: httpx.Client) -> None:
    cases = [(f, v) for f, values in WRONG_FIELDS.items() for v in values]
    items: list[Any] = []
    for field, value in cases:
        items += [{**GOOD, field: value}, GOOD]
    items += [None, 5, "completion", [GOOD], True]
    response = _post(http, "/score", {"items": items, "rewards": {"accuracy": 1, "format": 1}})
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    for i, (field, value) in enumerate(cases):
        bad, neighbour = results[2 * i], results[2 * i + 1]
        assert bad["reward"] is None, (field, value, bad)
        assert bad["error"]["type"] == "invalid_item", (field, value, bad)
        assert field in bad["error"]["message"], (field, value, bad["error"])
        assert neighbour["reward"] == 2.0 and neighbour["id"] == "good", neighbour
    for result in results[2 * len(cases):]:
        assert result["error"]["type"] == "invalid_item" and result["reward"] is None


def test_non_finite_per_item_weights_are_item_errors(http: httpx.Client) -> None:
    body = '{"items": [{"completion": "x", "rewards": {"format": NaN}}, ' + json.dumps(GOOD) + "]}"
    response = http.post("/score", content=body, headers={"content-type": "application/json"})
    assert_clean(response)
    bad, good = response.json()["results"]
    assert bad["error"]["type"] == "invalid_item" and "finite" in bad["error"]["message"]
    assert good["reward"] == 1.0


@pytest.mark.parametrize(("name", "body"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_unusable_requests_are_4xx_with_a_message(
    http: httpx.Client, name: str, body: bytes | str
) -> None:
    content = body.encode() if isinstance(body, str) else body
    response = http.post("/score", content=content, headers={"content-type": "application/json"})
    assert_clean(response)
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str) and len(detail) > 10, detail


def test_openrlhf_rejects_non_finite_weights(http: httpx.Client) -> None:
    for spec in ("accuracy:nan", "accuracy:inf", "accuracy:-inf", "accuracy:1e999"):
        response = _post(http, f"/openrlhf?rewards={spec}", {"query": ["\\boxed{1}"],
                                                              "labels": ["1"]})
        assert response.status_code == 422, (spec, response.text)
        assert "finite" in response.json()["detail"]


def test_extremely_long_strings(http: httpx.Client) -> None:
    long_id, long_answer = "i" * 1_000_000, "1" * 200_000 + "+x"
    items = [
        {"id": "huge-completion", "completion": "x" * 2_000_000, "answer": "1"},
        {"id": long_id, "completion": RIGHT, "answer": "4"},
        {"id": "huge-answer", "completion": "\\boxed{" + "9" * 100_000 + "}",
         "answer": long_answer},
        {"id": "long-language", "completion": RIGHT, "answer": "4", "target_language": "x" * 10**5},
        {"id": "deep", "completion": "\\boxed{" + "{" * 50_000 + "}" * 50_000 + "}", "answer": "1"},
    ]
    response = _post(http, "/score", {"items": items, "options": {"timeout_s": 2},
                                      "rewards": {"accuracy": 1, "language": 1}})
    assert response.status_code == 200
    results = {r["id"] if r["id"] != long_id else "long-id": r for r in response.json()["results"]}
    assert results["huge-completion"]["error"]["type"] == "invalid_item"
    assert "characters" in results["huge-completion"]["error"]["message"]
    assert results["long-id"]["components"]["accuracy"]["score"] == 1.0
    for key in ("huge-answer", "long-language", "deep"):
        r = results[key]
        assert r["reward"] is not None or r["error"]["type"] in (
            "timeout", "invalid_reference", "invalid_params", "worker_crashed"), r
    name = _post(http, "/score", {"items": [GOOD], "rewards": {"r" * 100_000: 1}})
    assert name.status_code == 422 and "unknown rewards" in name.json()["detail"]
    query = _post(http, "/openrlhf?rewards=" + ",".join(["accuracy:1"] * 5000),
                  {"query": [RIGHT], "labels": ["4"]})
    assert query.status_code == 200 and query.json()["rewards"] == [1.0]
    header = http.get("/healthz", headers={"X-Request-ID": "r" * 60_000, "X-Junk": "j" * 60_000})
    assert header.status_code == 200 and len(header.headers["x-request-id"]) <= 128


def _port(server: Server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def test_slowloris_many_connections_do_not_starve_the_server() -> None:
    """80 connections trickle their body and 80 never finish their headers, all at once: other
    clients are still answered promptly, and every trickled body gets a 408 within its limit."""
    server = start_server({"VR_BODY_TIMEOUT_S": "2", "VR_GRADER_WORKERS": "1"},
                          ready_path="/readyz")
    bodies: list[socket.socket] = []
    heads: list[socket.socket] = []
    try:
        port = _port(server)
        started = time.monotonic()
        for _ in range(80):
            body = socket.create_connection(("127.0.0.1", port), timeout=10)
            body.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b'Content-Length: 100000\r\n\r\n{"items": [')
            bodies.append(body)
            head = socket.create_connection(("127.0.0.1", port), timeout=10)
            head.sendall(b"POST /score HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            heads.append(head)
        latencies = []
        with server.client(timeout=10) as http:
            while time.monotonic() - started < 3.0:
                for sock in heads[:20] + bodies[:20]:
                    sock.sendall(b"a")  # keep trickling
                t0 = time.perf_counter()
                ok = http.post("/score", json={"items": [GOOD]})
                latencies.append(time.perf_counter() - t0)
                assert ok.status_code == 200 and ok.json()["results"][0]["reward"] == 1.0
                time.sleep(0.2)
        assert max(latencies) < 2.0, latencies
        answered = 0
        for sock in bodies:
            sock.settimeout(max(0.1, started + 10 - time.monotonic()))
            reply = sock.recv(4096)
            assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
            assert b"Traceback" not in reply
            answered += 1
        assert answered == len(bodies)
        assert time.monotonic() - started < 10
    finally:
        for sock in bodies + heads:
            sock.close()
        stop_server(server)

"""``POST /verify`` speaks NeMo Gym: requests built and answers validated by nemo-gym itself
(see ``tests/compat/nemo.py`` for the venv it runs in)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.compat.nemo import run_client
from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def gym_server() -> Iterator[Server]:
    server = start_server({"VR_MATH_TIMEOUT_S": "5"}, ready_path="/readyz")
    yield server
    stop_server(server)


def test_verify_answers_nemo_gym_rollouts(gym_server: Server, tmp_path: Path) -> None:
    cases = run_client(gym_server.url, "math", tmp_path)
    assert len(cases) == 9, cases
    for case in cases.values():  # the answer is the request echoed, task fields included
        assert case["echoed"] and case["task_fields"], case
    # Our variants, built with nemo-gym's output models.
    assert cases["right"]["reward"] == 1.0
    assert cases["wrong"]["reward"] == 0.0
    assert cases["think_in_text"]["reward"] == 0.0  # the boxed 32 was inside the reasoning
    assert cases["empty"]["reward"] == 0.0
    # nemo-gym's shipped gpt-5 rollouts, with the rewards its math_with_judge server gave.
    for name in ("example0", "example2", "example3", "example4"):
        assert cases[name]["reward"] == cases[name]["expected"], cases[name]
    # example1 equates two forms of an expression with 4033rd powers (Gym's LLM judge said
    # equal): math-verify cannot decide it within the deadline. Time spent on the answer's own
    # comparison scores 0 (a completion must not be able to force a null), with no error.
    hard = cases["example1"]
    assert hard["reward"] == 1.0 or (hard["reward"] == 0.0 and hard["error"] is None), hard


def test_verify_rejects_a_request_without_a_rollout(gym_server: Server) -> None:
    with gym_server.client() as http:
        answer = http.post("/verify", json={"expected_answer": "3"})
        assert answer.status_code == 422
        assert "response" in answer.json()["detail"]
        assert http.post("/seed_session", json={"expected_answer": "3"}).json() == {}


def test_verify_maps_reasoning_items_and_task_fields(gym_server: Server) -> None:
    """Shapes as the Responses API sends them, checked here without nemo-gym."""
    body = {
        "responses_create_params": {"input": [{"role": "user", "content": "What is 6*7?"}]},
        "response": {
            "output": [
                {"type": "reasoning", "summary": [{"type": "summary_text", "text": "6*7=42"}]},
                {
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": "\\boxed{42}", "annotations": []}],
                },
            ]
        },
        "expected_answer": "42",
    }
    with gym_server.client() as http:
        answer = http.post("/verify?rewards=accuracy:1,format:0.5", json=body).json()
    assert answer["reward"] == 1.5  # format sees the reasoning item as a closed think block
    assert answer["components"] == {"accuracy": 1.0, "format": 1.0}
    assert answer["expected_answer"] == "42" and answer["response"] == body["response"]
    undecided = {**body, "expected_answer": ""}
    with httpx.Client(base_url=gym_server.url) as http:
        answer = http.post("/verify", json=undecided).json()
    assert answer["reward"] == 0.0 and answer["error"]["type"] == "missing_reference"

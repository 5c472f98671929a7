"""The code grader used by the server: extraction, validation, scoring, error mapping."""

from __future__ import annotations

from typing import Any

import pytest

from reward_server.rewards.base import ErrorType
from reward_server.rewards.code import (
    CodeFormatParams,
    CodeParams,
    code_format,
    fenced_blocks,
    grade_code,
)
from reward_server.rewards.registry import REWARDS
from reward_server.schemas import Item
from sandbox import CodeJob, CodeResult, SandboxBusy, SandboxPool, SandboxSettings
from sandbox.backend import SandboxUnavailable

session_loop = pytest.mark.asyncio(loop_scope="session")

IO = {"type": "stdin_stdout", "cases": [{"input": "2\n", "output": "4\n"},
                                         {"input": "3\n", "output": "9\n"}]}


def fence(code: str, tag: str = "python") -> str:
    return f"```{tag}\n{code}\n```"


class FakePool:
    """Records the job; answers with a canned result or raises."""

    def __init__(self, answer: CodeResult | Exception | None = None) -> None:
        self.settings = SandboxSettings(backend="process")
        self.answer = answer
        self.jobs: list[CodeJob] = []

    async def run(self, job: CodeJob) -> CodeResult:
        self.jobs.append(job)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer or CodeResult(verdict="pass", passed=job.n_tests(),
                                         total=job.n_tests(), language=job.language.value)


async def grade(completion: str, tests: Any = IO, pool: Any = None, **kw: Any) -> Any:
    item = Item(completion=completion, tests=tests, **{k: v for k, v in kw.items()
                                                       if k in ("language", "think_prefilled")})
    params = CodeParams(**{k: v for k, v in kw.items() if k in CodeParams.model_fields})
    return await grade_code(item, pool if pool is not None else FakePool(), params)


def test_fenced_blocks_linear_and_robust() -> None:
    text = "x```py\na\n```\n```\nb\n``` ```c++ -O2\nc\n```" + "```" * 10000
    assert [(b.tag, b.code) for b in fenced_blocks(text)] == [("py", "a\n"), ("", "b\n"),
                                                              ("c++", "c\n")]
    assert fenced_blocks("```python\nunclosed") == []


@session_loop
async def test_program_extraction() -> None:
    pool = FakePool()
    draft = "<think>" + fence("print('draft')") + "</think>"
    await grade(draft + "Answer:\n" + fence("print(int(input())**2)") + "\nOutput:\n```\n4\n```",
                pool=pool)
    assert pool.jobs[-1].code.strip() == "print(int(input())**2)"
    await grade(fence("int main(){}", "cpp") + fence("print(1)"), pool=pool, language="cpp")
    assert pool.jobs[-1].code.strip() == "int main(){}" and pool.jobs[-1].language.value == "cpp"
    await grade(fence("console.log(1)", "js"), pool=pool)
    assert pool.jobs[-1].language.value == "javascript"


@session_loop
async def test_no_code() -> None:
    for completion in ("no code here", "<think>" + fence("print(4)") + "</think> done",
                       "<think>never closed " + fence("print(4)"), fence("   ")):
        score = await grade(completion)
        assert score.value == 0.0 and score.detail["verdict"] == "no_code", completion


@session_loop
async def test_reference_problems_are_undecided() -> None:
    score = await grade(fence("print(1)"), tests={"type": "stdin_stdout", "cases": []})
    assert score.value is None and score.error.type == ErrorType.invalid_reference
    score = await grade(fence("print(1)"), tests=None)
    assert score.value is None and score.error.type == ErrorType.missing_reference
    score = await grade(fence("print(1)"), language="cobol")
    assert score.error.type == ErrorType.invalid_reference
    asserts = {"test_list": ["assert f() == 1"]}
    score = await grade(fence("int f(){}", "cpp"), tests=asserts, language="cpp")
    assert score.error.type == ErrorType.invalid_reference
    score = await grade(fence("int f(){}", "cpp"), tests=asserts)  # the model chose C++
    assert score.value == 0.0 and score.detail["verdict"] == "compile_error"


@session_loop
async def test_sandbox_failures() -> None:
    with pytest.raises(SandboxBusy):
        await grade(fence("print(1)"), pool=FakePool(SandboxBusy(1.0)))
    score = await grade(fence("print(1)"), pool=FakePool(SandboxUnavailable("down")))
    assert score.value is None and score.error.type == ErrorType.sandbox_error
    broken = CodeResult(verdict="sandbox_error", message="container died", total=2)
    score = await grade(fence("print(1)"), pool=FakePool(broken))
    assert score.value is None and score.error.type == ErrorType.sandbox_error
    item = Item(completion=fence("print(1)"), tests=IO)
    score = await grade_code(item, None, CodeParams())
    assert score.value is None and score.error.type == ErrorType.sandbox_error


@session_loop
async def test_params_reach_the_job() -> None:
    pool = FakePool()
    await grade(fence("print(1)"), pool=pool, time_s=0.5, memory_mb=64, compare="tokens",
                scoring="fraction")
    job = pool.jobs[-1]
    assert job.limits.time_s == 0.5 and job.limits.memory_mb == 64
    assert job.tests.compare.mode.value == "tokens" and job.stop_on_failure is False


@session_loop
async def test_real_sandbox_scores(pool: SandboxPool) -> None:
    good = fence("print(int(input()) ** 2)")
    half = fence("n = int(input())\nprint(4 if n == 2 else 0)")
    score = await grade(good, pool=pool)
    assert score.value == 1.0 and score.detail["verdict"] == "pass"
    assert score.detail["passed"] == 2 and score.detail["compare"] == "lines"
    score = await grade(half, pool=pool)
    assert score.value == 0.0 and score.detail["first_failure"]["expected"] == "4\n" or (
        score.detail["first_failure"]["input"] == "3\n")
    score = await grade(half, pool=pool, scoring="fraction")
    assert score.value == 0.5 and score.detail["passed"] == 1 and score.detail["total"] == 2
    score = await grade(fence("print(", "python"), pool=pool)
    assert score.value == 0.0 and score.detail["verdict"] == "compile_error"


def test_code_format() -> None:
    assert "code_format" in REWARDS and REWARDS["code_format"].params is CodeFormatParams
    any_lang = CodeFormatParams()
    assert code_format(Item(completion=fence("print(1)")), any_lang).value == 1.0
    assert code_format(Item(completion=fence("print(1)", "")), any_lang).value == 0.0
    assert code_format(Item(completion="<think>" + fence("x=1") + "</think>no"), any_lang
                       ).value == 0.0
    cpp = Item(completion=fence("int main(){}", "c++"), language="cpp")
    assert code_format(cpp, any_lang).value == 1.0
    assert code_format(Item(completion=fence("x", "python"), language="cpp"), any_lang).value == 0
    assert code_format(Item(completion=fence("x", "py")), CodeFormatParams(language="python")
                       ).value == 1.0
    assert code_format(Item(completion=fence("   ", "python")), any_lang).value == 0.0

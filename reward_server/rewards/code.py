"""Code rewards: ``accuracy`` for items with tests (run in the sandbox) and ``code_format``.

The program is a fenced code block of the answer part (after ``</think>``), so code
drafted while thinking never counts: the last one that defines what the tests call or
reads their input, else the last (``code_blocks.pick_program``; ``detail.program`` says
which and why). A wrong program is a score of 0 with its verdict; only
infrastructure failures (and unusable tests) are undecided, so trainers can drop the item
instead of punishing the model for a broken sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.code_blocks import fenced_blocks, pick_program
from reward_server.rewards.extract import split_completion
from reward_server.rewards.registry import register
from reward_server.schemas import Item
from sandbox.backend import SandboxBusy, SandboxError
from sandbox.jobs import (
    AssertTests,
    CodeJob,
    CompareMode,
    Language,
    Subtask,
    Verdict,
    normalize_language,
    parse_tests,
)

if TYPE_CHECKING:
    from sandbox.pool import SandboxPool


class CodeParams(BaseModel):
    """Parameters of code ``accuracy`` (``options.params.accuracy`` for code items)."""

    model_config = ConfigDict(extra="forbid")

    scoring: Literal["all", "fraction"] = Field(
        "all",
        description="`all`: 1 only if every test passes (stops at the first failure); "
        "`fraction`: share of tests passed (a checker's partial points count). Tests with "
        "`subtasks` are scored by subtask instead.",
    )
    default_language: str = Field("python", description="when neither item nor fence says")
    time_s: float | None = Field(None, gt=0, le=60, description="CPU seconds per test")
    memory_mb: int | None = Field(None, ge=32, le=16384)
    compare: CompareMode | None = Field(None, description="override stdin/stdout comparison")
    truncate: int = Field(500, ge=16, le=100_000, description="chars kept per failure field")


class CodeFormatParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: str | None = Field(
        None, description="expected language when the item has none; absent: any supported one"
    )


def _detail(result: Any, language: str, **extra: Any) -> dict[str, Any]:
    failure = result.first_failure.model_dump() if result.first_failure else None
    detail = {
        "verdict": result.verdict.value,
        "passed": result.passed,
        "total": result.total,
        "compare": result.compare,
        "first_failure": failure,
        "language": language,
        "cached": result.cached,
    }
    if result.verdict == Verdict.compile_error:
        detail["compile_output"] = result.compile_output[:2000]
    if result.message:
        detail["message"] = result.message
    return {**detail, **extra}


def _zero(verdict: str, language: str | None, message: str, total: int = 0) -> Score:
    return Score(
        0.0,
        detail={
            "verdict": verdict,
            "passed": 0,
            "total": total,
            "language": language,
            "message": message,
        },
    )


async def grade_code(item: Item, pool: SandboxPool | None, params: CodeParams) -> Score:
    """Run the answer's program against ``item.tests`` in the sandbox.

    Raises SandboxBusy (the server answers 429 with Retry-After); every other sandbox
    problem is an undecided ``sandbox_error`` score.
    """
    if item.tests is None:
        return Score.undecided(ErrorType.missing_reference, "the item has no tests")
    try:
        tests = parse_tests(item.tests)
    except (ValidationError, ValueError) as e:
        return Score.undecided(ErrorType.invalid_reference, f"invalid tests: {e}")
    item_lang = normalize_language(item.language)
    if item.language and item_lang is None:
        message = f"unsupported language {item.language!r}"
        return Score.undecided(ErrorType.invalid_reference, message)
    answer = split_completion(item.completion, item.think_prefilled).answer
    blocks = fenced_blocks(answer)
    # assert and call tests run Python, so a shell or output block is never the program
    expected = item_lang or (Language.python if tests.type in ("assert", "call") else None)
    choice = pick_program(blocks, expected, tests)
    n_tests = (len(tests.asserts) or 1) if isinstance(tests, AssertTests) else len(tests.cases)
    if choice is None:
        return _zero(
            Verdict.no_code.value, item.language, "no fenced code block in the answer", n_tests
        )
    block = choice.block
    program = {"block": choice.index, "blocks": len(blocks), "reason": choice.reason}
    language = (
        item_lang
        or normalize_language(block.tag)
        or normalize_language(params.default_language)
        or Language.python
    )
    if tests.type in ("assert", "call") and language != Language.python:
        if item_lang is not None:
            message = f"{tests.type} tests need python, the item says {item_lang.value}"
            return Score.undecided(ErrorType.invalid_reference, message)
        return _zero(
            Verdict.compile_error.value,
            language.value,
            f"{tests.type} tests need a python program",
            n_tests,
        )
    if params.compare is not None and tests.type == "stdin_stdout":
        tests = tests.model_copy(
            update={"compare": tests.compare.model_copy(update={"mode": params.compare})}
        )
    if pool is None:
        return Score.undecided(ErrorType.sandbox_error, "code grading is not enabled")
    overrides = {
        k: v
        for k, v in (("time_s", params.time_s), ("memory_mb", params.memory_mb))
        if v is not None
    }
    limits = pool.settings.limits.model_copy(update=overrides)
    job = CodeJob(
        language=language,
        code=block.code,
        tests=tests,
        limits=limits,
        stop_on_failure=params.scoring == "all",
        truncate=params.truncate,
    )
    try:
        result = await pool.run(job)
    except SandboxBusy:
        raise
    except SandboxError as e:
        return Score.undecided(
            ErrorType.sandbox_error, str(e), language=language.value, program=program
        )
    if result.verdict == Verdict.invalid_checker:  # the reference is broken, not the program
        return Score.undecided(
            ErrorType.invalid_reference,
            result.message or "invalid checker",
            language=language.value,
            program=program,
        )
    if result.verdict == Verdict.sandbox_error:
        detail = _detail(result, language.value, program=program)
        message = detail.pop("message", None) or "sandbox failure"
        return Score.undecided(ErrorType.sandbox_error, message, **detail)
    subtasks = getattr(tests, "subtasks", None)
    extra: dict[str, Any] = {}
    if subtasks:
        value, extra["subtasks"] = _subtask_reward(subtasks, result.subtasks)
    elif params.scoring == "fraction":
        value = result.fraction
    else:
        value = 1.0 if result.verdict == Verdict.pass_ else 0.0
    return Score(value, detail=_detail(result, language.value, program=program, **extra))


def _subtask_reward(
    subtasks: list[Subtask],
    fractions: list[float] | None,
) -> tuple[float, list[dict[str, float]]]:
    """IOI scoring: reward = sum(points_k * score_k) / sum(points_k), where score_k is the
    lowest test score of subtask k (0 when it did not run, e.g. a compile error)."""
    got = (
        fractions
        if fractions is not None and len(fractions) == len(subtasks)
        else [0.0] * len(subtasks)
    )
    earned = [st.points * min(1.0, max(0.0, f)) for st, f in zip(subtasks, got, strict=True)]
    total = sum(st.points for st in subtasks)
    shown = [
        {"points": st.points, "earned": round(e, 6)} for st, e in zip(subtasks, earned, strict=True)
    ]
    return sum(earned) / total, shown


@register("code_format", CodeFormatParams)
def code_format(item: Item, params: CodeFormatParams) -> Score:
    """1 if the answer holds a fenced code block in the expected language, else 0."""
    expected_name = item.language or params.language
    expected = normalize_language(expected_name)
    answer = split_completion(item.completion, item.think_prefilled).answer
    blocks = [b for b in fenced_blocks(answer) if b.code.strip()]
    tags = [b.tag for b in blocks]
    if expected is not None:
        ok = any(normalize_language(t) == expected for t in tags)
    elif expected_name:  # a language the sandbox does not know: compare the tags as written
        ok = expected_name.strip().lower() in tags
    else:
        ok = any(normalize_language(t) is not None for t in tags)
    detail = {
        "expected": expected.value if expected else (expected_name or "any"),
        "found": tags[-10:],
    }
    return Score(1.0 if ok else 0.0, detail=detail)

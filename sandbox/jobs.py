"""What the sandbox is asked to do and what it answers: jobs, test specs, limits, results.

These models are the boundary between the server (untrusted, varied dataset shapes) and the
runner inside the container (plain JSON). Everything is validated and normalised here, so
the runner can trust its input and the cache key is stable.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator, model_validator

from sandbox.formats import to_internal
from sandbox.runner.languages import LANGUAGES

# Every graded language, from the runner's one table (sandbox/runner/languages.py).
Language = Enum("Language", {name: name for name in LANGUAGES}, type=str,  # type: ignore[misc]
                module=__name__, qualname="Language")
Language.__doc__ = "A graded language; the members are the keys of ``LANGUAGES``."

ALIASES: dict[str, Language] = {
    alias: Language(lang.name) for lang in LANGUAGES.values() for alias in lang.aliases}


def normalize_language(name: str | None) -> Language | None:
    """Map a fence tag or dataset label (``py``, ``C++``, ``nodejs``) to a Language."""
    if not name:
        return None
    key = name.strip().lower()
    try:
        return Language(key)
    except ValueError:
        return ALIASES.get(key)


class CompareMode(str, Enum):
    """How program output is compared with the expected output (the result names it)."""

    lines = "lines"  # every line, trailing whitespace per line and trailing blank lines ignored
    tokens = "tokens"  # whitespace-separated tokens, numbers within abs_tol/rel_tol if given
    exact = "exact"  # byte for byte


class Compare(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: CompareMode = CompareMode.lines
    abs_tol: float | None = Field(None, ge=0)
    rel_tol: float | None = Field(None, ge=0)


def _text(value: Any) -> str:
    """Datasets store stdin/stdout as strings, lists of lines or numbers: make it a string."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value) + "\n"
    return value if isinstance(value, str) else str(value)


class StdinStdoutCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str = ""
    output: str

    @field_validator("input", "output", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> str:
        return _text(v)


class Checker(BaseModel):
    """A special judge, run as ``checker input.txt output.txt answer.txt`` in the sandbox after
    the program, with its own limits (testlib's protocol: exit 0 accepted, 1 wrong answer,
    2 presentation error, 7 partial with ``points X`` on its first output line, X in [0, 1];
    3 or anything else is a checker error). Its message goes into the result.

    ``cpp`` sources compile once per job with g++ -std=gnu++17; a testlib checker brings
    ``testlib.h`` in ``files`` (the image does not ship it). ``python`` runs the source with
    the image's python3 and ``sys.argv[1:4]`` naming the three files.
    """

    model_config = ConfigDict(extra="forbid")

    language: Literal["python", "cpp"] = "cpp"
    source: str = Field(..., min_length=1, max_length=1 << 20)
    files: dict[str, str] = Field(default_factory=dict,
                                  description="name -> text (e.g. testlib.h) next to the source")
    time_s: float = Field(5.0, gt=0, le=60, description="CPU seconds per check")
    memory_mb: int = Field(512, ge=32, le=4096)

    @field_validator("files")
    @classmethod
    def _small_and_flat(cls, v: dict[str, str]) -> dict[str, str]:
        if sum(len(t) for t in v.values()) > 4 << 20:
            raise ValueError("checker files exceed 4 MiB")
        for name in v:
            if not name or name.startswith(("/", ".")) or "/" in name or name in (
                    "checker", "checker.cpp", "checker.py"):
                raise ValueError(f"checker file name {name!r} must be a plain, unused name")
        return v


class Subtask(BaseModel):
    """IOI-style group: scores ``points`` times the lowest score of its tests (1 pass, 0 fail,
    a checker's partial points), so all must pass for full points. Tests are case indices
    (0-based); one test may belong to several subtasks."""

    model_config = ConfigDict(extra="forbid")

    points: float = Field(..., gt=0, le=1e6)
    tests: list[int] = Field(..., min_length=1, max_length=1000)


def _check_subtasks(subtasks: list[Subtask] | None, n_cases: int) -> None:
    for k, st in enumerate(subtasks or []):
        bad = [i for i in st.tests if not 0 <= i < n_cases]
        if bad:
            raise ValueError(f"subtask {k} names tests {bad[:5]} outside 0..{n_cases - 1}")


class StdinStdoutTests(BaseModel):
    """Feed each case's input on stdin, compare stdout (exit code must be 0), or let a
    ``checker`` judge it (then ``compare`` is not used)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["stdin_stdout"] = "stdin_stdout"
    cases: list[StdinStdoutCase] = Field(..., min_length=1, max_length=1000)
    compare: Compare = Field(default_factory=Compare)
    checker: Checker | None = None
    subtasks: list[Subtask] | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _subtasks_in_range(self) -> StdinStdoutTests:
        _check_subtasks(self.subtasks, len(self.cases))
        return self


class AssertTests(BaseModel):
    """Python test code run after the program in its process (HumanEval, MBPP).

    ``code`` runs first (``def check(candidate)`` or top-level asserts), then
    ``check(<entry_point>)`` if both exist, then each of ``asserts`` counted on its own.
    """

    model_config = ConfigDict(extra="forbid")

    type: Literal["assert"] = "assert"
    code: str = ""
    asserts: list[str] = Field(default_factory=list, max_length=1000)
    entry_point: str | None = None

    @model_validator(mode="after")
    def _has_tests(self) -> AssertTests:
        if not self.code.strip() and not self.asserts:
            raise ValueError("assert tests need `code` or `asserts`")
        return self


class CallCase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    expected: Any = None


class CallTests(BaseModel):
    """Call ``fn_name`` (a function, or a method of ``Solution``) and compare the value."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["call"] = "call"
    fn_name: str = Field(..., min_length=1)
    cases: list[CallCase] = Field(..., min_length=1, max_length=1000)
    compare: Compare = Field(default_factory=lambda: Compare(abs_tol=1e-6, rel_tol=1e-6))
    unwrap_singleton: bool = Field(
        False, description="APPS stores a return value v as [v]: accept either."
    )
    subtasks: list[Subtask] | None = Field(None, min_length=1, max_length=100)
    prelude: str = Field("", max_length=4096, description="Python run before the program in "
                         "its namespace, e.g. the imports LeetCode and APPS graders provide")

    @model_validator(mode="after")
    def _subtasks_in_range(self) -> CallTests:
        _check_subtasks(self.subtasks, len(self.cases))
        return self


class RunSpec(BaseModel):
    """Run once with ``stdin`` and report what happened (SandboxFusion ``/run_code``)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["run"] = "run"
    stdin: str = ""
    files: dict[str, str] = Field(default_factory=dict, description="name -> base64 content")
    fetch_files: list[str] = Field(default_factory=list)


TestSpec = Annotated[StdinStdoutTests | AssertTests | CallTests, Field(discriminator="type")]
AnySpec = Annotated[
    StdinStdoutTests | AssertTests | CallTests | RunSpec, Field(discriminator="type")
]
_TESTS: TypeAdapter[Any] = TypeAdapter(TestSpec)


def parse_tests(raw: dict[str, Any]) -> StdinStdoutTests | AssertTests | CallTests:
    """Validate an item's ``tests`` (internal shape or a dataset row, see ``sandbox.formats``);
    raises ValueError (pydantic's included) when unusable."""
    if not isinstance(raw, dict):
        raise ValueError("tests must be an object")
    return _TESTS.validate_python(to_internal(raw))


class Limits(BaseModel):
    """Per-test limits. CPU time decides timeouts, so verdicts do not depend on load."""

    model_config = ConfigDict(extra="forbid")

    time_s: float = Field(3.0, gt=0, le=60, description="CPU seconds per test")
    wall_time_s: float | None = Field(None, gt=0, le=180, description="default: 3*time_s + 2")
    memory_mb: int = Field(512, ge=32, le=16384)
    output_bytes: int = Field(8 << 20, ge=1024, le=256 << 20)
    file_size_mb: int = Field(16, ge=1, le=1024)
    processes: int = Field(64, ge=1, le=4096)
    compile_time_s: float = Field(30.0, gt=0, le=300)
    compile_memory_mb: int = Field(1536, ge=64, le=16384)
    compile_processes: int = Field(256, ge=1, le=4096)
    total_time_s: float = Field(60.0, gt=0, le=3600, description="all tests of one job")

    def wall(self) -> float:
        return self.wall_time_s or 3 * self.time_s + 2

    def for_runner(self) -> dict[str, Any]:
        return {**self.model_dump(), "wall_time_s": self.wall()}


class CodeJob(BaseModel):
    """One program and all its tests: the unit the pool schedules and caches."""

    model_config = ConfigDict(extra="forbid")

    language: Language
    code: str = Field(..., max_length=1 << 20)
    tests: AnySpec
    limits: Limits = Field(default_factory=Limits)
    stop_on_failure: bool = Field(True, description="all-pass scoring stops at the first failure")
    truncate: int = Field(1000, ge=16, le=1 << 20, description="max chars per reported field")

    @model_validator(mode="after")
    def _python_only_formats(self) -> CodeJob:
        if self.tests.type in ("assert", "call") and self.language != Language.python:
            raise ValueError(f"{self.tests.type} tests need a python program")
        return self

    def n_tests(self) -> int:
        t = self.tests
        if isinstance(t, AssertTests):
            return len(t.asserts) or 1
        return 1 if isinstance(t, RunSpec) else len(t.cases)

    def for_runner(self) -> dict[str, Any]:
        return {"language": self.language.value, "code": self.code,
                "tests": self.tests.model_dump(mode="json"), "limits": self.limits.for_runner(),
                "stop_on_failure": self.stop_on_failure, "truncate": self.truncate}

    def cache_key(self, image: str) -> str:
        blob = json.dumps([image, self.for_runner()], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def time_sliced(self, slice_s: float) -> CodeJob:
        """This job with at most ``slice_s`` CPU seconds (and ``3 * slice_s`` wall) per test,
        or the job itself when its limits are within that already or ``slice_s`` is 0."""
        lim = self.limits
        wall = min(lim.wall(), 3 * slice_s)
        if slice_s <= 0 or (lim.time_s <= slice_s and lim.wall() <= wall):
            return self
        limits = lim.model_copy(update={"time_s": min(lim.time_s, slice_s), "wall_time_s": wall})
        return self.model_copy(update={"limits": limits})

    def host_deadline(self, margin: float = 30.0) -> float:
        """Seconds the host waits for an answer before declaring the container broken."""
        lim = self.limits
        per = lim.wall() * (self.n_tests() if isinstance(self.tests, AssertTests) else 1)
        checker = getattr(self.tests, "checker", None)
        if checker is not None:  # its compile, and the check of the test that ends the job
            per += 2 * lim.compile_time_s + 5 + 3 * checker.time_s + 2
        return 2 * (2 * lim.compile_time_s + 5) + lim.total_time_s + per + margin


class Verdict(str, Enum):
    pass_ = "pass"
    wrong_answer = "wrong_answer"
    runtime_error = "runtime_error"
    compile_error = "compile_error"
    timeout = "timeout"
    memory_limit = "memory_limit"
    no_code = "no_code"
    partial = "partial"  # a checker gave part of the points
    checker_error = "checker_error"  # the checker failed on this output: graded 0
    invalid_checker = "invalid_checker"  # the checker does not compile: the tests are unusable
    sandbox_killed = "sandbox_killed"  # the program broke two sandboxes; a probe still passed
    sandbox_error = "sandbox_error"


class FirstFailure(BaseModel):
    input: str | None = None
    expected: str | None = None
    got: str | None = None
    checker: str | None = None  # the checker's message, when one judged


class RunOutput(BaseModel):
    """Raw outcome of a ``run`` job."""

    status: str  # pass / runtime_error / timeout / memory_limit
    return_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    time_s: float = 0.0
    files: dict[str, str] = Field(default_factory=dict)


class CodeResult(BaseModel):
    """The verdict on one program. ``sandbox_error`` means infrastructure, not the program."""

    verdict: Verdict
    passed: int = 0
    total: int = 0
    first_failure: FirstFailure | None = None
    compile_output: str = ""
    message: str = ""
    language: str | None = None
    compare: str | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    tests: list[str] = Field(default_factory=list, description="status of each test run")
    scores: list[float] | None = Field(None, description="score of each test run, in [0, 1], "
                                       "when a checker judged (partial points)")
    subtasks: list[float] | None = Field(None, description="each subtask's score in [0, 1]")
    run: RunOutput | None = None
    cached: bool = False
    test_times: list[float] | None = Field(None, exclude=True, description="wall seconds of "
                                           "each test run, from the end of the one before "
                                           "(what the job's total_time_s is spent on)")

    @property
    def fraction(self) -> float:
        """Share of tests passed; with a checker's partial points, their mean over all tests."""
        if not self.total:
            return 0.0
        if self.scores is not None:
            return min(1.0, sum(self.scores) / self.total)
        return self.passed / self.total

    @classmethod
    def from_runner(cls, raw: dict[str, Any], job: CodeJob) -> CodeResult:
        """Build from the runner's JSON; anything malformed becomes a sandbox_error."""
        compare = getattr(job.tests, "compare", None)
        base = {"language": job.language.value,
                "compare": compare.mode.value if compare is not None else None}
        try:
            fields = {k: raw[k] for k in cls.model_fields if k in raw and k not in base}
            fields.setdefault("total", job.n_tests())
            return cls(**base, **fields)
        except (ValueError, TypeError) as e:
            return cls(verdict=Verdict.sandbox_error, message=f"bad runner answer: {e}",
                       total=job.n_tests(), **base)

    @classmethod
    def killed(cls, job: CodeJob, message: str) -> CodeResult:
        """Graded 0: the program itself took its sandbox down (twice, a probe still passes)."""
        return cls(verdict=Verdict.sandbox_killed, message=message, total=job.n_tests(),
                   language=job.language.value)

    @classmethod
    def error(cls, job: CodeJob, message: str) -> CodeResult:
        return cls(verdict=Verdict.sandbox_error, message=message, total=job.n_tests(),
                   language=job.language.value)

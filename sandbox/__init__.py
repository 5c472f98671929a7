"""Runs untrusted programs against their tests in locked-down, warm Docker containers.

Public API::

    pool = SandboxPool(SandboxSettings())      # or settings.backend = "process"
    await pool.start()
    result = await pool.run(CodeJob(language="python", code=..., tests=parse_tests(raw)))
    await pool.close()

``SandboxBusy`` (queue full) and ``SandboxUnavailable`` (pool not running) are raised;
infrastructure failures during a job come back as ``Verdict.sandbox_error``.
"""

from sandbox.backend import SandboxBusy, SandboxError, SandboxUnavailable
from sandbox.jobs import (
    AssertTests,
    CallTests,
    CodeJob,
    CodeResult,
    Compare,
    CompareMode,
    FirstFailure,
    Language,
    Limits,
    RunSpec,
    StdinStdoutTests,
    Verdict,
    normalize_language,
    parse_tests,
)
from sandbox.pool import SandboxPool
from sandbox.settings import DEFAULT_IMAGE, SandboxSettings

__all__ = [
    "DEFAULT_IMAGE",
    "AssertTests",
    "CallTests",
    "CodeJob",
    "CodeResult",
    "Compare",
    "CompareMode",
    "FirstFailure",
    "Language",
    "Limits",
    "RunSpec",
    "SandboxBusy",
    "SandboxError",
    "SandboxPool",
    "SandboxSettings",
    "SandboxUnavailable",
    "StdinStdoutTests",
    "Verdict",
    "normalize_language",
    "parse_tests",
]

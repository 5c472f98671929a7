"""SandboxFusion's ``POST /run_code``, so verl's ``sandbox_fusion`` reward (and other clients
of that API) can point at this service unchanged.

verl reads ``status`` ("Success" / "Failed" / "SandboxError"), ``compile_result.status``
("Finished" / "Error" / "TimeLimitExceeded") with its ``return_code``, and ``run_result``'s
``status``, ``return_code``, ``stdout``, ``stderr`` and ``execution_time``; it compares stdout
itself. Timeouts here are CPU time (wall clock gets slack), so answers do not depend on load.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from reward_server.disconnect import until_disconnected
from reward_server.routes.deps import SandboxDep
from reward_server.routes.errors import retry_later
from sandbox.backend import SandboxBusy, SandboxError
from sandbox.jobs import CodeJob, Language, RunSpec, Verdict, normalize_language
from sandbox.runner.languages import LANGUAGES
from sandbox.scheduler import REQUEST

router = APIRouter(tags=["compat"])

COMPILED = {Language(lang.name) for lang in LANGUAGES.values() if lang.compiled}


class RunCodeRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    language: str = "python"
    stdin: str | None = ""
    compile_timeout: float = Field(10.0, gt=0)
    run_timeout: float = Field(10.0, gt=0)
    memory_limit_MB: int = -1
    files: dict[str, str | None] = Field(default_factory=dict, description="path -> base64")
    fetch_files: list[str] = Field(default_factory=list)


class CommandResult(BaseModel):
    status: Literal["Finished", "Error", "TimeLimitExceeded"]
    execution_time: float | None = None
    return_code: int | None = None
    stdout: str = ""
    stderr: str = ""


class RunCodeResponse(BaseModel):
    status: Literal["Success", "Failed", "SandboxError"]
    message: str = ""
    compile_result: CommandResult | None = None
    run_result: CommandResult | None = None
    executor_pod_name: str | None = None
    files: dict[str, str] = Field(default_factory=dict)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def build_job(body: RunCodeRequest, defaults: Any) -> CodeJob:
    """The SandboxFusion request as a one-run job; raises ValueError for what we cannot run."""
    language = normalize_language(body.language)
    if language is None:
        raise ValueError(f"unsupported language {body.language!r}")
    run_s = _clamp(body.run_timeout, 0.1, 60)
    updates: dict[str, Any] = {
        "time_s": run_s,
        "wall_time_s": _clamp(max(2 * run_s, run_s + 2), 0.1, 180),
        "compile_time_s": _clamp(body.compile_timeout, 0.1, 300),
        "total_time_s": run_s + 5,
    }
    if body.memory_limit_MB > 0:
        updates["memory_mb"] = int(_clamp(body.memory_limit_MB, 32, 16384))
    spec = RunSpec(
        stdin=body.stdin or "",
        files={k: v for k, v in body.files.items() if v is not None},
        fetch_files=body.fetch_files,
    )
    return CodeJob(
        language=language,
        code=body.code,
        tests=spec,
        limits=defaults.model_copy(update=updates),
        truncate=1 << 20,
    )


def to_response(job: CodeJob, result: Any) -> RunCodeResponse:
    if result.verdict == Verdict.sandbox_error:
        return RunCodeResponse(status="SandboxError", message=result.message)
    compile_s = result.timings.get("compile_s")
    compile_result = None
    if result.verdict == Verdict.compile_error:
        timed_out = "time limit" in result.message
        compile_result = CommandResult(
            status="TimeLimitExceeded" if timed_out else "Finished",
            execution_time=compile_s,
            return_code=None if timed_out else 1,
            stderr=result.compile_output,
        )
        return RunCodeResponse(
            status="Failed", message=result.message, compile_result=compile_result
        )
    if job.language in COMPILED:
        compile_result = CommandResult(
            status="Finished", execution_time=compile_s, return_code=0, stderr=result.compile_output
        )
    run = result.run
    if result.verdict == Verdict.sandbox_killed:  # the program's doing: a failed run
        return RunCodeResponse(status="Failed", message=result.message,
                               compile_result=compile_result)
    if run is None:
        return RunCodeResponse(status="SandboxError", message="no run result")
    status = "TimeLimitExceeded" if run.status == Verdict.timeout.value else "Finished"
    run_result = CommandResult(
        status=status,
        execution_time=run.time_s,
        return_code=run.return_code,
        stdout=run.stdout,
        stderr=run.stderr,
    )
    ok = run.status == Verdict.pass_.value
    return RunCodeResponse(
        status="Success" if ok else "Failed",
        message="" if ok else result.message,
        compile_result=compile_result,
        run_result=run_result,
        files=run.files,
    )


@router.post("/run_code", response_model=RunCodeResponse)
async def run_code(body: RunCodeRequest, request: Request, pool: SandboxDep) -> Any:
    """Run one program on one stdin, SandboxFusion style."""
    if pool is None:
        return JSONResponse({"detail": "code sandbox is disabled"}, status_code=503)
    try:
        job = build_job(body, pool.settings.limits)
    except ValueError as e:
        return RunCodeResponse(status="SandboxError", message=str(e))
    try:
        REQUEST.set(uuid.uuid4().hex)  # its own line in the pool's fair queue
        result = await until_disconnected(request, pool.run(job))
    except SandboxBusy as e:
        return retry_later(str(e), e.retry_after)
    except SandboxError as e:
        return JSONResponse({"detail": str(e)}, status_code=503)
    return to_response(job, result)

"""Pool configuration. Plain pydantic so the server can embed it in its own settings."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sandbox.jobs import Limits

DEFAULT_IMAGE = "verifiable-rewards-sandbox:latest"


def _default_pool_size() -> int:
    return max(2, 2 * (os.cpu_count() or 1))


class SandboxSettings(BaseModel):
    """How many warm sandboxes, how they are locked down, and how jobs queue for them."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["docker", "process"] = Field(
        "docker", description="`process` runs programs without a container: explicit opt-in, "
        "only for hosts that are already a locked-down container."
    )
    image: str = DEFAULT_IMAGE
    pool_size: int = Field(default_factory=_default_pool_size, ge=1, le=256)
    max_jobs_per_container: int = Field(500, ge=1)
    queue_size: int = Field(
        8192, ge=0, description="jobs waiting for a sandbox before SandboxBusy (429); keep it "
        "above the largest batch of code items one request may carry"
    )
    retry_after_s: float = Field(1.0, gt=0, description="least Retry-After when the queue is full")
    limits: Limits = Field(default_factory=Limits, description="default per-job limits")
    first_pass_time_s: float = Field(
        1.0, ge=0, description="CPU seconds per test of every job's first run (wall: 3x); a job "
        "that times out in it runs again with its full limits after its request's other first "
        "runs, so cheap items are not starved behind slow ones. 0: one run, full limits"
    )
    shard_min_tests: int = Field(
        8, ge=0, description="a stdin job with at least twice this many tests is split across "
        "the sandboxes idle when it starts (at least this many tests each), the parts run at "
        "once and their results merge into the one a single run gives. 0: never split"
    )
    runtime: str | None = Field(None, description="OCI runtime, e.g. `runsc` for gVisor")
    container_memory_mb: int = Field(2048, ge=128, description="memory = memory+swap")
    container_cpus: float = Field(1.0, gt=0)
    pids_limit: int = Field(256, ge=16)
    work_tmpfs_mb: int = Field(256, ge=16, description="/work: sources, binaries, program files")
    tmp_tmpfs_mb: int = Field(64, ge=8)
    shm_mb: int = Field(16, ge=1)
    uid_range: tuple[int, int] = Field(
        (20000, 60000),
        description="each container runs as a random uid from this range, so RLIMIT_NPROC "
        "(counted per uid, host-wide) is effectively per container",
    )
    cache_size: int = Field(8192, ge=0)
    start_timeout_s: float = Field(60.0, gt=0)
    deadline_margin_s: float = Field(30.0, gt=0)
    reap_foreign: bool = Field(
        False, description="at start, also remove sandboxes of other live servers"
    )
    process_drop_uid: int | None = Field(
        None, description="process backend running as root: run programs as this uid"
    )
    process_root: str | None = Field(None, description="process backend: parent of work dirs")

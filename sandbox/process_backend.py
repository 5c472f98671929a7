"""The same runner with no container around it: for hosts that cannot reach a Docker engine
but are themselves a locked-down, disposable container (a Kubernetes pod, a CI job).

This is weaker, and says so loudly: programs share the host's kernel view, file system
(read-write where the server's user can write), network, and, unless the server runs as root
with ``process_drop_uid`` set, the server's own uid, so a hostile program can signal or read
the server. rlimits, process-tree cleanup and tests kept in the runner's memory still apply.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from sandbox.backend import Backend, SandboxUnavailable, Worker, WorkerBroken
from sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)

RUNNER = Path(__file__).resolve().parent / "runner" / "__main__.py"
WARNING = (
    "SANDBOX PROCESS BACKEND: untrusted programs run WITHOUT a container (no network, "
    "file-system or uid isolation beyond rlimits). Use it only inside an already "
    "locked-down, disposable container."
)


class ProcessWorker(Worker):
    def __init__(self, proc: asyncio.subprocess.Process, root: str, name: str) -> None:
        self.proc = proc
        self.root = root
        self.name = name
        self.jobs = 0

    async def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(message).encode() + b"\n")
            await self.proc.stdin.drain()
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except (OSError, asyncio.TimeoutError, ValueError) as e:
            raise WorkerBroken(f"runner {self.name}: {e!r}") from e
        if not line:
            raise WorkerBroken(f"runner {self.name} exited (code {self.proc.returncode})")
        try:
            return json.loads(line)
        except ValueError as e:
            raise WorkerBroken(f"runner {self.name}: unreadable answer {line[:200]!r}") from e

    async def ended_by_itself(self) -> bool:
        try:
            code = await asyncio.wait_for(self.proc.wait(), 2.0)
        except asyncio.TimeoutError:
            return False  # still running: it stopped answering, which is not the program's doing
        return code not in (-9, -15)  # other than a kill from outside: the runner died

    async def close(self) -> None:
        if self.proc.returncode is None:
            try:
                self.proc.kill()
            except ProcessLookupError:
                pass
            await self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class ProcessBackend(Backend):
    def __init__(self, settings: SandboxSettings, pool_id: str) -> None:
        self.settings = settings
        self.pool_id = pool_id
        self.image_id = "process:" + sys.version.split()[0]
        self.workers: list[ProcessWorker] = []
        self.count = 0

    async def prepare(self) -> None:
        log.warning(WARNING)
        if not RUNNER.is_file():
            raise SandboxUnavailable(f"runner not found at {RUNNER}")
        if os.geteuid() == 0 and self.settings.process_drop_uid is None:
            log.warning("SANDBOX PROCESS BACKEND runs programs AS ROOT: set process_drop_uid")

    async def spawn(self) -> Worker:
        self.count += 1
        self.workers = [w for w in self.workers if w.proc.returncode is None]
        root = tempfile.mkdtemp(prefix=f"vr-sandbox-{self.pool_id}-",
                                dir=self.settings.process_root)
        args = [sys.executable, "-I", str(RUNNER), "--serve", "--mode=process", f"--root={root}"]
        if self.settings.process_drop_uid is not None:
            args.append(f"--drop-uid={self.settings.process_drop_uid}")
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, limit=256 << 20, start_new_session=True)
        worker = ProcessWorker(proc, root, f"proc-{self.count}")
        try:
            pong = await worker.request({"op": "ping"}, self.settings.start_timeout_s)
        except WorkerBroken:
            await worker.close()
            raise
        if pong.get("op") != "pong":
            await worker.close()
            raise WorkerBroken(f"unexpected greeting {pong!r}")
        self.workers.append(worker)
        return worker

    async def shutdown(self) -> int:
        alive = [w for w in self.workers if w.proc.returncode is None]
        for w in self.workers:
            await w.close()
        self.workers.clear()
        return len(alive)

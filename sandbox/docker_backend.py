"""Warm, locked-down Docker containers, each running the runner as pid 1 in ``--serve`` mode.

A job is one JSON line written to the container's attached stdin and one line read back from
its multiplexed stdout: about a millisecond of overhead, against ~58 ms for ``docker exec``
and ~200 ms for ``docker run`` (DESIGN.md). The Docker SDK is blocking, so every call runs in
the pool's thread executor, never on the event loop.

Hardening of every container: no network, read-only root, size-capped tmpfs at /work (exec
allowed: compiled programs run from there; noexec would only stop what the interpreters can
do anyway) and /tmp (noexec), memory == memory+swap, pids limit, CPU quota, all
capabilities dropped, no-new-privileges, a seccomp profile stricter than Docker's
(sandbox/seccomp.py), a random non-root uid, no logging of the job stream, optional gVisor
runtime. Inside, the runner keeps tests in its memory, is not ptrace-able (PR_SET_DUMPABLE=0)
and, being pid 1, cannot be killed from inside the container.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import select
import socket
import struct
import time
from concurrent.futures import Executor
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound
from docker.types import LogConfig, Ulimit

from sandbox import seccomp
from sandbox.backend import Backend, SandboxUnavailable, Worker, WorkerBroken
from sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)

LABEL = "verifiable-rewards.sandbox"
LABEL_POOL = "verifiable-rewards.pool"
LABEL_HOST = "verifiable-rewards.host"
LABEL_PID = "verifiable-rewards.pid"
_COMPOSE_LABELS = ("com.docker.compose.project", "com.docker.compose.service",
                   "com.docker.compose.version", "com.docker.compose.project.config_files",
                   "com.docker.compose.project.working_dir")
_MAX_LINE = 256 << 20


def container_kwargs(settings: SandboxSettings, labels: dict[str, str]) -> dict[str, Any]:
    """The hardened ``containers.create`` arguments shared by the pool and the benchmark."""
    uid = random.randrange(*settings.uid_range)
    mem = f"{settings.container_memory_mb}m"
    kwargs: dict[str, Any] = dict(
        image=settings.image,
        user=f"{uid}:{uid}",
        network_mode="none",
        read_only=True,
        tmpfs={
            "/work": f"rw,exec,nosuid,nodev,size={settings.work_tmpfs_mb}m,mode=1777",
            "/tmp": f"rw,noexec,nosuid,nodev,size={settings.tmp_tmpfs_mb}m,mode=1777",
        },
        shm_size=f"{settings.shm_mb}m",
        ipc_mode="private",
        mem_limit=mem,
        memswap_limit=mem,
        mem_swappiness=0,
        pids_limit=settings.pids_limit,
        nano_cpus=int(settings.container_cpus * 1e9),
        cap_drop=["ALL"],
        security_opt=["no-new-privileges", seccomp.security_opt()],
        ulimits=[Ulimit(name="core", soft=0, hard=0), Ulimit(name="nofile", soft=1024, hard=1024)],
        log_config=LogConfig(type=LogConfig.types.NONE),
        hostname="sandbox",
        environment={"HOME": "/tmp"},
        labels=labels,
        stdin_open=True,
        tty=False,
        detach=True,
    )
    if settings.runtime:
        kwargs["runtime"] = settings.runtime
    return kwargs


class FrameReader:
    """Reads Docker's multiplexed attach stream (8-byte headers) up to one stdout line."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.line = bytearray()
        self.stderr = bytearray()

    def _fill(self, need: int, deadline: float) -> None:
        while len(self.buf) < need:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WorkerBroken("no answer before the deadline")
            self.sock.settimeout(left)
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise WorkerBroken("sandbox closed its stream")
            self.buf += chunk

    def read_line(self, deadline: float) -> bytes:
        while True:
            nl = self.line.find(b"\n")
            if nl >= 0:
                out = bytes(self.line[:nl])
                del self.line[: nl + 1]
                return out
            self._fill(8, deadline)
            kind, size = self.buf[0], struct.unpack(">I", self.buf[4:8])[0]
            self._fill(8 + size, deadline)
            payload = self.buf[8 : 8 + size]
            del self.buf[: 8 + size]
            if kind == 2:
                self.stderr = (self.stderr + payload)[-4096:]
            else:
                self.line += payload
                if len(self.line) > _MAX_LINE:
                    raise WorkerBroken("answer too large")


class DockerWorker(Worker):
    def __init__(self, container: Any, sockio: Any, executor: Executor,
                 unremoved: set[str] | None = None) -> None:
        self.container = container
        self._unremoved = unremoved if unremoved is not None else set()
        self.name = container.short_id
        self._sockio = sockio  # keeps the hijacked HTTP response alive
        self._sock: socket.socket = getattr(sockio, "_sock", sockio)
        self._reader = FrameReader(self._sock)
        self._executor = executor
        self.jobs = 0

    def roundtrip(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Blocking: send one JSON line, read one back."""
        deadline = time.monotonic() + timeout
        try:
            self._sock.settimeout(timeout)
            self._sock.sendall(json.dumps(message).encode() + b"\n")
            line = self._reader.read_line(deadline)
        except (OSError, ValueError) as e:
            raise WorkerBroken(f"sandbox {self.name}: {e}") from e
        except WorkerBroken as e:
            tail = self._reader.stderr.decode("utf-8", "replace").strip()
            raise WorkerBroken(f"sandbox {self.name}: {e}" + (f" ({tail})" if tail else "")) from e
        try:
            return json.loads(line)
        except ValueError as e:
            raise WorkerBroken(f"sandbox {self.name}: unreadable answer {line[:200]!r}") from e

    def dead(self) -> bool:
        """True once the attach stream has ended: the container (or the engine) is gone.
        Asked only about idle sandboxes; peeks, so it never takes a byte from a reader."""
        if self._sock.fileno() < 0:
            return True
        try:
            poller = select.poll()
            poller.register(self._sock, select.POLLIN)
            if not poller.poll(0):
                return False
            return self._sock.recv(1, socket.MSG_PEEK) == b""
        except ValueError:  # a TLS stream to a remote engine cannot be peeked at: trust it
            return False
        except OSError:
            return True

    def ended_by_itself_sync(self) -> bool:
        state: dict[str, Any] = {}
        for _ in range(20):  # the engine records the exit a moment after the stream ends
            try:
                self.container.reload()
            except Exception:  # noqa: BLE001 - gone or engine away: nothing to blame on anyone
                return False
            state = self.container.attrs.get("State") or {}
            if not state.get("Running", True):
                break
            time.sleep(0.1)
        else:
            return False  # alive but not answering: not something a program can do
        # `docker kill`/`stop` from outside ends pid 1 with 137/143; pid 1 cannot be sent
        # those from inside, so any other exit (or an OOM kill) came from within
        return bool(state.get("OOMKilled")) or state.get("ExitCode") not in (137, 143, None)

    async def ended_by_itself(self) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.ended_by_itself_sync)

    async def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.roundtrip, message, timeout)

    def close_sync(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
        try:
            self.container.remove(force=True)
        except NotFound:
            pass
        except Exception as e:  # noqa: BLE001 - engine away (not a DockerException): retried
            self._unremoved.add(self.container.id)
            log.warning("could not remove sandbox %s: %s", self.name, e)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self.close_sync)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DockerBackend(Backend):
    def __init__(self, settings: SandboxSettings, pool_id: str, executor: Executor) -> None:
        self.settings = settings
        self.pool_id = pool_id
        self.executor = executor
        self.client: docker.DockerClient | None = None
        self.host = socket.gethostname()
        # Containers whose removal failed while the engine was away: removed once it is back.
        self.unremoved: set[str] = set()

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _prepare_sync(self) -> None:
        try:
            self.client = docker.from_env(timeout=120)
            self.client.ping()
        except DockerException as e:
            raise SandboxUnavailable(f"Docker engine unreachable: {e}") from e
        try:
            self.image_id = self.client.images.get(self.settings.image).id
        except ImageNotFound as e:
            raise SandboxUnavailable(
                f"sandbox image {self.settings.image!r} not found; build it with `make images`"
            ) from e
        runtime = self.settings.runtime
        if runtime and runtime not in (self.client.info().get("Runtimes") or {}):
            raise SandboxUnavailable(f"Docker runtime {runtime!r} is not installed")
        reaped = self._reap_sync(mine_only=False)
        if reaped:
            log.warning("removed %d sandbox containers leaked by a previous server", reaped)

    async def prepare(self) -> None:
        await self._call(self._prepare_sync)

    def labels(self) -> dict[str, str]:
        # An image built by compose carries compose's labels and Docker copies them onto every
        # container: blank them, so sandboxes never look like members of a compose project.
        return {LABEL: "1", LABEL_POOL: self.pool_id, LABEL_HOST: self.host,
                LABEL_PID: str(os.getpid()), **dict.fromkeys(_COMPOSE_LABELS, "")}

    def _reap_sync(self, mine_only: bool) -> int:
        """Remove this pool's containers, or (at start) those whose server is gone.

        Uses the plain list API (no per-container inspect): other pools on this engine may
        be removing their own containers at the same moment.
        """
        assert self.client is not None
        removed = 0
        for c in self.client.api.containers(all=True, filters={"label": LABEL}):
            lab = c.get("Labels") or {}
            ours = lab.get(LABEL_POOL) == self.pool_id
            if not ours and mine_only:
                continue
            pid = lab.get(LABEL_PID, "")
            orphan = lab.get(LABEL_HOST) == self.host and pid.isdigit() and not _pid_alive(
                int(pid))
            if ours or orphan or self.settings.reap_foreign:
                try:
                    self.client.api.remove_container(c["Id"], force=True)
                    removed += 1
                except NotFound:
                    pass
                except APIError as e:
                    log.warning("could not reap sandbox %s: %s", c["Id"][:12], e)
        return removed

    def _spawn_sync(self) -> DockerWorker:
        assert self.client is not None
        # Named by us: if the engine goes away between creating it and answering, the
        # container exists but its id never arrives; the name lets it be removed later.
        name = f"vr-sandbox-{self.pool_id}-{os.urandom(6).hex()}"
        try:
            container = self.client.containers.create(
                command=["--serve"], name=name, **container_kwargs(self.settings, self.labels()))
        except Exception as e:  # noqa: BLE001 - requests' errors are no DockerException
            self.unremoved.add(name)
            raise WorkerBroken(f"cannot create sandbox: {e}") from e
        try:
            sockio = self.client.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            container.start()
            worker = DockerWorker(container, sockio, self.executor, self.unremoved)
            pong = worker.roundtrip({"op": "ping"}, self.settings.start_timeout_s)
            if pong.get("op") != "pong":
                raise WorkerBroken(f"unexpected greeting {pong!r}")
        except Exception as e:  # noqa: BLE001 - requests' errors are no DockerException
            try:
                container.remove(force=True)
            except NotFound:
                pass
            except Exception:  # noqa: BLE001 - engine away: removed once it is back
                self.unremoved.add(container.id)
            raise WorkerBroken(f"sandbox did not start: {e}") from e
        self._remove_unremoved()
        return worker

    def _remove_unremoved(self) -> None:
        """The engine answers again: remove what an outage left (dead sandboxes, half-started
        ones), so they do not pile up until the server stops."""
        assert self.client is not None
        for cid in list(self.unremoved):
            try:
                self.client.api.remove_container(cid, force=True)
            except NotFound:
                pass
            except Exception:  # noqa: BLE001 - still away: next time
                continue
            self.unremoved.discard(cid)

    async def spawn(self) -> Worker:
        return await self._call(self._spawn_sync)

    async def shutdown(self) -> int:
        if self.client is None:
            return 0
        try:
            return await self._call(self._reap_sync, True)
        except Exception as e:  # noqa: BLE001 - engine away: a stop must still finish cleanly
            log.warning("could not remove this pool's sandboxes (%s); the next server started "
                        "on this host reaps them", e)
            return 0
        finally:
            await self._call(self.client.close)

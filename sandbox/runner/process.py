"""Running one process under limits: fork, rlimits, pipes, a wall clock, and its verdict."""

from __future__ import annotations

import os
import resource
import selectors
import signal
import time
from typing import Any

from .cleanup import Reaper
from .limits import become_sandboxed, rlimits, set_limits, user_tasks
from .zygote_host import PYTHON, ZygoteHost

Json = dict[str, Any]
LEFTOVER_GRACE_S = 0.3  # how long children may outlive the program before they count
MEMORY_ERRORS = ("MemoryError", "std::bad_alloc", "java.lang.OutOfMemoryError",
                 "JavaScript heap out of memory", "runtime: out of memory",
                 "memory allocation of", "Cannot allocate memory", "failed to reserve")


class Capped:
    """Output buffer that keeps a head and a tail and counts everything, for huge outputs."""

    def __init__(self, head: int, tail: int) -> None:
        self.head, self.tail, self.total = bytearray(), bytearray(), 0
        self.h, self.t = head, tail

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.h - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data and self.t:
            self.tail += data
            del self.tail[: max(0, len(self.tail) - self.t)]

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        if self.total <= len(self.head) + len(self.tail):
            return head + self.tail.decode("utf-8", "replace")
        skipped = self.total - len(self.head) - len(self.tail)
        return head + f"\n...[{skipped} bytes skipped]...\n" + self.tail.decode("utf-8", "replace")



class Processes(Reaper):
    """Spawns the job's processes and reports how each ended."""

    def __init__(self, mode: str, root: str, drop_uid: int | None = None) -> None:
        super().__init__(mode, root)
        self.env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                    "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
                    "PYTHONDONTWRITEBYTECODE": "1", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local",
                    # set per job; here from the start, so the zygote's environment has the
                    # names (in the order) of a test process's and sets only what differs
                    "GOMEMLIMIT": "0"}
        self.drop_uid = drop_uid  # process mode as root: run programs as this uid
        self.zygote = ZygoteHost(root, self.env, drop_uid)
        self.warm_forks = 0  # processes forked from the zygote in this job

    # -- the zygote's processes are spared by the sweeps between tests ----------------------
    def spared(self) -> set[int]:
        return self.zygote.pids

    def spared_killed(self) -> None:
        self.zygote.forget()

    def end_of_job(self) -> None:
        self.zygote.end_job()
        self.zygote.check()

    def helpers(self) -> set[int]:
        return self.zygote.unreaped

    def helper_gone(self, pid: int) -> None:
        self.zygote.gone(pid)

    def spawn_warm(self, kind: str, path: str | None, cwd: str, cpu_s: float, mem_mb: int,
                   mem_kind: str, lim: Json, nproc: int, harness: bool,
                   ) -> tuple[int, list[int]] | None:
        """``spawn`` for Python, forked from the zygote's job process (see zygote.py):
        the same pipes, session, limits, cwd and environment; None if the zygote failed."""
        pipes = [os.pipe() for _ in range(4 if harness else 3)]
        if nproc:  # RLIMIT_NPROC counts the zygote and its job process too
            nproc += (user_tasks(self.drop_uid if self.drop_uid is not None else os.getuid())
                      if self.mode == "process" else len(self.zygote.pids))
        env = dict(self.env, HOME=cwd, TMPDIR=cwd if self.mode == "process" else "/tmp")
        request = {"op": "fork", "kind": kind, "path": path, "cwd": cwd, "env": env,
                   "argv0": PYTHON, "rlimits": rlimits(cpu_s, mem_mb, mem_kind,
                                                       lim["file_size_mb"], nproc)}
        theirs = [r if i == 0 else w for i, (r, w) in enumerate(pipes)]
        mine = [w if i == 0 else r for i, (r, w) in enumerate(pipes)]
        pid = self.zygote.fork(request, theirs)
        for fd in theirs:
            os.close(fd)
        if pid is None:
            for fd in mine:
                os.close(fd)
            return None
        return pid, mine

    def spawn(self, argv: list[str], cwd: str, cpu_s: float, mem_mb: int, mem_kind: str,
              lim: Json, nproc: int, harness: bool) -> tuple[int, list[int]]:
        pipes = [os.pipe() for _ in range(4 if harness else 3)]
        if self.mode == "process" and nproc:
            nproc += user_tasks(self.drop_uid if self.drop_uid is not None else os.getuid())
        env = dict(self.env, HOME=cwd, TMPDIR=cwd if self.mode == "process" else "/tmp")
        pid = os.fork()
        if pid == 0:  # child: never returns
            try:
                os.setsid()
                for fd, (r, w) in enumerate(pipes):
                    os.dup2(r if fd == 0 else w, fd)
                os.closerange(len(pipes), 1 << 16)
                become_sandboxed(self.drop_uid)
                set_limits(cpu_s, mem_mb, mem_kind, lim["file_size_mb"], nproc)
                os.chdir(cwd)
                os.umask(0o022)
                os.execvpe(argv[0], argv, env)
            except BaseException as e:  # noqa: BLE001 - report anything, then die
                os.write(2, f"runner: cannot start {argv[0]}: {e}\n".encode())
            os._exit(127)
        for i, (r, w) in enumerate(pipes):
            os.close(r if i == 0 else w)
        return pid, [w if i == 0 else r for i, (r, w) in enumerate(pipes)]

    def run(self, argv: list[str], cwd: str, data: bytes, cpu_s: float, wall_s: float,
            mem_mb: int, mem_kind: str, lim: Json, nproc: int, harness: bool = False,
            warm: tuple[str, str | None] | None = None) -> Json:
        """Run one process to completion under limits; returns what it did and how it ended.
        ``warm``: (kind, program path) to fork it from the zygote instead (Python only); a
        failed zygote means ``argv`` is started instead."""
        oom0 = self.oom_kills()
        started = None
        if warm is not None:
            started = self.spawn_warm(warm[0], warm[1], cwd, cpu_s, mem_mb, mem_kind, lim,
                                      nproc, harness)
        if started is None:
            started = self.spawn(argv, cwd, cpu_s, mem_mb, mem_kind, lim, nproc, harness)
        else:
            self.warm_forks += 1
        # after the start: a zygote that failed there is reaped (and not charged) already
        t0, cpu0, helper0 = time.monotonic(), self.children_cpu(), self.helper_cpu
        pid, fds = started
        stdout, stderr, result = bytearray(), Capped(4096, 4096), bytearray()
        cap, why, pidfd = lim["output_bytes"], None, os.pidfd_open(pid)
        sel = selectors.DefaultSelector()
        sel.register(pidfd, selectors.EVENT_READ, "exit")
        for i, fd in enumerate(fds):
            os.set_blocking(fd, False)
            if i == 0:
                if data:
                    sel.register(fd, selectors.EVENT_WRITE, "in")
                else:
                    os.close(fd)
            else:
                sel.register(fd, selectors.EVENT_READ, ("", "out", "err", "res")[i])
        view, exited = memoryview(data or b""), False
        bufs = {"out": stdout, "err": stderr, "res": result}
        while not exited and why is None:
            left = wall_s - (time.monotonic() - t0)
            if left <= 0:
                why = "wall"
                break
            for key, _ in sel.select(min(left, 1.0)):
                if key.data == "exit":
                    exited = True
                elif key.data == "in":
                    try:
                        view = view[os.write(key.fd, view[: 1 << 16]):]
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        view = view[:0]
                    if not view:
                        sel.unregister(key.fd)
                        os.close(key.fd)
                elif key.fd in sel.get_map():
                    why = self.drain(sel, key.fd, bufs[key.data], cap) or why
        if why is not None:
            self.killpg(pid)
        _, status, ru = os.wait4(pid, 0)
        for key in list(sel.get_map().values()):
            if key.data in bufs and why is None:
                why = self.drain(sel, key.fd, bufs[key.data], cap)
            if key.fd in sel.get_map():
                sel.unregister(key.fd)
                os.close(key.fd)
        sel.close()
        # Children that end right after the program must not make the verdict depend on the
        # scheduler: they get a short grace, and only what still runs then (zombies aside)
        # counts as left behind.
        grace = 0.0 if why else min(LEFTOVER_GRACE_S, max(0.0, wall_s - (time.monotonic() - t0)))
        leftovers = self.settle(time.monotonic() + grace)
        self.killpg(pid)
        if self.others_present():  # nothing but us and the zygote: nothing to sweep
            self.kill_leftovers()
        self.reap()
        # Every process of the job ends as our child (we are pid 1 or a subreaper), so the
        # children's rusage charges all of it: double-forked workers nobody waited for too.
        # The zygote's own time is not the job's, should a sweep (or the program) end it.
        cpu = max(ru.ru_utime + ru.ru_stime,
                  self.children_cpu() - cpu0 - (self.helper_cpu - helper0))
        return {"status": status, "why": why, "cpu": cpu,
                "wall": time.monotonic() - t0, "rss_mb": ru.ru_maxrss / 1024,
                "stdout": bytes(stdout), "stderr": stderr.text(), "result": bytes(result),
                "oom": self.oom_kills() > oom0, "leftovers": leftovers}

    @staticmethod
    def drain(sel: selectors.BaseSelector, fd: int, buf: bytearray | Capped,
              cap: int) -> str | None:
        """Read what is there without blocking; says "output" once the cap is passed."""
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, InterruptedError):
                return None
            if not chunk:
                sel.unregister(fd)
                os.close(fd)
                return None
            if isinstance(buf, Capped):
                buf.add(chunk)
                if buf.total > cap:
                    return "output"
            else:
                buf += chunk
                if len(buf) > cap:
                    return "output"

    @staticmethod
    def children_cpu() -> float:
        """CPU seconds of every reaped child and their waited-for descendants, so far."""
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime


    def oom_kills(self) -> int:
        if self.mode != "container":
            return 0
        try:
            with open("/sys/fs/cgroup/memory/memory.oom_control") as f:
                return int(f.read().rsplit("oom_kill", 1)[1].split()[0])
        except (OSError, ValueError, IndexError):
            return 0

    # -- grading ----------------------------------------------------------------------------
    def classify(self, r: Json, cpu_s: float, mem_mb: int) -> tuple[str | None, str]:
        """Map how a process ended to a test status (None: it exited 0 within limits)."""
        st, sig = r["status"], None
        if os.WIFSIGNALED(st):
            sig = os.WTERMSIG(st)
        if r["why"] == "wall" or r["cpu"] > cpu_s or sig == signal.SIGXCPU:
            return "timeout", f"time limit exceeded (cpu {r['cpu']:.2f}s, wall {r['wall']:.2f}s)"
        if r["why"] == "output":
            return "runtime_error", "output limit exceeded"
        if r["oom"]:
            return "memory_limit", "killed (out of memory)"
        if sig == signal.SIGXFSZ:
            return "runtime_error", "file size limit exceeded"
        if sig is not None or os.WEXITSTATUS(st) != 0:
            if any(p in r["stderr"] for p in MEMORY_ERRORS) or (
                mem_mb and r["rss_mb"] >= 0.9 * mem_mb
            ):
                return "memory_limit", "memory limit exceeded"
            what = f"killed by signal {sig}" if sig else f"exit code {os.WEXITSTATUS(st)}"
            return "runtime_error", what
        if r["leftovers"]:
            return "runtime_error", "left processes running after it exited"
        return None, ""


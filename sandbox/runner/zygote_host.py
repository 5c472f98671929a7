"""The runner's side of the zygote (zygote.py): start it, open a job, fork tests through it.

Every failure (the zygote is slow, dead, stopped, or answers nonsense) kills it and answers
None, and the caller starts that process the plain way instead: the zygote only ever makes a
test faster, never changes its verdict. A job whose zygote failed once runs the rest of its
tests the plain way.
"""

from __future__ import annotations

import marshal
import os
import resource
import signal
import socket
import sys
from typing import Any

from .cleanup import proc_stat
from .limits import ALL_RLIMITS, become_sandboxed, process_state

# warm/main.py links to zygote.py: started from that folder as ``python3 -s main.py``, the
# zygote's command line (``ps``, /proc/<pid>/cmdline) is a plain start's, and so its children's.
WARM_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warm")
PYTHON = sys.executable or "/usr/bin/python3"
START_S = 15.0  # its first start (imports) on a loaded machine
ANSWER_S = 5.0  # one fork, or compiling the program


class ZygoteHost:
    """One warm zygote process (a child of the runner) and, during a job, its job process."""

    def __init__(self, root: str, env: dict[str, str], drop_uid: int | None) -> None:
        self.root, self.env, self.drop_uid = root, env, drop_uid
        self.pid: int | None = None  # the zygote
        self.job_pid: int | None = None  # its job process, during a job
        self.sock: socket.socket | None = None
        self.ready = False
        self.failed_job = False  # the zygote failed during this job: plain starts until its end
        self.unreaped: set[int] = set()  # ours, until the runner reaps them
        self.enabled = True  # ``--zygote=off``: every process starts the plain way
        self.verified = False  # found intact, ready, after the last job (see ``check``)
        # what the zygote's rlimits, nice value and CPU set must be: the runner's, but for
        # the two limits it sets itself (see ``start``)
        limits, nice, cpus = process_state(0)
        stack = resource.getrlimit(resource.RLIMIT_STACK)[1]
        changed = {resource.RLIMIT_STACK: (stack, stack), resource.RLIMIT_CORE: (0, 0)}
        self.expected = (tuple(changed.get(r, v) for r, v in zip(ALL_RLIMITS, limits,
                                                                  strict=True)), nice, cpus)
        self.in_job = False  # a job is open: forks go to its job process (or the zygote)

    @property
    def pids(self) -> set[int]:
        """Processes of ours that leftover sweeps must spare while they are healthy."""
        return {p for p in (self.pid, self.job_pid) if p is not None}

    def start(self) -> None:
        """Start the zygote if it is not running; does not wait for it to be ready."""
        if self.pid is not None or not self.enabled:
            return
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = dict(self.env, HOME=self.root, TMPDIR=self.root)
        pid = os.fork()
        if pid == 0:  # child: never returns
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.dup2(theirs.fileno(), 3)
                os.set_inheritable(3, True)
                os.closerange(4, 1 << 16)
                become_sandboxed(self.drop_uid)
                # the stack limit at exec fixes the memory layout: the programs' (unlimited)
                hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
                resource.setrlimit(resource.RLIMIT_STACK, (hard, hard))
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                os.chdir(WARM_DIR)
                os.execve(PYTHON, [PYTHON, "-s", "main.py"], env)
            except BaseException:  # noqa: BLE001, S110 - exit 127: the runner sees it gone
                pass
            os._exit(127)
        theirs.close()
        self.pid, self.sock, self.ready = pid, mine, False
        self.unreaped.add(pid)

    def intact(self) -> bool:
        """The ready zygote is as it started: not stopped or traced, and with its rlimits,
        nice value and CPU set. Test processes run as its uid and may change any of them
        (SIGSTOP, prlimit, setpriority, sched_setaffinity); a changed zygote would pass the
        change on to every later test, or stall the next one."""
        if self.pid is None:
            return True
        try:
            return (proc_stat(self.pid)[0] not in (b"T", b"t")
                    and process_state(self.pid) == self.expected)
        except (OSError, IndexError):
            return False

    def check(self) -> None:
        """Between jobs: kill a zygote that is no longer intact (a fresh one starts)."""
        if self.ready and not self.in_job:
            self.verified = self.intact()
            if not self.verified:
                self.stop()

    def gone(self, pid: int) -> None:
        """The runner reaped ``pid``: if it was the zygote or the job process, the other one
        is killed and the handle dropped."""
        self.unreaped.discard(pid)
        if pid in (self.pid, self.job_pid):
            self.failed_job = True
            self.stop()

    def stop(self) -> None:
        """Kill the zygote and its job process (the runner reaps them: see ``gone``)."""
        for target in (self.job_pid, self.pid):
            if target is not None and target in self.unreaped:  # a pid nobody else holds
                try:
                    os.kill(target, signal.SIGKILL)
                except OSError:
                    pass
        self.forget()

    def forget(self) -> None:
        """Drop the handle (the processes are already dead or being killed)."""
        if self.sock is not None:
            self.sock.close()
        self.pid = self.job_pid = self.sock = None
        self.ready = self.in_job = self.verified = False

    def _recv(self, timeout: float) -> Any:
        assert self.sock is not None
        self.sock.settimeout(timeout)
        data = self.sock.recv(1 << 16)
        if not data:
            raise OSError("zygote closed its socket")
        return data if data == b"ready" else marshal.loads(data)

    def _wait_ready(self, timeout: float) -> bool:
        if not self.ready:
            self.ready = self._recv(timeout) == b"ready"
        return self.ready

    def begin_job(self, path: str | None) -> bool:
        """Open a job (``path``: the program to compile once, for ``script`` tests; None for
        harness tests, which the zygote forks without a job process)."""
        self.failed_job = False
        if not self.enabled:
            return False
        try:
            self.start()
            # checked here unless checked ready since the last job ended: a zygote that was
            # still starting then may have been changed since by that job's processes
            if not self._wait_ready(START_S) or not (self.verified or self.intact()):
                raise OSError("zygote not ready, or changed")
            if path is None:
                self.in_job = True  # the zygote stays ready: nothing to end
                return True
            assert self.sock is not None
            self.sock.send(marshal.dumps({"op": "job", "path": path}))
            self.ready = False
            reply = self._recv(ANSWER_S)
            if not isinstance(reply, dict) or not reply.get("ok"):
                raise OSError(f"zygote: {reply!r}")
            self.job_pid = None if reply["pid"] is None else int(reply["pid"])
            if self.job_pid is not None:
                self.unreaped.add(self.job_pid)
            self.in_job = True
            return True
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            self.failed_job = True
            self.stop()
            return False

    def fork(self, request: dict[str, Any], fds: list[int]) -> int | None:
        """Fork a test process with ``fds`` as its 0..n-1; its pid (our child), or None."""
        if not self.in_job or self.failed_job:
            return None
        try:
            assert self.sock is not None
            socket.send_fds(self.sock, [marshal.dumps(request)], fds)
            reply = self._recv(ANSWER_S)
            return int(reply["pid"])
        except (OSError, ValueError, EOFError, TypeError, KeyError):
            self.failed_job = True
            self.stop()
            return None

    def end_job(self) -> None:
        """End the job process; the zygote says ready again (or is killed)."""
        if not self.in_job:
            return
        self.in_job = False
        if self.ready:  # a harness job: the zygote forked its tests itself
            return
        try:
            assert self.sock is not None
            self.sock.send(marshal.dumps({"op": "end"}))
            if not self._wait_ready(ANSWER_S):
                raise OSError("zygote not ready after the job")
            self.job_pid = None  # it has ended (the runner reaps it)
        except (OSError, ValueError, EOFError, TypeError):
            self.stop()

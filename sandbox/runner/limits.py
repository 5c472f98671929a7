"""rlimits for one sandboxed process, set in the child between fork and exec."""

from __future__ import annotations

import math
import os
import resource
import signal

MB = 1 << 20
VM_SLACK_MB = 512
# Signals the runner ignores for itself; every child gets them back at their defaults.
RESET_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                 signal.SIGUSR1, signal.SIGUSR2, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGALRM)


def become_sandboxed(drop_uid: int | None) -> None:
    """In a freshly forked child, before its exec: the signals back at their defaults, the
    unprivileged uid with no groups (``None``: keep the uid), and first in line for the OOM
    killer, so a program that exhausts memory dies before the runner does."""
    for s in RESET_SIGNALS:
        signal.signal(s, signal.SIG_DFL)
    if drop_uid is not None:
        os.setgroups([])
        os.setgid(drop_uid)
        os.setuid(drop_uid)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass


def rlimits(cpu_s: float, mem_mb: int, mem_kind: str, fsize_mb: int,
            nproc: int) -> list[tuple[int, int, int]]:
    """The limits for one sandboxed process as ``(resource, soft, hard)``: CPU seconds
    (``cpu_s + 0.5`` rounded up; SIGXCPU, then SIGKILL a second later), memory in MiB by
    ``mem_kind`` (see ``languages.Lang.memory``), written file size in MiB, no core files,
    and at most ``nproc`` tasks of its uid (0: unchanged)."""
    out: list[tuple[int, int, int]] = []

    def lim(res: int, value: int) -> None:
        out.append((res, value, value))

    # at least half a second above cpu_s: a process the limit stops has always taken the
    # job's CPU time over cpu_s, however little its parent adds (the verdict is timeout)
    cpu = math.ceil(cpu_s + 0.5)
    out.append((resource.RLIMIT_CPU, cpu, cpu + 1))
    if mem_mb:
        if mem_kind in ("native", "interp"):
            lim(resource.RLIMIT_AS, mem_mb * MB)
            # An unlimited stack lets the main thread recurse as deep as the memory limit
            # allows, and makes glibc give each new thread its small default stack (a finite
            # RLIMIT_STACK becomes every thread's stack size: two 256 MB threads did not fit
            # a 512 MB address space).
            lim(resource.RLIMIT_STACK, resource.getrlimit(resource.RLIMIT_STACK)[1])
        else:  # the heap flag holds the program to mem_mb; thread stacks, JIT etc. get slack
            lim(resource.RLIMIT_DATA, (mem_mb + VM_SLACK_MB) * MB)
            lim(resource.RLIMIT_STACK, 8 * MB)  # runtimes size every thread's stack by it
    lim(resource.RLIMIT_FSIZE, fsize_mb * MB)
    lim(resource.RLIMIT_CORE, 0)
    if nproc:
        lim(resource.RLIMIT_NPROC, nproc)
    return out


# every rlimit this platform has, each once
ALL_RLIMITS = tuple(sorted({getattr(resource, name) for name in dir(resource)
                           if name.startswith("RLIMIT_")}))


def process_state(pid: int) -> tuple:
    """What any process of the same uid may change in another one (prlimit, setpriority,
    sched_setaffinity): its rlimits, nice value and CPU set (``pid`` 0: the caller).
    Raises OSError when ``pid`` is gone."""
    return (tuple(resource.prlimit(pid, r) for r in ALL_RLIMITS),
            os.getpriority(os.PRIO_PROCESS, pid), frozenset(os.sched_getaffinity(pid)))


def set_limits(cpu_s: float, mem_mb: int, mem_kind: str, fsize_mb: int, nproc: int) -> None:
    """Apply ``rlimits(...)`` to the calling process."""
    for res, soft, hard in rlimits(cpu_s, mem_mb, mem_kind, fsize_mb, nproc):
        resource.setrlimit(res, (soft, hard))


def user_tasks(uid: int) -> int:
    """Tasks (threads) owned by ``uid``: RLIMIT_NPROC counts them all, not just ours."""
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat("/proc/" + pid).st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                pass
    return count

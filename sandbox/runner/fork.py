"""How the zygote forks: a child that is the runner's child from birth.

Loaded by the zygote (``zygote._load``) into a namespace of its own, never imported: programs
must not find it among the warm modules. The runner waits for each such child, reads its
rusage and charges its orphans exactly as for a process it forked itself.

The fast way is one clone(2) with CLONE_PARENT between the interpreter's own fork steps
(PyOS_BeforeFork, PyOS_AfterFork_*: what ``os.fork`` runs around fork()), plus what glibc's
fork does for the child's thread state: the kernel writes the child's tid into glibc's record
of it (CLONE_CHILD_SETTID at that slot) and the child registers its robust-futex list again.
Where clone is unknown for the machine, or either of those cannot be found, a double fork
(one more process to start and end) gives the same parentage.
"""

import ctypes
import os
import signal
import threading
import time

# clone(2) flags: the child's parent is our parent (the runner); the kernel writes the child's
# tid into its copy of glibc's thread descriptor and clears it at exit, as glibc's fork has it
_FLAGS = 0x8000 | 0x01000000 | 0x00200000 | signal.SIGCHLD
# syscall numbers: clone (and where its child-tid pointer goes among its arguments),
# set_robust_list, get_robust_list
_SYSCALLS = {"x86_64": (56, 3, 273, 274),
             "aarch64": (220, 4, 99, 100)}.get(os.uname().machine)
_PYDLL = ctypes.PyDLL(None)  # calls made holding the GIL, as os.fork makes fork()'s
_PYDLL.syscall.restype = ctypes.c_long


def _tid_slot() -> int | None:
    """The address of the calling thread's kernel tid in glibc's descriptor of it (struct
    pthread, at pthread_self()), which glibc reads for pthread_kill, pthread_getcpuclockid and
    PI mutexes of that thread: a child must find its own tid there. Found as the slot among
    the descriptor's first 2 KiB that holds the tid and that pthread_getcpuclockid reads (the
    clock id encodes it), tried by changing it for an instant; None when no slot is. Called
    while the zygote has no other thread."""
    tid, ident = threading.get_native_id(), threading.get_ident()
    slots = (ctypes.c_int * 512).from_address(ident)
    for i in range(512):
        if slots[i] != tid:
            continue
        slots[i] = tid + 1
        try:  # MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) = (~tid << 3) | 6
            seen = ~(time.pthread_getcpuclockid(ident) >> 3)
        except OSError:
            seen = None
        finally:
            slots[i] = tid
        if seen == tid + 1:
            return ident + 4 * i
    return None


def _robust_list(get_robust_list: int) -> tuple[int, int] | None:
    """The calling thread's robust-futex list as glibc registered it with the kernel
    (address, length). The kernel gives a new task none; glibc's fork registers it again in
    the child, and so must a clone of ours (else a robust mutex the main thread holds when
    it ends never becomes owner-dead). None when it cannot be read."""
    head, size = ctypes.c_void_p(), ctypes.c_size_t()
    if _PYDLL.syscall(ctypes.c_long(get_robust_list), ctypes.c_long(0), ctypes.byref(head),
                      ctypes.byref(size)) != 0 or not head.value:
        return None
    return head.value, size.value


def _clone_calls() -> tuple[tuple, tuple] | None:
    """The arguments of ``syscall`` for the clone and, in the child, for set_robust_list;
    None where the fast way is not available."""
    if _SYSCALLS is None:
        return None
    clone, at, set_robust_list, get_robust_list = _SYSCALLS
    slot, robust = _tid_slot(), _robust_list(get_robust_list)
    if slot is None or robust is None:
        return None
    args = [ctypes.c_ulong(0)] * 5
    args[0], args[at] = ctypes.c_ulong(_FLAGS), ctypes.c_ulong(slot)
    return ((ctypes.c_long(clone), *args),
            (ctypes.c_long(set_robust_list), ctypes.c_ulong(robust[0]),
             ctypes.c_ulong(robust[1])))


_CLONE = _clone_calls()  # built once: the same for every fork


def fork_runner_child() -> int:
    """``os.fork()`` whose child is the runner's child from birth. Returns 0 in the child and
    its pid here; raises OSError when no process could start."""
    if _CLONE is not None:
        clone, set_robust_list = _CLONE
        _PYDLL.PyOS_BeforeFork()
        pid = _PYDLL.syscall(*clone)
        if pid == 0:
            _PYDLL.syscall(*set_robust_list)
            _PYDLL.PyOS_AfterFork_Child()
            return 0
        _PYDLL.PyOS_AfterFork_Parent()
        if pid > 0:
            return pid
    return _double_fork()


def _double_fork() -> int:
    """The portable way to the same child: fork a middle process that forks it and exits."""
    r, w = os.pipe()
    try:
        middle = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        raise
    if middle == 0:
        os.close(r)
        middle_pid = os.getpid()
        try:
            pid = os.fork()
        except BaseException:  # noqa: BLE001 - nothing written: the zygote reports it
            os._exit(0)
        if pid == 0:
            os.close(w)
            _orphaned(middle_pid)
            return 0
        os.write(w, str(pid).encode())
        os._exit(0)
    os.close(w)
    got = b""
    while chunk := os.read(r, 32):
        got += chunk
    os.close(r)
    os.waitpid(middle, 0)  # now the child's parent is the runner
    if not got:
        raise OSError("fork failed")
    return int(got)


def _orphaned(middle: int) -> None:
    """Wait (microseconds) until the middle process of a double fork is gone and reaped, so
    that this process is the runner's child and no helper of ours, not even a zombie, is
    around when the program runs."""
    while True:
        try:
            os.kill(middle, 0)
        except ProcessLookupError:
            return
        except OSError:  # not ours to signal: the pid is no longer the middle process
            return
        os.sched_yield()

"""Zygote: a warm, pre-imported Python interpreter that forks the sandbox's Python processes.

Started by the runner as ``python3 -s main.py`` in ``warm/`` (whose main.py links here), so
that its command line is a plain start's, with
/dev/null on fds 0-2 and a SOCK_SEQPACKET control socket on fd 3. It imports what programs and
the harnesses commonly need once, then answers the runner, one message at a time (marshal):

- ``{"op": "job", "path": main.py}`` -> forks a *job* process that compiles the
  program once, answers ``{"ok": true, "pid": N}`` and serves the job (the runner's child); the
  zygote waits for it to end and then says ``ready`` again. Harness tests (``assert``,
  ``call``: the harness reads the program from its stdin) need no job: the zygote forks them
  itself. The zygote never reads or compiles a program, so nothing of one program is in the
  memory the next program's processes are forked from.
- in a job, or for a harness test: ``{"op": "fork", "kind", "cwd", "env", "rlimits",
  "argv0"}`` with the test's pipes
  (stdin, stdout, stderr[, report]) as SCM_RIGHTS -> forks a test process that is the runner's
  child from birth (``fork.py``) and answers ``{"pid": N}``, so the runner waits
  for it, reads its rusage and charges its orphans exactly as for a process it forked itself.
  ``{"op": "end"}`` ends the job.

A test process becomes what ``python3 -s main.py`` (``kind`` ``script``), ``python3 -s -c
<harness>`` (``call``) or ``python3 -s -P -c <harness>`` (``assert``) would be: a new session,
the pipes on fds 0-3 and nothing else open, the job's rlimits, cwd, umask and environment, fresh
``sys.std*`` objects over the pipes, ``sys.argv``, ``sys.path``, a fresh ``__main__`` module,
pre-imported modules dropped where a file of the work dir would shadow them, ``random``
re-seeded, and the interpreter's exit path in ``Py_FinalizeEx``'s order (``SystemExit`` codes
read as ``PyLong_AsLong`` reads them, uncaught exceptions printed by ``sys.excepthook`` with
exit code 1, threads joined, atexit, stdout and stderr flushed while the program's globals
still exist (120 when stdout's flush fails), the original streams put back, the globals
dropped, every stream flushed again) without tearing down the warm modules.
Known differences (docs/security.md lists them all): the program's top-level frame has this
file's frame below it (``sys._getframe().f_back`` is not None; the recursion limit is raised
by that frame and reported without it), warm modules are in ``sys.modules`` before a module
file the program writes at run time could shadow them, and cyclic garbage is not collected at
exit.

The zygote and job processes are not dumpable, so test processes (same uid) cannot read or
trace them; a test process that kills, stops or changes them (rlimits, priority, CPU set)
only makes the runner replace the zygote (``ZygoteHost.intact``) or fall back to a plain
``python3`` start.
"""

import sys

_BASELINE = set(sys.modules)  # what a plain interpreter start has imported too

import ctypes  # noqa: E402 - every import below is the warm part

_LIBC = ctypes.CDLL(None)
_PR_SET_DUMPABLE = 4
if __name__ == "__main__":
    _LIBC.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)  # before anything else: not readable, traceable

import atexit  # noqa: E402
import bisect  # noqa: E402, F401
import builtins  # noqa: E402
import collections  # noqa: E402, F401
import functools  # noqa: E402, F401
import gc  # noqa: E402
import heapq  # noqa: E402, F401
import io  # noqa: E402
import itertools  # noqa: E402, F401
import marshal  # noqa: E402
import math  # noqa: E402, F401
import operator  # noqa: E402, F401
import os  # noqa: E402
import re  # noqa: E402, F401
import resource  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import string  # noqa: E402, F401
import traceback  # noqa: E402, F401
import types  # noqa: E402, F401
import typing  # noqa: E402, F401
import weakref  # noqa: E402
from importlib.machinery import BuiltinImporter, SourceFileLoader  # noqa: E402

_WARM = set(sys.modules) - _BASELINE
# threading too, unless a plain start has it already: a test process's Thread is patched
# (_deepen_threads) before the program can use it
import threading as _threading  # noqa: E402, F401

_WARM |= set(sys.modules) - _BASELINE


def _by_top(names: set) -> dict:
    """A top-level name -> the warm modules under it (itself included)."""
    out: dict = {}
    for name in names:
        out.setdefault(name.split(".")[0], []).append(name)
    return out


# No loop at this module's top level: a loop makes CPython specialize the module's code, and
# the specialized call of exec() at the bottom takes no recursion level, one fewer than
# _offset_recursion_limit counts (test_zygote's recursion cases see the difference).
_WARM_BY_TOP = _by_top(_WARM)
ctypes.pythonapi.prctl  # noqa: B018 - resolved here, so the harnesses' own call finds it
_HERE = sys.path[0]  # this file's real folder: never on a test process's path
_STDLIB_PATH = sys.path[1:]
_HIDDEN_CODE: set = set()  # code of our stand-ins for builtins: not shown in tracebacks
_ORIGINAL_STD: tuple = (None, None)  # a test process's own sys.__stdout__, sys.__stderr__


def _load(name: str) -> dict:
    """A module of this folder, run into a namespace of its own: never in ``sys.modules``, so
    no test process sees it there (a sibling import would make it a warm module)."""
    path = os.path.join(_HERE, name)
    with open(path) as f:
        namespace = {"__name__": name[:-3], "__file__": path}
        exec(compile(f.read(), path, "exec", dont_inherit=True), namespace)
    return namespace


_fork_runner_child = _load("fork.py")["fork_runner_child"]


def _harnesses() -> dict:
    out = {}
    for kind in ("assert", "call"):
        with open(os.path.join(_HERE, f"harness_{kind}.py")) as f:
            out[kind] = compile(f.read(), "<string>", "exec", dont_inherit=True)
    return out


def _recv(ctl: socket.socket) -> tuple:
    try:
        data, fds, _, _ = socket.recv_fds(ctl, 1 << 16, 8)
    except OSError:
        os._exit(0)
    if not data:  # the runner is gone
        os._exit(0)
    return marshal.loads(data), fds


def _serve() -> tuple:
    """The zygote's loop; returns only in a test process: (request, its code object)."""
    ctl = socket.socket(fileno=3)
    harness = _harnesses()
    gc.collect()
    gc.freeze()  # forked children then leave the warm heap's pages shared
    ctl.send(b"ready")
    while True:
        req, fds = _recv(ctl)
        if req.get("op") == "fork" and req.get("kind") in harness:
            # a harness test (the harness reads the program from its stdin): no job process
            test = _fork_test(ctl, req, fds, harness, None)
            if test is not None:
                return test
            continue
        for fd in fds:
            os.close(fd)
        if req.get("op") != "job" or not req.get("path"):
            ctl.send(marshal.dumps({"error": "no job"}))
            continue
        # The job process is the runner's child (reaped, and its CPU time counted, by the
        # runner); it holds ``w`` until it ends.
        r, w = os.pipe()
        try:
            job = _fork_runner_child()
        except OSError:  # no job process: the runner falls back
            job = -1
        if job == 0:
            os.close(r)
            return _job(ctl, req, harness, w)
        os.close(w)
        while job > 0 and os.read(r, 1):
            pass
        os.close(r)
        ctl.send(b"ready")


def _job(ctl: socket.socket, req: dict, harness: dict, alive: int) -> tuple:
    """One job, in the job process: compile its program once, fork its test processes, end
    on ``end``. Returns only in a test process: (request, fds, code)."""
    codes = dict(harness)
    try:
        with open(req["path"], "rb") as f:
            codes["script"] = compile(f.read(), req["path"], "exec", dont_inherit=True)
        reply = {"ok": True, "pid": os.getpid()}
    except BaseException as e:  # noqa: BLE001 - the runner falls back to a plain start
        reply = {"error": repr(e)[:500]}
    ctl.send(marshal.dumps(reply))
    while True:
        req, fds = _recv(ctl)
        if req.get("op") != "fork" or req.get("kind") not in codes:
            for fd in fds:
                os.close(fd)
            if req.get("op") == "end" or "error" in reply:
                os._exit(0)
            ctl.send(marshal.dumps({"error": "bad request"}))
            continue
        test = _fork_test(ctl, req, fds, codes, alive)
        if test is not None:
            return test


def _fork_test(ctl: socket.socket, req: dict, fds: list, codes: dict,
               alive: int | None) -> tuple | None:
    """Fork the test process ``req`` asks for (``fds``: its pipes) and answer its pid.
    Returns (request, fds, code) in the test process, None here."""
    try:
        pid = _fork_runner_child()
    except OSError as e:
        for fd in fds:
            os.close(fd)
        ctl.send(marshal.dumps({"error": repr(e)}))
        return None
    if pid == 0:
        if alive is not None:
            os.close(alive)  # the job process reads until every copy is closed
        ctl.close()
        return req, fds, codes[req["kind"]]
    for fd in fds:
        os.close(fd)
    ctl.send(marshal.dumps({"pid": pid}))
    return None


def _stdio(fd: int, mode: str, template: io.TextIOWrapper) -> io.TextIOWrapper:
    """What the interpreter's start makes of fd 0/1/2 (pylifecycle's create_stdio)."""
    buf = open(fd, mode + "b", -1, closefd=False)
    buf.raw.name = ("<stdin>", "<stdout>", "<stderr>")[fd]
    stream = io.TextIOWrapper(buf, template.encoding, template.errors, "\n",
                              template.line_buffering, template.write_through)
    stream.mode = mode
    return stream


def _become(req: dict, fds: list) -> dict:
    """Turn this fresh fork into the test's process; returns the new ``__main__``'s dict."""
    os.setsid()
    for fd, mine in enumerate(fds):
        os.dup2(mine, fd)
    os.closerange(len(fds), 1 << 16)
    for res, soft, hard in req["rlimits"]:
        resource.setrlimit(res, (soft, hard))
    os.chdir(req["cwd"])
    os.umask(0o022)
    env = req["env"]
    if list(os.environ) == list(env):  # the same names in the same order (the runner sees
        for name, value in env.items():  # to it): only what differs is set, in place
            if os.environ[name] != value:
                os.environ[name] = value
    else:
        os.environ.clear()
        os.environ.update(env)
    _LIBC.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)  # as after an exec: /proc/self is its own
    for i, (name, mode) in enumerate((("stdin", "r"), ("stdout", "w"), ("stderr", "w"))):
        stream = _stdio(i, mode, getattr(sys, "__" + name + "__"))
        setattr(sys, name, stream)
        setattr(sys, "__" + name + "__", stream)
    global _ORIGINAL_STD
    _ORIGINAL_STD = (sys.stdout, sys.stderr)
    kind, cwd = req["kind"], req["cwd"]
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    main.__annotations__ = {}
    if kind == "script":
        path = req["path"]
        sys.argv = [os.path.basename(path)]
        sys.orig_argv = [req["argv0"], "-s", sys.argv[0]]
        sys.path[:] = [os.path.dirname(os.path.realpath(path))] + _STDLIB_PATH
        main.__file__, main.__cached__ = path, None
        main.__loader__ = SourceFileLoader("__main__", path)
    else:
        sys.argv = ["-c"]
        sys.orig_argv = [req["argv0"], "-s"] + (["-P"] if kind == "assert" else []) + ["-c", ""]
        sys.path[:] = ([] if kind == "assert" else [""]) + _STDLIB_PATH
        main.__loader__ = BuiltinImporter
    main.__spec__ = main.__package__ = None
    sys.modules["__main__"] = main
    # A file of the work dir named like a warm module is what ``import`` finds there.
    try:
        here = {n.split(".")[0] for n in os.listdir(cwd)}
    except OSError:
        here = set()
    for top in here:
        for name in _WARM_BY_TOP.get(top, ()):
            sys.modules.pop(name, None)
    threading = sys.modules.get("threading")
    if threading is not None and hasattr(threading.main_thread(), "_set_native_id"):
        threading.main_thread()._set_native_id()  # 3.11's after-fork keeps the zygote's
    if "random" in sys.modules:  # a fresh interpreter seeds it from the OS
        sys.modules["random"].seed()
    # The warm heap stays frozen: a collection (the program's, or the one at exit) scans only
    # what the program made, and the shared pages are not copied.
    _offset_recursion_limit(2)  # this file's frame and exec() lie below the program's
    return main.__dict__


def _offset_recursion_limit(frames: int) -> None:
    """Give the program the depth it has under a plain start, and show it the same limit.
    A thread has none of this file's frames below it: it starts ``frames`` deeper instead."""
    get, set_ = sys.getrecursionlimit, sys.setrecursionlimit
    int_max = (1 << 31) - 1  # the limit is a C int
    asked = [get()]

    def getrecursionlimit() -> int:
        now = get()
        return asked[0] if now == int_max else now - frames

    def setrecursionlimit(limit: int) -> None:
        value = None
        try:  # an int subclass's own operators are not called; other ints by __index__
            value = int.__index__(limit) if isinstance(limit, int) else operator.index(limit)
        except TypeError:
            pass
        if value is None:
            set_(limit)  # the builtin's own TypeError (outside the except: no chained one)
            return
        if not 1 <= value <= int_max:
            set_(value)  # the builtin's own ValueError or OverflowError
        set_(min(value + frames, int_max))
        asked[0] = value

    getrecursionlimit.__doc__, setrecursionlimit.__doc__ = get.__doc__, set_.__doc__
    _HIDDEN_CODE.update((getrecursionlimit.__code__, setrecursionlimit.__code__))
    set_(get() + frames)
    sys.getrecursionlimit, sys.setrecursionlimit = getrecursionlimit, setrecursionlimit
    threading = sys.modules.get("threading")
    if threading is not None:
        _deepen_threads(threading, frames)


def _deepen_threads(threading: types.ModuleType, frames: int) -> None:
    """Threads start their ``run`` under ``frames`` more frames (below the traceback's start,
    ``_bootstrap_inner``), so their depth is a plain start's under the raised limit."""
    boot = threading.Thread._bootstrap

    def deeper(thread: object, left: int) -> None:
        if left > 1:
            return deeper(thread, left - 1)
        return boot(thread)

    def _bootstrap(self: object) -> None:
        return deeper(self, frames - 1) if frames > 1 else boot(self)

    threading.Thread._bootstrap = _bootstrap


def _uncaught(e: BaseException) -> int:
    """The interpreter's handling of an exception nobody caught: the hook prints it (without
    this file's frame); exit code 1 (-1: KeyboardInterrupt, which ends by SIGINT)."""
    tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
    # the recursion-limit wrappers stand for builtins, which have no frame of their own
    last, entry = None, tb
    while entry is not None:
        if entry.tb_frame.f_code in _HIDDEN_CODE:
            if last is None:
                tb = entry.tb_next
            else:
                last.tb_next = entry.tb_next
        else:
            last = entry
        entry = entry.tb_next
    e.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    try:
        sys.excepthook(type(e), e, tb)
    except BaseException:  # noqa: BLE001 - as the interpreter: fall back to the default hook
        sys.__excepthook__(type(e), e, tb)
    return -1 if isinstance(e, KeyboardInterrupt) else 1


def _exit_status(e: SystemExit) -> int:
    """``sys.exit(code)`` as the interpreter ends on it (pythonrun.c's _Py_HandleSystemExit):
    None 0; an int (a subclass too, its operators not called) as ``PyLong_AsLong`` reads it,
    -1 outside a C long, then cast to a C int and cut to 8 bits by the OS; anything else
    printed to stderr and 1."""
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        value = int.__index__(code)
        if not -(1 << 63) <= value < 1 << 63:
            value = -1
        return value & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except BaseException:  # noqa: BLE001, S110 - nothing left to report it to
        pass
    return 1


def _is_closed(stream: object) -> bool:
    """pylifecycle's file_is_closed: no ``closed`` (or one that fails) means open."""
    try:
        return bool(stream.closed)  # type: ignore[attr-defined]
    except BaseException:  # noqa: BLE001
        return False


def _flush_std(streams: tuple) -> bool:
    """pylifecycle's flush_std_files over (stdout, stderr); False when a flush failed."""
    ok = True
    for i, stream in enumerate(streams):
        if stream is None or _is_closed(stream):
            continue
        try:
            stream.flush()
        except BaseException as e:  # noqa: BLE001
            if i == 0:  # PyErr_WriteUnraisable(stdout), as the default hook prints it
                try:
                    sys.stderr.write(f"Exception ignored in: {stream!r}\n")
                    traceback.print_exception(type(e), e, e.__traceback__.tb_next,
                                              file=sys.stderr)
                    sys.stderr.flush()
                except BaseException:  # noqa: BLE001, S110
                    pass
            ok = False
    return ok


def _flush_io() -> None:
    """pythonrun's flush_io: stderr, then stdout, as soon as the program's code is done
    (before an uncaught exception is printed, threads joined or atexit run); errors ignored."""
    for name in ("stderr", "stdout"):
        try:
            getattr(sys, name).flush()
        except BaseException:  # noqa: BLE001, S110
            pass


def _drop_main(box: list) -> None:
    """finalize_modules for the program's ``__main__``: out of sys.modules, then a collection
    while its globals are whole (PEP 442 runs every finalizer of the garbage before clearing
    any of it), then, if the module is still alive, its dict cleared as _PyModule_ClearDict
    does (``_x`` names to None first, then the others, in order; ``__builtins__`` kept).
    ``box`` holds the only reference the zygote keeps to the dict."""
    module = sys.modules.pop("__main__", None)
    alive = weakref.ref(module) if module is not None else None
    box.clear()
    del module
    sys.is_finalizing = lambda: True  # what a __del__ sees during a plain exit
    try:
        gc.collect()
        module = alive() if alive is not None else None
        if module is None:
            return
        names = list(module.__dict__)
        for first in (True, False):
            for name in names:
                if name != "__builtins__" and (
                        not first or (name.startswith("_") and not name.startswith("__"))):
                    module.__dict__[name] = None
    except BaseException:  # noqa: BLE001, S110 - a __del__'s error is only reported
        pass


def _finish(status: int, main: list) -> None:
    """The interpreter's shutdown (pylifecycle's Py_FinalizeEx), minus tearing down the warm
    modules: wait for non-daemon threads, run atexit handlers, flush sys.stdout and
    sys.stderr (a failed flush means exit code 120), restore the original streams, drop the
    program's globals (their ``__del__`` run), flush again (the current and the original
    streams; failures ignored), exit."""
    threading = sys.modules.get("threading")
    if threading is not None:
        try:
            threading._shutdown()
        except BaseException:  # noqa: BLE001 - as the interpreter: reported, then ignored
            sys.__excepthook__(*sys.exc_info())
    atexit._run_exitfuncs()
    flushed = _flush_std((getattr(sys, "stdout", None), getattr(sys, "stderr", None)))
    if not flushed and status != -1:  # SIGINT still wins over 120 (Py_RunMain)
        status = 120
    sys.stdout = getattr(sys, "__stdout__", None)  # finalize_modules_delete_special
    sys.stderr = getattr(sys, "__stderr__", None)
    _drop_main(main)
    _flush_std((sys.stdout, sys.stderr))
    _flush_std(_ORIGINAL_STD)  # what the interpreter's own objects flush when they are freed
    if status == -1:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    os._exit(status)


if __name__ == "__main__":
    _req, _fds, _code = _serve()
    _globals = _become(_req, _fds)
    del _req, _fds
    _e = None
    try:
        exec(_code, _globals)
    except BaseException as _caught:  # noqa: BLE001 - the program's own uncaught exception
        _e = _caught
    _flush_io()
    if _e is None:
        _status = 0
    elif isinstance(_e, SystemExit):
        _status = _exit_status(_e)
    else:
        _status = _uncaught(_e)
    _e = None  # its traceback's frames hold the program's globals: they go with them
    _box = [_globals]
    del _globals
    _finish(_status, _box)

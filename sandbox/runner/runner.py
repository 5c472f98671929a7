"""Sandbox runner: grades one program against its tests and answers one JSON verdict.

Stdlib only and one file, because it runs inside the sandbox image (or, with the process
backend, next to the server). It compiles once, runs every test as a fresh subprocess under
rlimits (CPU time, memory, file size, processes) and a looser wall clock, keeps expected
outputs in its own memory, and kills every leftover process and wipes the work dir before
answering. ``--serve`` answers JSON lines on stdin/stdout for as long as stdin is open.

Modes: ``container`` (pid 1 of a dedicated container: leftovers die by ``kill(-1)``, and
/tmp, /dev/shm and SysV IPC are wiped too) and ``process`` (no container: descendants are
found through the child-subreaper flag and killed one by one; weaker).
"""

import ast
import base64
import json
import marshal
import math
import os
import re
import resource
import secrets
import selectors
import signal
import stat
import sys
import time
from typing import Any

PROTOCOL = 1
Json = dict[str, Any]
MB = 1 << 20
VM_SLACK_MB = 512
LEFTOVER_GRACE_S = 0.3  # how long children may outlive the program before they count
PY = [sys.executable or "/usr/bin/python3", "-s"]
JAVA = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xshare:auto"]
JAVA_RUN = JAVA + ["-XX:ReservedCodeCacheSize=64m", "-XX:CompressedClassSpaceSize=64m", "-Xss32m"]
# language -> source file, compile commands, run command ({mem}: memory in MiB), memory rlimit.
# "native"/"interp" limit the address space; runtimes that reserve huge virtual ranges
# (JVM, V8, Go; compilers too) get "vm": a data-segment limit plus their own heap flag.
LANGS = {
    "python": ("main.py", [], PY + ["main.py"], "interp"),
    "c": ("main.c", [["gcc", "-O2", "-std=gnu11", "-o", "main", "main.c", "-lm"]],
          ["./main"], "native"),
    "cpp": ("main.cpp", [["g++", "-O2", "-std=gnu++17", "-o", "main", "main.cpp"]],
            ["./main"], "native"),
    "java": (
        "Main.java",
        [["javac", "-encoding", "UTF-8", "-J-Xmx512m"] + ["-J" + f for f in JAVA] + ["Main.java"]],
        ["java", "-Xmx{mem}m"] + JAVA_RUN + ["-cp", ".", "Main"],
        "vm",
    ),
    "javascript": ("main.js", [["node", "--check", "main.js"]],
                   ["node", "--max-old-space-size={mem}", "main.js"], "vm"),
    "go": ("main.go", [["go", "tool", "compile", "-o", "main.o", "-p", "main", "main.go"],
                       ["go", "tool", "link", "-o", "main", "main.o"]], ["./main"], "vm"),
    "rust": ("main.rs", [["rustc", "-O", "--edition", "2021", "-o", "main", "main.rs"]],
             ["./main"], "native"),
    "bash": ("main.sh", [["bash", "-n", "main.sh"]], ["bash", "main.sh"], "interp"),
}
POINTS = re.compile(r"\s*(?:points\s+)?([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
MEMORY_ERRORS = ("MemoryError", "std::bad_alloc", "java.lang.OutOfMemoryError",
                 "JavaScript heap out of memory", "runtime: out of memory",
                 "memory allocation of", "Cannot allocate memory", "failed to reserve")
RESET_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT,
                 signal.SIGUSR1, signal.SIGUSR2, signal.SIGPIPE, signal.SIGXFSZ, signal.SIGALRM)
# Runs one function call (``call`` tests) in the program's own process: the expected value
# never enters it, so it has nothing to forge. Stdlib imports cost ~10 ms (json pulls in re),
# so the payload comes as marshal and results go back as repr() of plain values on fd 3, each
# line tagged with a per-run nonce the program never sees on disk or in its arguments.
CALL_HARNESS = r'''
import marshal, os, sys
def _h():
    w, ex, isinst, typ, rep = os.write, os._exit, isinstance, type, repr
    p = marshal.loads(sys.stdin.buffer.read())
    n = os.open(os.devnull, os.O_RDONLY); os.dup2(n, 0); os.close(n)
    nonce = p.pop("nonce")
    def plain(o, d=0):
        t = typ(o)
        if o is None or t in (bool, str, int): return o
        if t is float: return o if o == o and o not in (1e999, -1e999) else {"__float__": rep(o)}
        if d > 100: return {"__unserializable__": "too deep"}
        if t in (list, tuple): return [plain(x, d + 1) for x in o]
        if t in (set, frozenset):
            v = [plain(x, d + 1) for x in o]
            try: return sorted(v)
            except Exception: return v
        if t is dict: return {plain(k, d + 1) if typ(k) in (str, int) else rep(k): plain(v, d + 1)
                              for k, v in o.items()}
        return {"__unserializable__": t.__name__}
    def emit(**kw):
        w(3, (rep((nonce, kw)) + "\n").encode())
    def err(e):
        import traceback
        return "".join(traceback.format_exception_only(typ(e), e)).strip()
    g = {"__name__": "__solution__", "__builtins__": __builtins__}
    try: exec(compile(p["code"], "solution.py", "exec"), g)
    except BaseException as e: emit(k="error", error=err(e)); ex(1)
    try:
        f = g.get(p["fn_name"])
        if not callable(f) and isinst(g.get("Solution"), type):
            f = getattr(g["Solution"](), p["fn_name"], None)
        if not callable(f): emit(k="error", error="function %r not found" % p["fn_name"]); ex(1)
        emit(k="result", value=plain(f(*p["args"], **p["kwargs"])))
    except BaseException as e:
        emit(k="fail", error=err(e), where=""); ex(1)
    try: sys.stdout.flush(); sys.stderr.flush()
    except BaseException: pass
    emit(k="done"); ex(0)
_h()
'''


# Assert tests (HumanEval, MBPP) must not share a process with the program: a program could
# read the nonce from the harness's frame and forge reports, or return an object equal to
# anything. So the harness forks first, before the tests, the nonce or the report fd mean
# anything in its memory; the child drops stdin and the report fd and hosts the program,
# answering calls over pipes. Only marshal-able plain values cross, and neither process is
# dumpable, so the program cannot read the tests' process either.
# The tests' process must never run code the program wrote: it starts with ``-P`` (the work dir
# is not on its import path; only the program's child adds it), imports every module it needs
# before the program runs (it formats errors itself, without traceback), and lets in only the
# names the tests refer to that are not builtins (plus the entry point), so a program's ``abs``
# or ``sorted`` cannot change what an assert computes. A module crosses only as a standard module
# under its own name (``import math``), imported afresh here: never an alias (``import cmath as
# math``) or a program's file.
ASSERT_HARNESS = r"""
import sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # what -P does, for Python < 3.11
import marshal, os, builtins, types
def _describe(e):
    # "Type: message", as traceback.format_exception_only would say it, without importing
    # traceback (30 ms) into a process that must import nothing after the program ran
    try: m = str(e)
    except Exception: m = ""
    return type(e).__name__ + (": " + m if m else "")
def _frame(fd_in, fd_out):
    def readn(k):
        buf = b""
        while len(buf) < k:
            chunk = os.read(fd_in, min(k - len(buf), 1 << 20))
            if not chunk: raise EOFError
            buf += chunk
        return buf
    def send(obj):
        try: data = marshal.dumps(obj)
        except ValueError as e:
            data = marshal.dumps(("exc", ("TypeError", "cannot leave the program: %s" % e)))
        os.write(fd_out, len(data).to_bytes(4, "big") + data)
    def recv():
        return marshal.loads(readn(int.from_bytes(readn(4), "big")))
    return send, recv
def _program(fd_in, fd_out):
    send, recv = _frame(fd_in, fd_out)
    try: code = recv()
    except EOFError: os._exit(0)
    sys.path.insert(0, os.getcwd())  # the program may import files of its own; the tests never
    g = {"__name__": "__solution__", "__builtins__": __builtins__}
    try: exec(compile(code, "solution.py", "exec"), g)
    except BaseException as e:
        send(("error", _describe(e))); os._exit(1)
    names = []
    for k, v in list(g.items()):
        if k.startswith("__"): continue
        if isinstance(v, types.ModuleType): names.append((k, "module", v.__name__))
        elif callable(v): names.append((k, "callable", None))
        else:
            try: marshal.dumps(v); names.append((k, "value", v))
            except ValueError: pass
    send(("names", names))
    while True:
        try: name, args, kwargs = recv()
        except EOFError: os._exit(0)
        try: answer = ("ok", g[name](*args, **kwargs))
        except BaseException as e: answer = ("exc", (type(e).__name__, str(e)[:2000]))
        send(answer)
def _h():
    w, ex, typ, rep = os.write, os._exit, type, repr
    try:
        import ctypes; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
    except Exception: pass
    req_r, req_w = os.pipe(); resp_r, resp_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        n = os.open(os.devnull, os.O_RDWR); os.dup2(n, 0); os.dup2(n, 3); os.close(n)
        os.close(req_w); os.close(resp_r)
        _program(req_r, resp_w); ex(0)
    os.close(req_r); os.close(resp_w)
    p = marshal.loads(sys.stdin.buffer.read())
    n = os.open(os.devnull, os.O_RDONLY); os.dup2(n, 0); os.close(n)
    nonce, src = p.pop("nonce"), {}
    send, recv = _frame(resp_r, req_w)
    def emit(**kw):
        w(3, (rep((nonce, kw)) + "\n").encode())
    def end(code, **report):
        try: os.kill(pid, 9); os.waitpid(pid, 0)
        except OSError: pass
        if report: emit(**report)
        ex(code)
    def err(e):
        msg = _describe(e)
        where, tb = "", e.__traceback__
        while tb is not None:
            f, n = tb.tb_frame.f_code.co_filename, tb.tb_lineno or 0
            if f in src and 0 < n <= len(src[f]): where = src[f][n - 1].strip()
            tb = tb.tb_next
        return msg, where
    def run(name, code, g):
        src[name] = code.splitlines(); exec(compile(code, name, "exec"), g)
    def proxy(name):
        def call(*args, **kwargs):
            try: send((name, args, kwargs))
            except ValueError: raise TypeError("these arguments cannot be passed to the program")
            try: status, value = recv()
            except EOFError: raise RuntimeError("the program's process ended") from None
            if status == "ok": return value
            e = getattr(builtins, str(value[0]), None)
            if typ(e) is type and issubclass(e, Exception): raise e(value[1])
            raise RuntimeError("%s: %s" % (value[0], value[1]))
        call.__name__ = call.__qualname__ = name
        return call
    g = {"__name__": "__tests__", "__builtins__": __builtins__}
    try:
        send(p["code"])
        try: kind, info = recv()
        except EOFError: end(1, k="error", error="the program exited while loading")
        if kind != "names": end(1, k="error", error=str(info))
        needs, entry = set(p["needs"]), p["entry_point"]
        for name, what, value in info:
            if typ(name) is not str or name != entry and (
                    name not in needs or hasattr(builtins, name)):
                continue
            if what == "callable": g[name] = proxy(name)
            elif what == "value": g[name] = value
            elif what == "module" and value == name and name in sys.stdlib_module_names:
                try: g[name] = __import__(value, fromlist=["_"])
                except Exception: pass
        if p["test_code"]: run("tests.py", p["test_code"], g)
        if p["entry_point"] and callable(g.get("check")): g["check"](g[p["entry_point"]])
        for i, a in enumerate(p["asserts"]):
            try: run("assert_%d" % i, a, g); emit(k="pass", i=i)
            except Exception as e:
                m, where = err(e); emit(k="fail", i=i, error=m, where=where or a)
                if p["stop"]: end(1)
    except BaseException as e:
        m, where = err(e); end(1, k="fail", error=m, where=where)
    try: sys.stdout.flush(); sys.stderr.flush()
    except BaseException: pass
    end(0, k="done")
_h()
"""


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


def clip(text: str | None, n: int) -> str | None:
    """Shorten text for reports, keeping its head and tail."""
    if text is not None and not isinstance(text, str):  # a forged report's odd field
        text = show(text)
    if text is None or len(text) <= n:
        return text
    return text[: n // 2] + f"...[{len(text) - n} chars]..." + text[-(n // 2):]


def set_limits(cpu_s: float, mem_mb: int, mem_kind: str, fsize_mb: int, nproc: int) -> None:
    def lim(res: int, value: int) -> None:
        resource.setrlimit(res, (value, value))

    cpu = max(1, math.ceil(cpu_s))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    if mem_mb:
        if mem_kind in ("native", "interp"):
            lim(resource.RLIMIT_AS, mem_mb * MB)
            # An unlimited stack lets the main thread recurse as deep as the memory limit
            # allows, and makes glibc give each new thread its small default stack (a finite
            # RLIMIT_STACK becomes every thread's stack size: two 256 MB threads did not fit
            # a 512 MB address space).
            hard = resource.getrlimit(resource.RLIMIT_STACK)[1]  # unlimited unless capped
            resource.setrlimit(resource.RLIMIT_STACK, (hard, hard))
        else:  # the heap flag holds the program to mem_mb; thread stacks, JIT etc. get slack
            lim(resource.RLIMIT_DATA, (mem_mb + VM_SLACK_MB) * MB)
            lim(resource.RLIMIT_STACK, 8 * MB)  # runtimes size every thread's stack by it
    lim(resource.RLIMIT_FSIZE, fsize_mb * MB)
    lim(resource.RLIMIT_CORE, 0)
    if nproc:
        lim(resource.RLIMIT_NPROC, nproc)


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


class Runner:
    def __init__(self, mode: str, root: str, drop_uid: int | None = None) -> None:
        self.mode, self.root, self.me = mode, root, os.getpid()
        self.env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                    "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "0",
                    "PYTHONDONTWRITEBYTECODE": "1", "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
        self.drop_uid = drop_uid  # process mode as root: run programs as this uid

    # -- processes --------------------------------------------------------------------------
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
                for s in RESET_SIGNALS:
                    signal.signal(s, signal.SIG_DFL)
                if self.drop_uid is not None:
                    os.setgroups([])
                    os.setgid(self.drop_uid)
                    os.setuid(self.drop_uid)
                set_limits(cpu_s, mem_mb, mem_kind, lim["file_size_mb"], nproc)
                try:
                    with open("/proc/self/oom_score_adj", "w") as f:
                        f.write("1000")
                except OSError:
                    pass
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
            mem_mb: int, mem_kind: str, lim: Json, nproc: int, harness: bool = False) -> Json:
        """Run one process to completion under limits; returns what it did and how it ended."""
        oom0 = self.oom_kills()
        t0 = time.monotonic()
        cpu0 = self.children_cpu()
        pid, fds = self.spawn(argv, cwd, cpu_s, mem_mb, mem_kind, lim, nproc, harness)
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
        self.kill_leftovers()
        self.reap()
        # Every process of the job ends as our child (we are pid 1 or a subreaper), so the
        # children's rusage charges all of it: double-forked workers nobody waited for too.
        cpu = max(ru.ru_utime + ru.ru_stime, self.children_cpu() - cpu0)
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

    def settle(self, deadline: float) -> int:
        """Wait until the job's other processes are gone or ``deadline``; how many remain."""
        while True:
            self.reap()
            alive = self.live_others()
            if not alive or time.monotonic() >= deadline:
                return alive
            time.sleep(0.005)

    def live_others(self) -> int:
        """Processes of the job still running (zombies waiting to be reaped do not count)."""
        if self.mode != "container":
            return len(self.descendants())
        count = 0
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != self.me:
                try:
                    with open(f"/proc/{pid}/stat", "rb") as f:
                        state = f.read().rsplit(b")", 1)[1].split()[0]
                except (OSError, IndexError):
                    continue
                count += state not in (b"Z", b"X")
        return count

    @staticmethod
    def killpg(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def reap(self) -> None:
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    def descendants(self) -> list[int]:
        kids, me = [], str(self.me)
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    with open(f"/proc/{pid}/stat", "rb") as f:
                        stat = f.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if stat[1].decode() == me and stat[0] != b"Z":
                    kids.append(int(pid))
        return kids

    def kill_leftovers(self) -> int:
        """Kill every process of the job still alive; returns how many there were."""
        found = 0
        for _ in range(100):
            self.reap()
            if self.mode == "container":
                try:
                    os.kill(-1, signal.SIGKILL)  # all but ourselves (pid 1)
                    found = found or 1
                except ProcessLookupError:
                    return found
            else:
                kids = self.descendants()  # orphans re-parent to us: we are a subreaper
                if not kids:
                    return found
                found = max(found, len(kids))
                for pid in kids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            time.sleep(0.001)
        return found

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

    def grade(self, job: Json) -> Json:
        lang, tests, lim, code = job["language"], job["tests"], job["limits"], job["code"]
        if lang not in LANGS:
            return {"verdict": "sandbox_error", "message": f"unsupported language {lang!r}"}
        src, compiles, run_cmd, mem_kind = LANGS[lang]
        if lang == "java":
            name = java_main_class(code)
            src, run_cmd = name + ".java", run_cmd[:-1] + [name]
            compiles = [c[:-1] + [src] for c in compiles]
        work = os.path.join(self.root, "job-" + secrets.token_hex(4))
        os.mkdir(work, 0o755)
        if self.drop_uid is not None:
            os.chown(work, self.drop_uid, self.drop_uid)
        for name, blob in (tests.get("files") or {}).items():
            self.write_file(work, name, base64.b64decode(blob))
        self.write_file(work, src, code.encode())
        t0 = time.monotonic()
        out = {"compile_output": "", "timings": {}, "passed": 0, "total": self.count(tests)}
        failed = None
        if lang == "python":  # a syntax error is this language's compile error
            try:
                compile(code, "main.py", "exec", dont_inherit=True)
            except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as e:
                out["compile_output"], failed = f"{type(e).__name__}: {e}", "syntax error"
        for cmd in compiles if failed is None else []:
            c_cpu = lim["compile_time_s"]
            r = self.run(cmd, work, b"", c_cpu, c_cpu * 2 + 5, lim["compile_memory_mb"], "vm",
                         lim, lim["compile_processes"])
            out["compile_output"] = clip((r["stdout"].decode("utf-8", "replace") + r["stderr"])
                                         .strip(), 4000)
            bad, why = self.classify(r, c_cpu, 0)
            if bad:
                failed = f"compilation failed: {why}"
                break
        out["timings"]["compile_s"] = round(time.monotonic() - t0, 4)
        if failed:
            return dict(out, verdict="compile_error", message=failed)
        mem = lim["memory_mb"]
        argv = [a.replace("{mem}", str(mem)) for a in run_cmd]
        self.env["GOMEMLIMIT"] = f"{mem}MiB"
        checker = None
        if tests.get("checker"):  # built before the program ever runs, kept in our memory
            checker, why = self.build_checker(tests["checker"], lim)
            if checker is None:
                return dict(out, verdict="invalid_checker", message=why)
        if tests["type"] == "run":
            out.update(self.run_once(tests, argv, work, mem_kind, lim))
        else:
            out.update(self.run_tests(job, tests, argv, work, mem_kind, lim, checker))
        out["timings"]["run_s"] = round(time.monotonic() - t0 - out["timings"]["compile_s"], 4)
        return out

    @staticmethod
    def count(tests: Json) -> int:
        if tests["type"] in ("assert", "run"):
            return len(tests.get("asserts") or []) or 1
        return len(tests["cases"])

    @staticmethod
    def write_file(work: str, name: str, data: bytes) -> None:
        path = os.path.normpath(os.path.join(work, name))
        if not path.startswith(work + os.sep):
            raise ValueError(f"file name outside the work dir: {name!r}")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    @staticmethod
    def read_inside(work: str, name: str, cap: int) -> bytes | None:
        """A regular file of the work dir, or None: no component may be a symlink (a program's
        ``e -> /etc`` must not hand out ``e/passwd``) and the file must fit ``cap`` bytes."""
        path = os.path.normpath(os.path.join(work, name))
        if not path.startswith(work + os.sep):
            return None
        if os.path.realpath(path) != os.path.join(os.path.realpath(work), path[len(work) + 1:]):
            return None  # some component is a link
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
                return None
            with os.fdopen(os.dup(fd), "rb") as f:
                return f.read(cap + 1)[:cap]
        finally:
            os.close(fd)

    def run_once(self, tests: Json, argv: list[str], work: str, mem_kind: str, lim: Json) -> Json:
        """Run with stdin and report raw output (SandboxFusion's run_code)."""
        cpu, mem = lim["time_s"], lim["memory_mb"]
        r = self.run(argv, work, tests["stdin"].encode(), cpu, lim["wall_time_s"], mem,
                     mem_kind, lim, lim["processes"])
        bad, why = self.classify(r, cpu, mem)
        files = {}
        for name in tests.get("fetch_files") or []:
            data = self.read_inside(work, name, lim["output_bytes"])
            if data is not None:
                files[name] = base64.b64encode(data).decode()
        code = os.WEXITSTATUS(r["status"]) if os.WIFEXITED(r["status"]) else -os.WTERMSIG(
            r["status"])
        return {"verdict": bad or "pass", "passed": int(bad is None), "message": why,
                "run": {"status": bad or "pass", "return_code": code, "time_s": round(r["wall"], 4),
                        "stdout": r["stdout"].decode("utf-8", "replace"), "stderr": r["stderr"],
                        "files": files}}

    def payload(self, job: Json, tests: Json, case: Json, nonce: str, stop: bool) -> bytes:
        p = {"code": job["code"], "nonce": nonce}
        if tests["type"] == "call":
            if tests.get("prelude"):  # the imports the dataset's own grader puts first
                p["code"] = tests["prelude"] + "\n" + job["code"]
            p.update(fn_name=tests["fn_name"], args=case["args"], kwargs=case.get("kwargs") or {})
        else:
            p.update(test_code=tests.get("code") or "", asserts=tests.get("asserts") or [],
                     entry_point=tests.get("entry_point"), stop=stop,
                     needs=sorted(names_used([tests.get("code") or ""]
                                             + list(tests.get("asserts") or []))))
        return marshal.dumps(p)

    # -- checkers (special judges) ---------------------------------------------------------
    def build_checker(self, spec: Json, lim: Json) -> tuple[Json | None, str]:
        """Compile a checker once per job; its program bytes stay in the runner's memory and
        are written afresh for every check, so nothing the program did can alter it."""
        if spec["language"] == "python":
            return {"spec": spec, "name": "checker.py", "blob": spec["source"].encode()}, ""
        cdir = self.fresh_dir("chkbuild-")
        try:
            for name, text in (spec.get("files") or {}).items():
                self.write_file(cdir, name, text.encode())
            self.write_file(cdir, "checker.cpp", spec["source"].encode())
            c_cpu = lim["compile_time_s"]
            r = self.run(["g++", "-O2", "-std=gnu++17", "-o", "checker", "checker.cpp"], cdir,
                         b"", c_cpu, c_cpu * 2 + 5, lim["compile_memory_mb"], "vm", lim,
                         lim["compile_processes"])
            bad, why = self.classify(r, c_cpu, 0)
            if bad:
                text = (r["stdout"].decode("utf-8", "replace") + r["stderr"]).strip()
                return None, clip(f"checker did not compile ({why}):\n{text}", 4000) or ""
            with open(os.path.join(cdir, "checker"), "rb") as f:
                return {"spec": spec, "name": "checker", "blob": f.read()}, ""
        finally:
            self.remove(cdir)

    def fresh_dir(self, prefix: str) -> str:
        path = os.path.join(self.root, prefix + secrets.token_hex(4))
        os.mkdir(path, 0o755)
        if self.drop_uid is not None:
            os.chown(path, self.drop_uid, self.drop_uid)
        return path

    def check(self, checker: Json, data: bytes, got: bytes, answer: str, lim: Json,
              ) -> tuple[str, float, str]:
        """Run ``checker input output answer`` (testlib's protocol) after the program and
        all its processes are gone. Exit 0 accepted, 1 wrong answer, 2 presentation error,
        7 partial (points in [0, 1] on its first output line: ``points 0.5`` or ``0.5``),
        anything else (3 = testlib's fail, a crash, a limit) a checker error.
        Returns (test status, score in [0, 1], the checker's message)."""
        spec, cdir = checker["spec"], None
        try:
            cdir = self.fresh_dir("chk-")
            self.write_file(cdir, "input.txt", data)
            self.write_file(cdir, "output.txt", got)
            self.write_file(cdir, "answer.txt", answer.encode())
            self.write_file(cdir, checker["name"], checker["blob"])
            os.chmod(os.path.join(cdir, checker["name"]), 0o755)
        except OSError as e:  # only the program's files take the work dir's room
            if cdir is not None:
                self.remove(cdir)
            return "runtime_error", 0.0, f"no room left to check the output ({e.strerror})"
        try:
            files = ["input.txt", "output.txt", "answer.txt"]
            argv = (PY + ["checker.py"] if spec["language"] == "python" else ["./checker"])
            cpu, mem = spec["time_s"], spec["memory_mb"]
            r = self.run(argv + files, cdir, b"", cpu, 3 * cpu + 2, mem,
                         "interp" if spec["language"] == "python" else "native", lim,
                         lim["processes"])
        finally:
            self.remove(cdir)
        said = (r["stdout"].decode("utf-8", "replace") + "\n" + r["stderr"]).strip()
        st = r["status"]
        if r["why"] or r["cpu"] > cpu or not os.WIFEXITED(st) or r["oom"]:
            bad, why = self.classify(r, cpu, mem)
            return "checker_error", 0.0, f"checker failed: {why or 'killed'}; {said}".strip()
        code = os.WEXITSTATUS(st)
        if code == 0:
            return "pass", 1.0, said
        if code in (1, 2):
            return "wrong_answer", 0.0, ("presentation error: " if code == 2 else "") + said
        if code == 7:
            m = POINTS.match(said)
            if m:
                return "partial", min(1.0, max(0.0, float(m.group(1)))), said
            return "checker_error", 0.0, f"checker exit 7 without points: {said}"
        return "checker_error", 0.0, f"checker exit code {code}: {said}"

    def run_tests(self, job: Json, tests: Json, argv: list[str], work: str, mem_kind: str,
                  lim: Json, checker: Json | None = None) -> Json:
        kind, stop, total = tests["type"], job.get("stop_on_failure", True), self.count(tests)
        statuses, first, deadline = [], None, time.monotonic() + lim["total_time_s"]
        scores: list[float] = []  # per test run: 1 pass, 0 fail, a checker's partial points
        cpu, wall, mem = lim["time_s"], lim["wall_time_s"], lim["memory_mb"]
        scale = total if kind == "assert" else 1  # one process runs every assert
        cases, subtasks = tests.get("cases") or [None], tests.get("subtasks") or []
        # IOI subtasks: each runs its tests in order and stops at its first zero; a test shared
        # by several subtasks runs once. Without subtasks: every test in order.
        plan = [(k, i) for k, st in enumerate(subtasks) for i in st["tests"]] or [
            (None, i) for i in range(len(cases))]
        ran: dict[int, tuple[str, float]] = {}  # case index -> (status, score)
        dead: set[int] = set()  # subtasks with a test that scored 0
        for sub, idx in plan:
            if sub in dead:
                continue
            if idx in ran:
                if ran[idx][1] <= 0:
                    dead.add(sub)
                continue
            case = cases[idx]
            if time.monotonic() > deadline:
                statuses.append("timeout")
                scores.append(0.0)
                ran[idx] = ("timeout", 0.0)
                first = first or {"input": None, "expected": None, "got": "job time limit exceeded"}
                if sub is not None:
                    dead.add(sub)
                elif stop:
                    break
                continue
            nonce, score, judged = secrets.token_hex(16), 1.0, None
            if kind == "stdin_stdout":
                argv_t, data = argv, case["input"].encode()
            else:
                harness = ASSERT_HARNESS if kind == "assert" else CALL_HARNESS
                # -P: the tests' process never imports from the work dir the program writes
                isolate = ["-P"] if kind == "assert" and sys.version_info >= (3, 11) else []
                argv_t = PY + isolate + ["-c", harness]
                data = self.payload(job, tests, case, nonce, stop)
            r = self.run(argv_t, work, data, cpu * scale, wall * scale, mem, mem_kind, lim,
                         lim["processes"], kind != "stdin_stdout")
            bad, why = self.classify(r, cpu * scale, mem)
            got = r["stdout"].decode("utf-8", "replace")
            events = self.events(r["result"], nonce)
            fails = [e for e in events if e.get("k") in ("fail", "error")]
            done = any(e.get("k") == "done" for e in events)
            if kind == "assert":
                n_pass = min(total, sum(e.get("k") == "pass" for e in events))
                if not tests.get("asserts"):
                    n_pass = int(done and not fails and bad is None)
                if bad in (None, "runtime_error") and fails:
                    bad, why = self.harness_failure(fails)
                elif bad is None and not done:
                    bad, why = "runtime_error", "exited before the tests completed"
                statuses += ["pass"] * n_pass + [bad or "wrong_answer"] * (total - n_pass)
                if bad or fails:
                    f = fails[0] if fails else {}
                    first = {"input": f.get("where"), "expected": None,
                             "got": f.get("error") or self.explain(why, r)}
                break
            if kind == "call":
                res = [e for e in events if e.get("k") == "result"]
                if bad in (None, "runtime_error") and fails:
                    bad, why = self.harness_failure(fails)
                elif bad is None and not res:
                    bad, why = "runtime_error", "exited before the tests completed"
                elif bad is None and not values_match(res[-1].get("value"), case["expected"], dict(
                        tests["compare"], unwrap_singleton=tests.get("unwrap_singleton"))):
                    bad, got = "wrong_answer", show(res[-1].get("value"))
            elif bad is None and checker is not None:
                status, score, said = self.check(checker, data, r["stdout"], case["output"], lim)
                if status != "pass":
                    bad, why = status, said
                    judged = said
            elif bad is None and not outputs_match(got, case["output"], tests["compare"]):
                bad = "wrong_answer"
            scores.append(score if bad in (None, "partial") else 0.0)
            statuses.append(bad or "pass")
            ran[idx] = (bad or "pass", scores[-1])
            if bad and first is None:
                shown, exp = (case.get("args"), case.get("expected")) if kind == "call" else (
                    case["input"], case["output"])
                if kind == "call":
                    shown, exp = show(shown), show(exp)
                first = {"input": shown, "expected": exp,
                         "got": got if bad in ("wrong_answer", "partial", "checker_error")
                         else self.explain(why, r)}
                if judged is not None:
                    first["checker"] = judged
            if sub is not None:
                if scores[-1] <= 0:
                    dead.add(sub)
            elif bad and stop:
                break
        passed = statuses.count("pass")
        bad = next((s for s in statuses if s != "pass"), None)
        if first:
            first = {k: clip(v, job.get("truncate", 1000)) for k, v in first.items()}
        out = {"verdict": bad or ("pass" if passed == total else "wrong_answer"),
               "passed": passed, "total": total, "first_failure": first, "tests": statuses}
        if checker is not None:
            out["scores"] = [round(x, 6) for x in scores]
        if subtasks:  # per case in order ("skipped": its subtasks had already failed)
            out["tests"] = [ran[i][0] if i in ran else "skipped" for i in range(len(cases))]
            out["subtasks"] = [0.0 if k in dead else min(ran[i][1] for i in st["tests"])
                               for k, st in enumerate(subtasks)]
            if checker is not None:
                out["scores"] = [round(ran[i][1], 6) if i in ran else 0.0
                                 for i in range(len(cases))]
        return out

    @staticmethod
    def explain(why: str, r: Json) -> str:
        return (why + ("\n" + r["stderr"] if r["stderr"] else "")).strip()

    @staticmethod
    def events(raw: bytes, nonce: str) -> list[Json]:
        """Parse the harness's reports; lines without this run's nonce are ignored."""
        out = []
        for line in raw.decode("utf-8", "replace").splitlines():
            try:
                n, e = ast.literal_eval(line)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            if n == nonce and isinstance(e, dict):
                out.append(e)
        return out

    @staticmethod
    def harness_failure(fails: list[Json]) -> tuple[str, str]:
        """Verdict from the harness's own report: failed assert, exception, memory."""
        e = fails[0]
        msg = str(e.get("error") or "")
        if "MemoryError" in msg:
            return "memory_limit", msg
        if e.get("k") == "fail" and msg.startswith("AssertionError"):
            return "wrong_answer", msg
        return "runtime_error", msg

    # -- cleanup ----------------------------------------------------------------------------
    def cleanup(self) -> str | None:
        """Wipe what the job left; a non-empty answer means the container must be recycled."""
        problems = []
        self.kill_leftovers()
        if self.alive_others() if self.mode == "container" else self.descendants():
            problems.append("processes survived")
        # container mode: every place a program can write (the root fs is read-only); POSIX
        # message queues are files of /dev/mqueue, removed like any other
        dirs = [self.root] + (["/tmp", "/dev/shm", "/dev/mqueue"] if self.mode == "container"
                              else [])
        for d in dirs:
            for name in os.listdir(d) if os.path.isdir(d) else []:
                try:
                    self.remove(os.path.join(d, name))
                except OSError as e:
                    problems.append(f"cannot remove {d}/{name}: {e}")
        if self.mode == "container":
            problems += self.clear_ipc()
        return "; ".join(problems) or None

    @staticmethod
    def remove(path: str) -> None:
        """rm -rf without recursion or long paths: a program may nest directories thousands
        deep (deeper than Python's recursion limit and PATH_MAX) and chmod 000 them. Walks
        with one open directory fd at a time; every process of the job is already dead, so
        nothing moves the tree while ``..`` is followed back up."""
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
        if os.path.islink(path) or not os.path.isdir(path):
            os.unlink(path)
            return
        os.chmod(path, 0o700)
        fd, todo, names = os.open(path, flags), [], []  # todo: subdirs left, one list a level
        try:
            while True:
                with os.scandir(fd) as it:
                    entries = list(it)
                subdirs = []
                for e in entries:
                    if e.is_dir(follow_symlinks=False):
                        subdirs.append(e.name)
                    else:
                        os.unlink(e.name, dir_fd=fd)
                todo.append(subdirs)
                while not todo[-1] and names:  # this level is empty: climb, removing it
                    todo.pop()
                    up = os.open("..", flags, dir_fd=fd)
                    os.close(fd)
                    fd = up
                    os.rmdir(names.pop(), dir_fd=fd)
                if not todo[-1]:
                    break
                down = todo[-1].pop()
                try:
                    os.chmod(down, 0o700, dir_fd=fd)
                except OSError:
                    pass
                sub = os.open(down, flags, dir_fd=fd)
                os.close(fd)
                fd = sub
                names.append(down)
        finally:
            os.close(fd)
        os.rmdir(path)

    def alive_others(self) -> bool:
        try:
            os.kill(-1, 0)
            return True
        except ProcessLookupError:
            return False

    def clear_ipc(self) -> list[str]:
        import ctypes

        left = []
        libc = ctypes.CDLL(None, use_errno=True)
        for kind, fn in (("shm", "shmctl"), ("sem", "semctl"), ("msg", "msgctl")):
            try:
                with open(f"/proc/sysvipc/{kind}") as f:
                    ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
            except OSError:
                continue
            for i in ids:
                ok = (libc.semctl(i, 0, 0) if kind == "sem" else getattr(libc, fn)(i, 0, None))
                if ok != 0:
                    left.append(f"{kind} {i} not removable")
        return left

    def handle(self, job: Json) -> Json:
        t0 = time.monotonic()
        try:
            res = self.grade(job)
        except Exception as e:  # noqa: BLE001 - the host gets a sandbox_error, never silence
            res = {"verdict": "sandbox_error", "message": f"runner failure: {e!r}"}
        res["anomaly"] = self.cleanup()
        res.setdefault("timings", {})["total_s"] = round(time.monotonic() - t0, 4)
        res["id"] = job.get("id")
        return res


def names_used(sources: list[str]) -> set[str]:
    """Every plain name the test sources mention: what the tests may take from the program."""
    names: set[str] = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue  # the tests' process reports the syntax error itself
        try:
            names.update(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))
        except RecursionError:
            continue
    return names


def java_main_class(code: str) -> str:
    """javac wants the file named after the public class; java wants the class with main."""
    found = re.search(r"public\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", code)
    if found:
        return found.group(1)
    main = code.find("static void main")
    names = re.findall(r"\bclass\s+([A-Za-z_$][\w$]*)", code[:main] if main >= 0 else code)
    return names[-1] if names else "Main"


def normalize_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def number(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def close(a: float, b: float, spec: Json) -> bool:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    rel, abs_ = spec.get("rel_tol") or 0.0, spec.get("abs_tol") or 0.0
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def outputs_match(got: str, expected: str, spec: Json) -> bool:
    mode = spec.get("mode", "lines")
    if mode == "exact":
        return got == expected
    if mode == "lines":
        return normalize_lines(got) == normalize_lines(expected)
    a, b = got.split(), expected.split()
    if len(a) != len(b):
        return False
    tol = spec.get("abs_tol") or spec.get("rel_tol")
    for x, y in zip(a, b, strict=True):
        if x != y:
            fx, fy = (number(x), number(y)) if tol else (None, None)
            if fx is None or fy is None or not close(fx, fy, spec):
                return False
    return True


def values_match(got: Any, exp: Any, spec: Json) -> bool:
    """Structural equality of decoded values: lists == tuples, floats within tolerance.

    Total: whatever the program returned (an int too large for a float, a value nested
    deeper than the recursion limit, a forged report of any literal shape) compares as
    unequal instead of raising, so a hostile value is graded, never a runner failure."""
    try:
        return _values_match(got, exp, spec)
    except (ArithmeticError, RecursionError, MemoryError, TypeError, ValueError):
        return False


def show(value: Any) -> str:
    """JSON for a report, or a clipped repr for what JSON cannot hold (sets, huge ints)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            return clip(repr(value), 2000) or ""
        except (ValueError, RecursionError, MemoryError):
            return f"<unprintable {type(value).__name__}>"


def _values_match(got: Any, exp: Any, spec: Json) -> bool:
    if isinstance(got, dict) and list(got) == ["__float__"]:  # nan/inf from the harness
        got = float(got["__float__"])
    if spec.get("unwrap_singleton") and isinstance(exp, list) and len(exp) == 1:
        if _values_match(got, exp[0], dict(spec, unwrap_singleton=False)):
            return True
    if isinstance(got, bool) or isinstance(exp, bool):
        return got == exp and isinstance(got, bool) == isinstance(exp, bool)
    if isinstance(got, (int, float)) and isinstance(exp, (int, float)):
        return got == exp or (isinstance(got, float) or isinstance(exp, float)) and close(
            float(got), float(exp), spec)
    if isinstance(got, list) and isinstance(exp, list):
        inner = dict(spec, unwrap_singleton=False)
        pairs = zip(got, exp, strict=False)
        return len(got) == len(exp) and all(_values_match(a, b, inner) for a, b in pairs)
    if isinstance(got, dict) and isinstance(exp, dict):
        inner = dict(spec, unwrap_singleton=False)
        return got.keys() == exp.keys() and all(_values_match(got[k], exp[k], inner)
                                                for k in got)
    return got == exp


def setup_self(mode: str) -> None:
    """Make the runner hard to tamper with: not ptrace-able, deaf to stray signals."""
    for s in RESET_SIGNALS:
        if s not in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(s, signal.SIG_IGN)
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE=0: /proc/<runner>/mem, environ, fd closed
        if mode == "process":
            libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: orphans stay our children
    except (ImportError, OSError, AttributeError):
        pass


def main(argv: list[str]) -> None:
    opts = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
    mode = opts.get("mode") or ("container" if os.getpid() == 1 else "process")
    root, drop = opts.get("root", "/work"), opts.get("drop-uid")
    setup_self(mode)
    os.makedirs(root, exist_ok=True)
    runner = Runner(mode, root, int(drop) if drop else None)
    out = sys.stdout.buffer
    if "--serve" not in argv:  # one job (one JSON line) on stdin, one verdict on stdout
        job = json.loads(sys.stdin.buffer.readline())
        out.write(json.dumps(runner.handle(job)).encode() + b"\n")
        out.flush()
        return
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        try:
            msg = json.loads(line)
        except ValueError as e:
            reply = {"verdict": "sandbox_error", "message": f"bad job: {e}", "id": None}
        else:
            if msg.get("op") == "ping":
                reply = {"op": "pong", "protocol": PROTOCOL, "id": msg.get("id"),
                         "anomaly": runner.cleanup()}
            else:
                reply = runner.handle(msg)
        out.write(json.dumps(reply).encode() + b"\n")
        out.flush()


if __name__ == "__main__":
    main(sys.argv[1:])

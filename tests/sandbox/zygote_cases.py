"""Programs whose every observable (stdout, stderr, exit status, verdict) must be the same when
forked from the zygote as under a plain ``python3 -s main.py``; shared by the process-mode and
container-mode fidelity tests."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sandbox import CodeJob, Limits
from sandbox.jobs import RunSpec
from tests.sandbox.zygote_exit_cases import EXIT_CASES

RUNNER = Path(__file__).resolve().parents[2] / "sandbox" / "runner" / "__main__.py"

# name -> (program, stdin[, files])
CASES: dict[str, tuple[str, str] | tuple[str, str, dict[str, str]]] = {
    "name_argv_path": (
        "import os, sys\n"
        "print(__name__, sys.argv, sys.orig_argv[1:], os.path.basename(__file__),\n"
        "      os.path.isabs(__file__), sys.path[0] == os.getcwd(), sys.flags.no_user_site,\n"
        "      sys.flags.safe_path, sys.flags.isolated, sys.getrecursionlimit())\n"
        "print(open('/proc/self/cmdline', 'rb').read().split(b'\\0')[1:])\n", ""),
    "main_guard": ("def main():\n    print('main ran')\nif __name__ == '__main__':\n    main()\n",
                   ""),
    "globals": ("import sys\nprint(sorted(globals()))\n"
                "print(type(__loader__).__name__, __spec__, __package__, __cached__, __doc__)\n"
                "m = sys.modules['__main__']\n"
                "print(type(__builtins__).__name__, m.__dict__ is globals())\n"
                "import pickle\nclass P: pass\nprint(type(pickle.loads(pickle.dumps(P()))))\n",
                ""),
    "stdin_read": ("import sys\ndata = sys.stdin.read()\nprint(len(data), data.split())\n",
                   "1 2\n3\n\u00e9\n"),
    "input_lines": ("a = input()\nb = input()\nprint(int(a) + int(b))\n", "40\n2\n"),
    "input_eof": ("input()\ninput()\n", "1\n"),
    "open0": ("print(open(0).read().upper(), end='')\n", "abc\ndef\n"),
    "stdin_bytes": ("import sys\nprint(sys.stdin.buffer.read())\n", "x\u2713\n"),
    "stdio_objects": (
        "import sys\nfor s in (sys.stdin, sys.stdout, sys.stderr):\n"
        "    print(s.name, s.mode, s.encoding, s.errors, s.line_buffering, s.write_through,\n"
        "          s.isatty(), s.fileno(), type(s.buffer).__name__, s.buffer.raw.name,\n"
        "          s is getattr(sys, '__' + s.name.strip('<>') + '__'))\n", ""),
    "buffering_order": ("import os, sys\nprint('a')\nos.write(1, b'b\\n')\n"
                        "sys.stderr.write('e\\n')\nos.write(2, b'f\\n')\nprint('c', end='')\n",
                        ""),
    "unicode": ("print('h\u00e9llo \u2713', input())\n", "\u00fc\u00f1\u00ee\n"),
    "big_output": ("import sys\nsys.stdout.write('x' * 300000)\nprint(len(input()))\n",
                   "y" * 100000 + "\n"),
    "exit_3": ("import sys\nprint('before')\nsys.exit(3)\n", ""),
    "exit_message": ("import sys\nsys.exit('bye')\n", ""),
    "exit_none": ("raise SystemExit\n", ""),
    "exit_builtin": ("print('q')\nexit(0)\n", ""),
    "quit_2": ("quit(2)\n", ""),
    "exit_256": ("import sys\nsys.exit(256)\n", ""),
    "exit_minus": ("import sys\nsys.exit(-1)\n", ""),
    "exit_true": ("import sys\nsys.exit(True)\n", ""),
    "os_exit_loses_buffer": ("import os\nprint('lost')\nos._exit(4)\n", ""),
    "uncaught": ("def f(x):\n    raise ValueError(f'boom {x}')\nprint('out')\nf(1)\n", ""),
    "uncaught_chain": ("try:\n    1 / 0\nexcept ZeroDivisionError:\n    raise KeyError('k')\n",
                       ""),
    "keyboard_interrupt": ("print('x')\nraise KeyboardInterrupt\n", ""),
    "excepthook": ("import sys\nsys.excepthook = lambda t, v, tb: print('hook', t.__name__)\n"
                   "1 / 0\n", ""),
    "recursion_depth": ("n = 0\ndef f():\n    global n\n    n += 1\n    f()\n"
                        "try:\n    f()\nexcept RecursionError:\n    print(n)\n", ""),
    "recursion_uncaught": ("def f(k):\n    return f(k + 1)\nf(0)\n", ""),
    "recursion_set": ("import sys\nsys.setrecursionlimit(60)\nn = 0\ndef f():\n    global n\n"
                      "    n += 1\n    f()\ntry:\n    f()\nexcept RecursionError:\n"
                      "    print(n, sys.getrecursionlimit())\n", ""),
    "deep_recursion_allowed": ("import sys\nsys.setrecursionlimit(10 ** 6)\n"
                               "def f(k):\n    return 0 if k == 0 else 1 + f(k - 1)\n"
                               "print(f(100000))\n", ""),
    "shutdown_order": ("import atexit, threading, time\nclass A:\n"
                       "    def __del__(self):\n        print('del')\na = A()\n"
                       "atexit.register(lambda: print('atexit'))\n"
                       "def w():\n    time.sleep(0.05)\n    print('thread')\n"
                       "threading.Thread(target=w).start()\nprint('main')\n", ""),
    "stdout_closed": ("import sys\nprint('x')\nsys.stdout.close()\n", ""),
    "stdout_none": ("import sys\nprint('x')\nsys.stdout.flush()\nsys.stdout = None\n", ""),
    "memory_error": ("x = bytearray(1 << 34)\n", ""),
    "environment": ("import os, re\n"
                    "print(sorted((k, re.sub('job-[0-9a-f]+', 'J', v)) for k, v in "
                    "os.environ.items()))\nprint(os.getenv('HOME') == os.getcwd())\n", ""),
    "main_thread_ids": ("import os, signal, threading, time\nmain = threading.main_thread()\n"
                        "out = []\ndef w():\n    signal.pthread_kill(main.ident, 0)\n"
                        "    clock = time.pthread_getcpuclockid(main.ident)\n"
                        "    out.append(time.clock_gettime(clock) > 0)\n"
                        "t = threading.Thread(target=w)\nt.start()\nt.join()\n"
                        "print(out, main.native_id == os.getpid() == threading.get_native_id())\n",
                        ""),
    # a robust mutex the main thread holds when it ends is owner-dead (130) to a waiter
    "robust_mutex": ("import ctypes, os, threading, time\n"
                     "libc = ctypes.CDLL(None)\n"
                     "attr, m = ctypes.create_string_buffer(8), ctypes.create_string_buffer(64)\n"
                     "libc.pthread_mutexattr_init(attr)\n"
                     "libc.pthread_mutexattr_setrobust(attr, 1)\n"
                     "libc.pthread_mutex_init(m, attr)\nlibc.pthread_mutex_lock(m)\n"
                     "class TS(ctypes.Structure):\n"
                     "    _fields_ = [('s', ctypes.c_long), ('ns', ctypes.c_long)]\n"
                     "def waiter():\n    time.sleep(0.2)\n"
                     "    ts = TS(int(time.time()) + 2, 0)\n"
                     "    r = libc.pthread_mutex_timedlock(m, ctypes.byref(ts))\n"
                     "    os.write(1, f'lock={r}\\n'.encode())\n    os._exit(0)\n"
                     "threading.Thread(target=waiter).start()\nlibc.pthread_exit(None)\n", ""),
    "environment_order": ("import os\nprint(list(os.environ))\n", ""),
    "signals": ("import signal\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE,\n"
                "          signal.SIGXFSZ, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):\n"
                "    print(s.name, signal.getsignal(s))\n"
                "print(signal.pthread_sigmask(signal.SIG_BLOCK, []))\n", ""),
    "fds_cwd_umask_session": ("import os\nprint(sorted(os.listdir('/proc/self/fd')))\n"
                              "print(os.getcwd() == os.path.dirname(__file__), oct(os.umask(0)))\n"
                              "print(os.getsid(0) == os.getpid() == os.getpgrp())\n", ""),
    "rlimits": ("import resource as r\nfor k in ('CPU', 'AS', 'STACK', 'FSIZE', 'CORE', 'NOFILE',"
                " 'DATA'):\n    print(k, r.getrlimit(getattr(r, 'RLIMIT_' + k)))\n", ""),
    "dumpable": ("import os\nprint(os.stat('/proc/self/fd').st_uid == os.getuid())\n", ""),
    "warning": ("import warnings\nwarnings.warn('careful')\nprint('ok')\n", ""),
    "shadowed_module": ("import heapq, string\nprint(heapq.mine(), string.__file__.endswith"
                        "('/string.py'))\n", "",
                        {"heapq.py": "def mine():\n    return 'work dir heapq'\n"}),
    "own_module": ("import helper\nprint(helper.VALUE)\n", "", {"helper.py": "VALUE = 7\n"}),
}
CASES.update(EXIT_CASES)


def job(program: str, stdin: str, files: dict[str, str] | None = None,
        limits: Limits | None = None) -> dict[str, Any]:
    spec = RunSpec(stdin=stdin, files={k: base64.b64encode(v.encode()).decode()
                                       for k, v in (files or {}).items()})
    return CodeJob(language="python", code=program, tests=spec,
                   limits=limits or Limits(time_s=3, wall_time_s=10, memory_mb=256)).for_runner()


def observed(result: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on the zygote: the job dir's random name masked, times dropped."""
    run = dict(result.get("run") or {})
    run.pop("time_s", None)
    text = json.dumps({"verdict": result.get("verdict"), "message": result.get("message"),
                       "run": run, "anomaly": result.get("anomaly")}, sort_keys=True)
    return json.loads(re.sub(r"job-[0-9a-f]{8}", "job-X", text))


class ProcessRunner:
    """The runner in process mode (no container), serving JSON lines."""

    def __init__(self, root: Path, zygote: bool) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-I", str(RUNNER), "--serve", "--mode=process", f"--root={root}",
             f"--zygote={'on' if zygote else 'off'}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait()

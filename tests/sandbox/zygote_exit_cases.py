"""Programs about the interpreter's exit path (flushing, exit codes, recursion limits), found
by red-teaming the zygote; each must behave exactly as under a plain ``python3 -s main.py``.
Merged into ``zygote_cases.CASES``."""

from __future__ import annotations

# The PyRival FastIO template, common in competitive-programming solutions: sys.stdout is an
# IOBase whose flush() uses the module global ``os`` (so stdout must be flushed before the
# program's globals are dropped).
PYRIVAL = '''import os, sys
from io import BytesIO, IOBase
BUFSIZE = 8192
class FastIO(IOBase):
    newlines = 0
    def __init__(self, file):
        self._fd = file.fileno()
        self.buffer = BytesIO()
        self.writable = "x" in file.mode or "r" not in file.mode
        self.write = self.buffer.write if self.writable else None
    def read(self):
        while True:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            if not b:
                break
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines = 0
        return self.buffer.read()
    def readline(self):
        while self.newlines == 0:
            b = os.read(self._fd, max(os.fstat(self._fd).st_size, BUFSIZE))
            self.newlines = b.count(b"\\n") + (not b)
            ptr = self.buffer.tell()
            self.buffer.seek(0, 2), self.buffer.write(b), self.buffer.seek(ptr)
        self.newlines -= 1
        return self.buffer.readline()
    def flush(self):
        if self.writable:
            os.write(self._fd, self.buffer.getvalue())
            self.buffer.truncate(0), self.buffer.seek(0)
class IOWrapper(IOBase):
    def __init__(self, file):
        self.buffer = FastIO(file)
        self.flush = self.buffer.flush
        self.writable = self.buffer.writable
        self.write = lambda s: self.buffer.write(s.encode("ascii"))
        self.read = lambda: self.buffer.read().decode("ascii")
        self.readline = lambda: self.buffer.readline().decode("ascii")
sys.stdin, sys.stdout = IOWrapper(sys.stdin), IOWrapper(sys.stdout)
input = lambda: sys.stdin.readline().rstrip("\\r\\n")
'''

NO_CLOSED = '''import sys, os
class Out:
    def __init__(s): s.b = []
    def write(s, x): s.b.append(x)
    def flush(s):
        os.write(1, "".join(s.b).encode()); s.b = []
sys.stdout = Out()
print(int(input()) * 2)
'''

THREAD_DEPTH = '''import sys, threading
def f(n):
    return 0 if n == 0 else 1 + f(n - 1)
def main():
    lo, hi = 1, 5000
    while lo < hi:
        m = (lo + hi + 1) // 2
        try:
            f(m); lo = m
        except RecursionError:
            hi = m - 1
    print(lo)
main()
t = threading.Thread(target=main); t.start(); t.join()
'''

EXIT_CASES: dict[str, tuple[str, str]] = {
    "pyrival_fastio": (PYRIVAL + "n = int(input())\nprint(n * 2)\n", "21\n"),
    "pyrival_explicit_flush": (PYRIVAL + "print(int(input()) * 2)\nsys.stdout.flush()\n", "5\n"),
    "stdout_stringio_dunder": ("import sys, io\nbuf = io.StringIO()\nsys.stdout = buf\n"
                               "print(int(input()) * 2)\nsys.__stdout__.write(buf.getvalue())\n",
                               "4\n"),
    "print_file_dunder": ("import sys, io\nsys.stdout = io.StringIO()\n"
                          "print(int(input()) * 2, file=sys.__stdout__)\n", "4\n"),
    "stdout_devnull_then_orig": ("import sys, os\nreal = sys.stdout\n"
                                 "sys.stdout = open(os.devnull, 'w')\nprint('noise')\n"
                                 "real.write(str(int(input()) * 2) + '\\n')\n", "4\n"),
    "stdout_no_closed": (NO_CLOSED, "4\n"),
    "stdout_no_closed_explicit_flush": (NO_CLOSED + "sys.stdout.flush()\n", "4\n"),
    "stderr_dunder": ("import sys, io\nsys.stderr = io.StringIO()\n"
                      "sys.__stderr__.write('to the real stderr\\n')\n", ""),
    "flush_fails": ("import sys\nclass O:\n    def write(self, s): pass\n"
                    "    def __repr__(self): return 'O()'\n"
                    "    def flush(self): raise ValueError('no')\n"
                    "sys.stdout = O()\nprint(1)\n", ""),
    "del_after_flush": ("class D:\n    def __del__(self): print('del')\nd = D()\nprint('main')\n",
                        ""),
    "exit_bigint": ("print(int(input()) * 2)\nraise SystemExit(2**70)\n", "4\n"),
    "exit_intsub": ("class C(int):\n    def __and__(s, o): return 0\n"
                    "print(int(input()) * 2)\nraise SystemExit(C(3))\n", "4\n"),
    "exit_long_min": ("raise SystemExit(-(1 << 63))\n", ""),
    "exit_long_max": ("raise SystemExit((1 << 63) - 1)\n", ""),
    "exit_long_over": ("raise SystemExit(1 << 63)\n", ""),
    "exit_c_int_cut": ("raise SystemExit((1 << 32) + 7)\n", ""),
    "recursion_max": ("import sys\nsys.setrecursionlimit(2**31 - 1)\n"
                      "print(int(input()) * 2, sys.getrecursionlimit())\n", "4\n"),
    "recursion_zero": ("import sys\nsys.setrecursionlimit(0)\n", ""),
    "recursion_over": ("import sys\nsys.setrecursionlimit(2**31)\n", ""),
    "recursion_float": ("import sys\nsys.setrecursionlimit(1.5)\n", ""),
    "recursion_index": ("import sys\nclass I:\n    def __index__(self): return 50\n"
                        "sys.setrecursionlimit(I())\nprint(sys.getrecursionlimit())\n"
                        "def f(n): return f(n + 1) if n < 45 else n\nprint(f(0))\n", ""),
    "recursion_thread_depth": (THREAD_DEPTH, ""),
    # stdout is flushed as soon as the program's code is done (pythonrun's flush_io), before
    # atexit handlers, late threads and an uncaught exception's traceback write
    "atexit_oswrite_order": ("import atexit, os\natexit.register(lambda: os.write(1, b'B\\n'))\n"
                             "print(int(input()) * 2)\n", "1\n"),
    "thread_oswrite_order": ("import threading, os, time\nprint(int(input()) * 2)\n"
                             "def w():\n    time.sleep(0.05); os.write(1, b'B\\n')\n"
                             "threading.Thread(target=w).start()\n", "2\n"),
    "sysexit_atexit_oswrite": ("import atexit, os, sys\n"
                               "atexit.register(lambda: os.write(1, b'B\\n'))\n"
                               "print(int(input()) * 2)\nsys.exit(0)\n", "3\n"),
    # a __del__ at exit sees the program's globals whole (the collection before they are
    # cleared), cycles included, and can still change the exit status
    "del_later_global": ("class A:\n    def __del__(self):\n        print('bye', X)\n"
                         "a = A()\nX = 5\nprint(int(input()) * 2)\n", "1\n"),
    "del_uses_sys": ("import sys\nclass A:\n    def __del__(self):\n"
                     "        sys.stdout.write('del\\n')\na = A()\nprint(int(input()) * 2)\n",
                     "2\n"),
    "del_is_finalizing": ("import sys\nclass A:\n    def __del__(self):\n"
                          "        print('fin', sys.is_finalizing())\na = A()\n", ""),
    "del_cycle": ("class A:\n    def __del__(s): print('del')\na = A(); a.s = a\n"
                  "print(int(input()) * 2)\n", "3\n"),
    "exit_in_del": ("import os\nclass A:\n    def __del__(self): os._exit(7)\na = A()\n"
                    "print(int(input()) * 2)\n", "4\n"),
    "uncaught_after_print": ("import sys\nprint('out')\nsys.stdout.flush\n"
                             "raise ValueError('late')\n", ""),
}

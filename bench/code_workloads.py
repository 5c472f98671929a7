"""The two code-grading workloads of bench_code.py and their unsandboxed baselines.

``stdin``: one stdin problem (sort a list, report its sum and median), 16 different correct
Python programs (the styles models write: ``input()``, ``sys.stdin``, a ``main()`` guard,
``collections``/``heapq``/``bisect``) and 50 tests each. ``humaneval``: HumanEval's 164
canonical solutions with their ``check`` tests.

The baselines are warm Python worker processes (one per core) that fork a fresh child per
test (stdin) or per program (HumanEval) and run the already compiled program in it: no
interpreter start, no isolation, no limits.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
from typing import Any

PROGRAMS = [
    "n = int(input())\na = sorted(map(int, input().split()))\n"
    "print(sum(a))\nprint(a[(n - 1) // 2])\nprint(*a)\n",
    "import sys\ndata = sys.stdin.read().split()\nn = int(data[0])\n"
    "a = sorted(int(x) for x in data[1:n + 1])\nprint(sum(a))\nprint(a[(n - 1) // 2])\n"
    "print(' '.join(map(str, a)))\n",
    "def main():\n    n = int(input())\n    a = list(map(int, input().split()))\n    a.sort()\n"
    "    print(sum(a))\n    print(a[(n - 1) // 2])\n    print(*a)\n\n"
    "if __name__ == '__main__':\n    main()\n",
    "import sys\ninput = sys.stdin.readline\nn = int(input())\n"
    "a = sorted(map(int, input().split()))\nsys.stdout.write(f'{sum(a)}\\n{a[(n - 1) // 2]}\\n')\n"
    "sys.stdout.write(' '.join(map(str, a)) + '\\n')\n",
    "import heapq\nn = int(input())\nh = list(map(int, input().split()))\nheapq.heapify(h)\n"
    "a = [heapq.heappop(h) for _ in range(n)]\nprint(sum(a))\nprint(a[(n - 1) // 2])\n"
    "print(*a)\n",
    "from collections import Counter\nn = int(input())\nc = Counter(map(int, input().split()))\n"
    "a = []\nfor v in sorted(c):\n    a += [v] * c[v]\nprint(sum(a))\nprint(a[(n - 1) // 2])\n"
    "print(*a)\n",
    "import bisect\nn = int(input())\na = []\nfor v in map(int, input().split()):\n"
    "    bisect.insort(a, v)\nprint(sum(a))\nprint(a[(n - 1) // 2])\nprint(*a)\n",
    "import sys\n\ndef solve(tokens):\n    n = int(tokens[0])\n"
    "    a = sorted(map(int, tokens[1:1 + n]))\n"
    "    return [str(sum(a)), str(a[(n - 1) // 2]), ' '.join(map(str, a))]\n\n"
    "print('\\n'.join(solve(sys.stdin.buffer.read().split())))\n",
    "from typing import List\n\ndef median(a: List[int]) -> int:\n"
    "    return a[(len(a) - 1) // 2]\n\nn = int(input())\na = sorted(int(x) for x in "
    "input().split())\nprint(sum(a))\nprint(median(a))\nprint(*a)\n",
    "import itertools\nn = int(input())\na = sorted(map(int, input().split()))\n"
    "print(list(itertools.accumulate(a))[-1])\nprint(a[(n - 1) // 2])\nprint(*a)\n",
    "n = int(input())\na = list(map(int, input().split()))\n"
    "def msort(x):\n    if len(x) < 2:\n        return x\n    m = len(x) // 2\n"
    "    l, r = msort(x[:m]), msort(x[m:])\n    out, i, j = [], 0, 0\n"
    "    while i < len(l) and j < len(r):\n        if l[i] <= r[j]:\n"
    "            out.append(l[i]); i += 1\n        else:\n            out.append(r[j]); j += 1\n"
    "    return out + l[i:] + r[j:]\n"
    "a = msort(a)\nprint(sum(a))\nprint(a[(n - 1) // 2])\nprint(*a)\n",
    "import sys\nlines = sys.stdin.read().splitlines()\nn = int(lines[0])\n"
    "a = sorted(map(int, lines[1].split()))\nout = [sum(a), a[(n - 1) // 2]]\n"
    "print(*out, sep='\\n')\nprint(*a)\n",
    "import math\nn = int(input())\na = sorted(map(int, input().split()))\n"
    "print(math.fsum(a).__int__())\nprint(a[(n - 1) // 2])\nprint(' '.join(str(v) for v in a))\n",
    "import functools\n\n@functools.lru_cache(maxsize=None)\ndef mid(n):\n"
    "    return (n - 1) // 2\n\n"
    "n = int(input())\na = sorted(map(int, input().split()))\nprint(sum(a))\nprint(a[mid(n)])\n"
    "print(*a)\n",
    "class Solver:\n    def __init__(self, a):\n        self.a = sorted(a)\n"
    "    def answer(self):\n        a = self.a\n"
    "        return f'{sum(a)}\\n{a[(len(a) - 1) // 2]}\\n' + ' '.join(map(str, a))\n\n"
    "n = int(input())\nprint(Solver(map(int, input().split())).answer())\n",
    "import sys\nread = sys.stdin.readline\nn = int(read())\nnums = read().split()\n"
    "a = sorted(int(nums[i]) for i in range(n))\ntotal = 0\nfor v in a:\n    total += v\n"
    "print(total)\nprint(a[(n - 1) // 2])\nprint(*a)\n",
]


def stdin_cases(count: int = 50, seed: int = 0) -> list[dict[str, str]]:
    """``count`` tests of 20-400 integers each, with their expected output."""
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        a = [rng.randint(-10**6, 10**6) for _ in range(rng.randint(20, 400))]
        s = sorted(a)
        out = f"{sum(s)}\n{s[(len(s) - 1) // 2]}\n{' '.join(map(str, s))}\n"
        cases.append({"input": f"{len(a)}\n{' '.join(map(str, a))}\n", "output": out})
    return cases


def _child_stdio(stdin_fd: int, stdout_fd: int) -> None:
    os.dup2(stdin_fd, 0)
    os.dup2(stdout_fd, 1)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - lives until the child exits
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115


def _fork_test(code: Any, case: dict[str, str]) -> bool:
    """Fork a child that runs the compiled program on one input; compare its output."""
    in_r, in_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(in_w)
            os.close(out_r)
            _child_stdio(in_r, out_w)
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
            sys.stdout.flush()
        except BaseException:  # noqa: BLE001 - the program failed
            status = 1
        os._exit(status)
    os.close(in_r)
    os.close(out_w)
    os.write(in_w, case["input"].encode())  # inputs are a few KB: fit the pipe
    os.close(in_w)
    chunks = []
    while chunk := os.read(out_r, 1 << 16):
        chunks.append(chunk)
    os.close(out_r)
    _, status = os.waitpid(pid, 0)
    got = b"".join(chunks).decode().split()
    return status == 0 and got == case["output"].split()


def _program_all_tests(args: tuple[str, list[dict[str, str]]]) -> int:
    """A warm worker: compile once, fork per test, stop at the first failure."""
    program, cases = args
    code = compile(program, "main.py", "exec")
    passed = 0
    for case in cases:
        if not _fork_test(code, case):
            break
        passed += 1
    return passed


def _humaneval_one(source: str) -> bool:
    code = compile(source, "solution.py", "exec")
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 0)
            os.dup2(null, 1)
            exec(code, {"__name__": "__main__", "__builtins__": __builtins__})
        except BaseException:  # noqa: BLE001 - a failed check
            status = 1
        os._exit(status)
    return os.waitpid(pid, 0)[1] == 0


def warm_workers(count: int) -> Any:
    """``count`` warm worker processes (started and used once before any timing)."""
    pool = multiprocessing.get_context("fork").Pool(count)
    pool.map(abs, range(count))
    return pool


def fork_per_test(pool: Any, programs: list[str], cases: list[dict[str, str]]) -> int:
    """Tests passed over all programs (each program stops at its first failure)."""
    return sum(pool.map(_program_all_tests, [(p, cases) for p in programs], chunksize=1))


def fork_per_program(pool: Any, sources: list[str]) -> int:
    """Programs whose tests all passed, one forked child per program."""
    return sum(pool.map(_humaneval_one, sources, chunksize=4))

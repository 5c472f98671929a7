"""The process backend: same runner, no container. Needs no Docker, only the host's python3
(and gcc for the compiled case)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import time

import pytest

from sandbox import CodeJob, Limits, SandboxPool, SandboxSettings, parse_tests
from sandbox.runner.zygote_host import WARM_DIR as WARM

pytestmark = pytest.mark.asyncio(loop_scope="function")


def settings(**kw: object) -> SandboxSettings:
    values: dict[str, object] = {"backend": "process", "pool_size": 2, "cache_size": 0,
                                 "limits": Limits(time_s=1.0, wall_time_s=3.0)}
    return SandboxSettings(**{**values, **kw})


async def test_process_backend_grades_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    io = parse_tests({"inputs": ["2 3\n"], "outputs": ["5\n"]})
    async with SandboxPool(settings()) as p:
        assert "WITHOUT a container" in caplog.text
        jobs = [
            CodeJob(language="python", code="a, b = map(int, input().split())\nprint(a + b)",
                    tests=io),
            CodeJob(language="python", code="print(6)", tests=io),
            CodeJob(language="python", code="while True:\n    pass", tests=io),
            CodeJob(language="python", code="def f(x):\n    return x + 1",
                    tests=parse_tests({"test_list": ["assert f(1) == 2"]})),
            CodeJob(language="python", code="import sys\nsys.exit(0)",
                    tests=parse_tests({"test_list": ["assert f(1) == 2"]})),
            CodeJob(language="python", code="def g(a):\n    return [a, a]",
                    tests=parse_tests({"type": "call", "fn_name": "g",
                                       "cases": [{"args": [2], "expected": [2, 2]}]})),
        ]
        results = await asyncio.gather(*(p.run(j) for j in jobs))
        assert [r.verdict.value for r in results] == [
            "pass", "wrong_answer", "timeout", "pass", "runtime_error", "pass"]


async def test_process_backend_kills_daemons() -> None:
    code = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            "        time.sleep(60)\n    os._exit(0)\nprint(5)\n")
    async with SandboxPool(settings(pool_size=1)) as p:
        r = await p.run(CodeJob(language="python", code=code,
                                tests=parse_tests({"inputs": [""], "outputs": ["5"]})))
        assert r.verdict.value == "runtime_error" and "left processes" in r.first_failure.got
        worker = next(iter(p._workers))

        def children_cwd() -> list[str]:
            out = []
            for pid in os.listdir("/proc"):
                if pid.isdigit() and _ppid(pid) == worker.proc.pid:  # type: ignore[attr-defined]
                    try:
                        out.append(os.readlink(f"/proc/{pid}/cwd"))
                    except OSError:
                        pass
            return out

        # The runner's only child left is its warm zygote, which runs in the runner's warm/
        # (a fresh one may still be starting: the sweep that killed the daemon took the old).
        # A zygote forked but not yet in warm/ sits in the runner's cwd for an instant: the
        # check reads the children once per try (reading twice raced with that fork).
        deadline = time.monotonic() + 10
        seen = children_cwd()
        while seen not in ([], [str(WARM)]) and time.monotonic() < deadline:
            time.sleep(0.05)
            seen = children_cwd()
        assert seen in ([], [str(WARM)])


def _ppid(pid: str) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return int(f.read().rsplit(b")", 1)[1].split()[1])
    except OSError:
        return -1


@pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler on this host")
async def test_process_backend_compiles_c() -> None:
    code = ("#include <stdio.h>\n"
            "int main(void){int a,b;scanf(\"%d %d\",&a,&b);printf(\"%d\\n\",a*b);}")
    async with SandboxPool(settings(pool_size=1)) as p:
        r = await p.run(CodeJob(language="c", code=code,
                                tests=parse_tests({"inputs": ["2 3"], "outputs": ["6"]})))
        assert r.verdict.value == "pass", r.model_dump()
        bad = await p.run(CodeJob(language="c", code="int main(void){return x;}",
                                  tests=parse_tests({"inputs": ["2 3"], "outputs": ["6"]})))
        assert bad.verdict.value == "compile_error" and "x" in bad.compile_output


@pytest.mark.skipif(shutil.which("g++") is None, reason="no C++ compiler on this host")
async def test_process_backend_runs_checkers_and_subtasks() -> None:
    """A C++ checker that brings its own header in ``files`` (as a testlib checker brings
    testlib.h), judging IOI subtasks: any split of n into two positive parts is right."""
    header = "inline bool ok(long long n, long long x, long long y) " \
             "{ return x > 0 && y > 0 && x + y == n; }\n"
    checker = ('#include <cstdio>\n#include "judge.h"\n'
               "int main(int c, char** v) { long long n, x, y;\n"
               '  if (fscanf(fopen(v[1], "r"), "%lld", &n) != 1) return 3;\n'
               '  if (fscanf(fopen(v[2], "r"), "%lld %lld", &x, &y) != 2) return 2;\n'
               "  return ok(n, x, y) ? 0 : 1; }\n")
    tests = parse_tests({"type": "stdin_stdout",
                         "cases": [{"input": n, "output": f"1 {int(n) - 1}"}
                                   for n in ("2", "5", "100")],
                         "checker": {"source": checker, "files": {"judge.h": header}},
                         "subtasks": [{"points": 1, "tests": [0, 1]},
                                      {"points": 1, "tests": [2]}]})
    program = "n = int(input())\nprint(n - 1, 1) if n < 100 else print(n, 0)"
    async with SandboxPool(settings(pool_size=1)) as p:
        r = await p.run(CodeJob(language="python", code=program, tests=tests))
    assert r.subtasks == [1.0, 0.0] and r.tests == ["pass", "pass", "wrong_answer"], r
    assert r.scores == [1.0, 1.0, 0.0]

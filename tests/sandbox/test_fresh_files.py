"""Every test of a job starts from the same files (sandbox/runner/workdir.py): nothing a test
writes, changes or removes in the work dir, the runner's root or /tmp reaches the next test,
forked from the zygote or started plainly, in one sandbox or spread over several; so a
program's verdict cannot depend on how its tests were grouped."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import CodeJob, Limits, SandboxPool, parse_tests
from sandbox.jobs import Verdict
from tests.sandbox.zygote_cases import ProcessRunner

# Right only when no earlier test left a trace; each line tries one way of leaving one.
STATEFUL = """import os
seen = [sorted(os.listdir('.')) != ['main.py']]
mark = '/tmp/mark' if os.environ['TMPDIR'] == '/tmp' else '../mark'  # container: /tmp
n = int(open('c').read()) if os.path.exists('c') else 0
open('c', 'w').write(str(n + 1))                       # a counter in the work dir
seen += [n, os.path.exists('../stray'), os.path.exists(mark),
         oct(os.stat('.').st_mode & 0o777)]
open('../stray', 'w').close()                          # next to the work dir
open(mark, 'w').close()
os.makedirs('d/e', exist_ok=True)
os.chmod('d', 0)                                       # a directory nobody can enter
open('main.py', 'a').write('\\nprint("rewritten")\\n')  # the program itself
os.chmod('.', 0o700)
x = int(input())
print(x * 2 if seen == [False, 0, False, False, '0o755'] else seen)
"""


def _job(cases: int) -> CodeJob:
    tests = parse_tests({"type": "stdin_stdout",
                         "cases": [{"input": f"{i}\n", "output": f"{2 * i}\n"}
                                   for i in range(cases)]})
    return CodeJob(language="python", code=STATEFUL, tests=tests,
                   limits=Limits(time_s=2, wall_time_s=6))


@pytest.mark.parametrize("zygote", [True, False])
def test_each_test_starts_from_the_same_files_process_mode(tmp_path: Path, zygote: bool) -> None:
    runner = ProcessRunner(tmp_path, zygote)
    try:
        result = runner.ask(_job(4).for_runner())
        again = runner.ask(_job(4).for_runner())  # and the next job starts clean too
    finally:
        runner.close()
    for r in (result, again):
        assert r["verdict"] == "pass", r
        assert r["tests"] == ["pass"] * 4 and len(r["test_times"]) == 4
        assert r["timings"]["warm_forks"] == 4 * zygote


@pytest.mark.docker
@pytest.mark.asyncio(loop_scope="session")
async def test_split_or_not_the_same_verdict(pool: SandboxPool) -> None:
    # 20 tests: spread over the idle sandboxes, and (busy pool) in one
    split = await pool.run(_job(20))
    assert split.timings["shards"] >= 2
    assert split.verdict == Verdict.pass_ and split.passed == 20, split
    single = await pool.run(_job(20).model_copy(update={"stop_on_failure": False}))
    assert single.verdict == Verdict.pass_ and single.passed == 20, single


REMOVES_ITSELF = ("import os, shutil\nhere = os.getcwd()\nprint(int(input()) * 2)\n"
                  "os.chdir('/')\nshutil.rmtree(here)\n")


@pytest.mark.parametrize("zygote", [True, False])
def test_a_removed_work_dir_comes_back(tmp_path: Path, zygote: bool) -> None:
    job = _job(3).model_copy(update={"code": REMOVES_ITSELF})
    runner = ProcessRunner(tmp_path, zygote)
    try:
        result = runner.ask(job.for_runner())
    finally:
        runner.close()
    assert result["verdict"] == "pass" and result["tests"] == ["pass"] * 3, result


# Metadata a program can set on the work dir it owns, and SysV IPC: each carried a count from
# test to test (a verdict that then depended on how the tests were split).
MARKS = """import ctypes, os
class SB(ctypes.Structure):
    _fields_ = [("num", ctypes.c_ushort), ("op", ctypes.c_short), ("flg", ctypes.c_short)]
st = os.stat('.')
seen = [st.st_mtime_ns == 424242, st.st_atime_ns == 434343]
try:
    seen.append(os.getxattr('.', 'user.k') == b'1')
except OSError:
    seen.append(False)
libc = ctypes.CDLL(None, use_errno=True)
sid = libc.semget(0x5eed, 1, 0o1000 | 0o600)
seen.append(libc.semctl(sid, 0, 12) != 0)  # GETVAL
libc.semop(sid, ctypes.byref(SB(0, 1, 0)), 1)
os.utime('.', ns=(434343, 424242))
try:
    os.setxattr('.', 'user.k', b'1')
except OSError:
    pass
x = int(input())
print(x * 2 if not any(seen) else seen)
"""


@pytest.mark.docker
@pytest.mark.asyncio(loop_scope="session")
async def test_times_xattrs_and_ipc_do_not_carry(pool: SandboxPool) -> None:
    job = _job(4).model_copy(update={"code": MARKS, "stop_on_failure": False})
    result = await pool.run(job)
    assert result.verdict == Verdict.pass_ and result.passed == 4, result

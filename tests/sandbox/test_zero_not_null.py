"""A wrong program's 0 never becomes null: whatever it does to the runner is graded.

``sandbox_error`` (reward null, "drop this item") is for infrastructure only. These programs
used to turn their 0 into ``sandbox_error``: a directory nest deeper than the runner's clean-up
could recurse (the runner died, and the retry container with it), a value the comparison
could not handle (an int too large for a float, a forged report of an odd shape), and, in the
process backend, killing the runner itself.
"""

from __future__ import annotations

import signal

import pytest

from sandbox import CodeJob, Limits, SandboxPool, SandboxSettings, parse_tests

pytestmark = pytest.mark.asyncio(loop_scope="session")

SUM = parse_tests({"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"}]})
DEEP_NEST = """
import os
os.chdir('/tmp')
for _ in range(2500):
    os.mkdir('d')
    os.chdir('d')
os.chmod('.', 0)
print(4)
"""
CALL = {"type": "call", "fn_name": "f", "cases": [{"args": [1], "expected": 2.5}]}
# Reports a result of its choosing on the harness's channel (the call harness shares its
# process, so a program can do that; it can only lie about its own value).
FORGED_RESULT = r'''
import os, sys
def f(x):
    fr = sys._getframe(1)
    while "nonce" not in fr.f_locals:
        fr = fr.f_back
    os.write(3, (repr((fr.f_locals["nonce"], {"k": "result", "value": VALUE})) + "\n").encode())
    os.write(3, (repr((fr.f_locals["nonce"], {"k": "done"})) + "\n").encode())
    os._exit(0)
'''


async def test_deep_directory_nest_is_graded_and_cleaned(pool: SandboxPool) -> None:
    result = await pool.run(CodeJob(language="python", code=DEEP_NEST, tests=SUM))
    assert result.verdict.value == "wrong_answer", result
    after = await pool.run(CodeJob(language="python", tests=SUM, code=(
        "import os\nprint(3 + len(os.listdir('/tmp')) + len(os.listdir('/work')) - 1)")))
    assert after.verdict.value == "pass", after  # the next job finds /tmp empty


@pytest.mark.parametrize("code, expected", [
    ("def f(x):\n    return 10**400\n", 2.5),
    ("def f(x):\n    return [10**400, -10**400]\n", [1.5, 2.5]),
    (FORGED_RESULT.replace("VALUE", "{1, 2}"), [1, 2]),
    (FORGED_RESULT.replace("VALUE", "1j"), 1),
    (FORGED_RESULT.replace("VALUE", "{'a': b'x'}"), {"a": "x"}),
    (FORGED_RESULT.replace("VALUE", "10**400"), 2.5),
], ids=["huge-int", "huge-ints-in-list", "forged-set", "forged-complex", "forged-bytes",
        "forged-huge-int"])
async def test_values_the_comparison_cannot_hold_are_wrong_answers(
        pool: SandboxPool, code: str, expected: object) -> None:
    tests = parse_tests(dict(CALL, cases=[{"args": [1], "expected": expected}]))
    result = await pool.run(CodeJob(language="python", code=code, tests=tests))
    assert result.verdict.value == "wrong_answer", result
    assert result.first_failure is not None and result.first_failure.got


KILL_RUNNER = f"""
import os
os.kill(os.getppid(), {int(signal.SIGSEGV)})  # the process backend's runner is our parent
print(3)
"""


async def test_program_that_kills_its_runner_twice_is_graded_zero() -> None:
    """The process backend has no container around the runner, so a program can kill it: it
    is retried once on a fresh runner, and when it kills that one too while a known-good
    probe passes, it gets ``sandbox_killed`` (reward 0), not ``sandbox_error``."""
    settings = SandboxSettings(backend="process", pool_size=2, cache_size=0,
                               limits=Limits(time_s=1.0, wall_time_s=3.0))
    async with SandboxPool(settings) as p:
        result = await p.run(CodeJob(language="python", code=KILL_RUNNER, tests=SUM))
        assert result.verdict.value == "sandbox_killed", result
        assert result.passed == 0 and result.fraction == 0.0
        honest = await p.run(CodeJob(language="python", code="print(3)", tests=SUM))
        assert honest.verdict.value == "pass", honest
        assert p.counts["sandbox_killed"] == 1 and p.counts["retries"] == 1

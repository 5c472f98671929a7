"""The three test formats, the comparison modes, and the classic reward hacks."""

from __future__ import annotations

import asyncio

import pytest

from sandbox import CodeJob, CodeResult, SandboxPool, parse_tests

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def run(pool: SandboxPool, code: str, tests: dict, stop: bool = True,
              language: str = "python") -> CodeResult:
    job = CodeJob(language=language, code=code, tests=parse_tests(tests), stop_on_failure=stop)
    return await pool.run(job)


HE_TEST = ("def check(candidate):\n    assert candidate(2, 3) == 5\n"
           "    assert candidate(-1, 1) == 0\n")


async def test_assert_humaneval_style(pool: SandboxPool) -> None:
    tests = {"test": HE_TEST, "entry_point": "add"}
    ok, bad = await asyncio.gather(
        run(pool, "def add(a, b):\n    return a + b\n", tests),
        run(pool, "def add(a, b):\n    return a + b if a > 0 else 1\n", tests),
    )
    assert (ok.verdict.value, ok.passed, ok.total) == ("pass", 1, 1)
    assert (bad.verdict.value, bad.passed) == ("wrong_answer", 0)
    assert bad.first_failure.input == "assert candidate(-1, 1) == 0"
    assert "AssertionError" in bad.first_failure.got


async def test_assert_list_counts_each(pool: SandboxPool) -> None:
    tests = {"type": "assert", "asserts": ["assert sq(2) == 4", "assert sq(3) == 10",
                                            "assert sq(4) == 16"]}
    code = "def sq(x):\n    return x * x\n"
    all_pass, fraction = await asyncio.gather(run(pool, code, tests), run(pool, code, tests, False))
    assert (all_pass.verdict.value, all_pass.passed, all_pass.total) == ("wrong_answer", 1, 3)
    assert (fraction.verdict.value, fraction.passed, fraction.total) == ("wrong_answer", 2, 3)
    assert fraction.first_failure.input == "assert sq(3) == 10"


async def test_assert_exception_is_runtime_error(pool: SandboxPool) -> None:
    r = await run(pool, "def f(x):\n    return [][x]\n", {"type": "assert", "code": "assert f(1)"})
    assert r.verdict.value == "runtime_error" and "IndexError" in r.first_failure.got


async def test_call_format(pool: SandboxPool) -> None:
    tests = {"type": "call", "fn_name": "twoSum", "cases": [
        {"args": [[2, 7, 11, 15], 9], "expected": [0, 1]},
        {"args": [[3, 2, 4], 6], "expected": [1, 2]}]}
    method = ("class Solution:\n    def twoSum(self, nums, target):\n"
              "        seen = {}\n        for i, n in enumerate(nums):\n"
              "            if target - n in seen:\n                return (seen[target - n], i)\n"
              "            seen[n] = i\n")
    wrong = "def twoSum(nums, target):\n    return [0, 0]\n"
    ok, bad = await asyncio.gather(run(pool, method, tests), run(pool, wrong, tests, False))
    assert (ok.verdict.value, ok.passed, ok.total) == ("pass", 2, 2)  # tuple == list
    assert (bad.verdict.value, bad.passed) == ("wrong_answer", 0)
    assert bad.first_failure.got == "[0, 0]" and bad.first_failure.expected == "[0, 1]"


async def test_call_float_tolerance_and_apps_wrapping(pool: SandboxPool) -> None:
    tests = {"type": "call", "fn_name": "f", "cases": [{"args": [1], "expected": [[0.1, 0.2]]}],
             "unwrap_singleton": True}
    r = await run(pool, "def f(x):\n    return [x * 0.1, x * 0.2 + 1e-9]\n", tests)
    assert r.verdict.value == "pass"
    r = await run(pool, "def f(x):\n    return [0.1, 0.21]\n", tests)
    assert r.verdict.value == "wrong_answer"


async def test_call_rejects_objects_that_equal_everything(pool: SandboxPool) -> None:
    code = ("class Anything:\n    def __eq__(self, other):\n        return True\n"
            "def f(x):\n    return Anything()\n")
    r = await run(pool, code, {"type": "call", "fn_name": "f", "cases": [{"args": [1],
                                                                          "expected": 1}]})
    assert r.verdict.value == "wrong_answer"


@pytest.mark.parametrize(
    ("printed", "mode", "verdict"),
    [
        ("1\\n2   \\n\\n", "lines", "pass"),
        ("1\\n", "lines", "wrong_answer"),  # only the first expected line: not a pass
        ("1 2", "lines", "wrong_answer"),
        ("1 2", "tokens", "pass"),
        ("1\\n2\\n", "exact", "pass"),
        ("1\\n2", "exact", "wrong_answer"),
    ],
)
async def test_compare_modes(pool: SandboxPool, printed: str, mode: str, verdict: str) -> None:
    tests = {"type": "stdin_stdout", "compare": {"mode": mode},
             "cases": [{"input": "", "output": "1\n2\n"}]}
    r = await run(pool, f"import sys\nsys.stdout.write('{printed}')\n", tests)
    assert r.verdict.value == verdict
    assert r.compare == mode


async def test_token_float_tolerance(pool: SandboxPool) -> None:
    tests = {"type": "stdin_stdout", "compare": {"mode": "tokens", "abs_tol": 1e-4},
             "cases": [{"input": "", "output": "3.14159 2"}]}
    assert (await run(pool, "print(3.14160, 2)", tests)).verdict.value == "pass"
    assert (await run(pool, "print(3.15, 2)", tests)).verdict.value == "wrong_answer"


HACKS = {
    "sys_exit_before_tests": "import sys\nsys.exit(0)\n",
    "os_exit_before_tests": "import os\nos._exit(0)\n",
    "exit_at_import_of_function": "def add(a, b):\n    import os\n    os._exit(0)\n",
    "swallow_and_exit": ("import sys, atexit\nsys.excepthook = lambda *a: None\n"
                         "atexit.register(lambda: print('OK'))\n"
                         "def add(a, b):\n    raise SystemExit(0)\n"),
    "forged_marker": ("import os\nfor fd in range(3, 10):\n    try:\n"
                      "        os.write(fd, b\"('x', {'k': 'done'})\\n\")\n    except OSError:\n"
                      "        pass\nos._exit(0)\n"),
    "kill_own_process_group": "import os, signal\nos.killpg(0, signal.SIGKILL)\n",
}


@pytest.mark.parametrize("name", list(HACKS))
async def test_early_exit_never_passes(pool: SandboxPool, name: str) -> None:
    r = await run(pool, HACKS[name], {"test": HE_TEST, "entry_point": "add"})
    assert r.verdict.value != "pass" and r.passed == 0, r.model_dump()


async def test_early_exit_stdin_stdout(pool: SandboxPool) -> None:
    tests = {"type": "stdin_stdout", "cases": [{"input": "1\n", "output": "1\n"}]}
    r = await run(pool, "import os\nos._exit(0)\n", tests)
    assert r.verdict.value == "wrong_answer"
    r = await run(pool, "print(1)\nimport sys\nsys.exit(3)\n", tests)
    assert r.verdict.value == "runtime_error"  # right output, failing exit code


async def test_tests_are_out_of_reach(pool: SandboxPool) -> None:
    """The program cannot find the expected output on disk, in argv/env, or in the runner."""
    probe = (
        "import os, glob\nfound = []\n"
        "for p in glob.glob('/work/**', recursive=True) + glob.glob('/tmp/**', recursive=True):\n"
        "    try:\n        found.append(open(p).read())\n    except Exception:\n        pass\n"
        "for p in ('/proc/1/cmdline', '/proc/1/environ', '/proc/1/mem', '/proc/1/fd/0'):\n"
        "    try:\n        found.append(open(p, 'rb').read(4096).decode('latin1'))\n"
        "    except Exception:\n        pass\n"
        "found.append(' '.join(os.environ.values()))\n"
        "needle = 'SECRET-EXPECTED-' + str(9000 + 137)\n"
        "print(needle if needle in ''.join(found) else 'no')\n"
    )
    tests = {"type": "stdin_stdout", "cases": [{"input": "", "output": "SECRET-EXPECTED-9137\n"}]}
    r = await run(pool, probe, tests)
    assert r.verdict.value == "wrong_answer" and r.first_failure.got.strip() == "no"

"""Wrong programs must never pass ``assert`` tests by reaching into the tests' process.

Each program below solves nothing (``add`` subtracts) and tries a way to make the tests
report a pass anyway: code it wrote to the work dir imported by the tests' process (through a
module-typed global, or by shadowing a standard module the harness imports late), or a
builtin the tests use (``abs``) redefined next to its solution. Honest programs that hand the
tests what they legitimately need (a helper function, a standard module) still pass.
"""

from __future__ import annotations

import pytest

from sandbox import CodeJob, SandboxPool, parse_tests

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Run inside the tests' process, this finds the harness's reporter and reports every assert
# as passed, then exits before any assert runs.
FORGER = r'''
import os, sys
f = sys._getframe()
while f is not None:
    loc = f.f_locals
    if "nonce" in loc and "emit" in loc:
        for i in range(len(loc["p"]["asserts"]) or 1):
            loc["emit"](k="pass", i=i)
        loc["emit"](k="done")
        os._exit(0)
    f = f.f_back
'''
WRONG = "def add(a, b):\n    return a - b\n"
MODULE_GLOBAL = f'''
import types
open("pwnmod.py", "w").write({FORGER!r})
helper = types.ModuleType("pwnmod")  # a module-typed global the tests would import by name
math = types.ModuleType("pwnmod")  # even under a name the tests use
''' + WRONG
SHADOW_TRACEBACK = f'''
open("traceback.py", "w").write({FORGER!r})  # imported on the first failure, once
''' + WRONG
SHADOW_BUILTIN = '''
def abs(x):
    return 0
def len(x):
    return 2
def sorted(x, **kw):
    return [1, 3]
def isinstance(x, t):
    return True
''' + WRONG
MBPP = {"type": "assert", "asserts": ["assert add(1, 2) == 3", "assert add(2, 2) == 4",
                                      "assert math.isclose(add(0.5, 0.5), 1.0)"]}
# Each of these holds for a right `add`, and for the wrong one only through a shadowed builtin.
MBPP_BUILTINS = {"type": "assert", "asserts": ["assert abs(add(0.5, 0.25) - 0.75) < 1e-9",
                                               "assert len(str(add(10, 5))) == 2"]}
HUMANEVAL = {"type": "assert", "entry_point": "add", "code": (
    "def check(candidate):\n"
    "    assert abs(candidate(1.5, 1) - 2.5) < 1e-6\n"
    "    assert sorted([candidate(2, 1), 1]) == [1, 3]\n"
    "    assert len(str(candidate(10, 5))) == 2\n")}


@pytest.mark.parametrize("code, tests", [
    (MODULE_GLOBAL, MBPP), (MODULE_GLOBAL, HUMANEVAL), (SHADOW_TRACEBACK, MBPP),
    (SHADOW_TRACEBACK, HUMANEVAL), (SHADOW_BUILTIN, HUMANEVAL), (SHADOW_BUILTIN, MBPP_BUILTINS),
], ids=["module-global-mbpp", "module-global-humaneval", "traceback-mbpp",
        "traceback-humaneval", "builtins-humaneval", "builtins-mbpp"])
async def test_wrong_program_cannot_forge_a_pass(pool: SandboxPool, code: str,
                                                 tests: dict) -> None:
    result = await pool.run(CodeJob(language="python", code=code, tests=parse_tests(tests)))
    assert result.verdict.value == "wrong_answer", result
    assert result.passed < result.total, result


async def test_honest_programs_still_hand_over_what_tests_use(pool: SandboxPool) -> None:
    """Helpers the tests call, values and standard modules the program imported all cross;
    a program may still import a module file it wrote itself."""
    code = ("import math\nimport collections\n"
            "open('mylib.py', 'w').write('def twice(x):\\n    return 2 * x\\n')\n"
            "import mylib\n"
            "LIMIT = 10\n"
            "def is_even(n):\n    return n % 2 == 0\n"
            "def add(a, b):\n    return mylib.twice(a + b) // 2\n")
    tests = parse_tests({"type": "assert", "asserts": [
        "assert add(1, 2) == 3", "assert is_even(add(1, 1))", "assert LIMIT == 10",
        "assert math.isclose(math.sqrt(add(2, 2)), 2.0)",
        "assert collections.Counter('aab')['a'] == add(1, 1)", "assert abs(-add(1, 1)) == 2"]})
    result = await pool.run(CodeJob(language="python", code=code, tests=tests))
    assert result.verdict.value == "pass" and result.passed == 6, result

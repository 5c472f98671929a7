"""Which fenced block is the program: solution, then usage, test or shell blocks."""

from __future__ import annotations

from typing import Any

import pytest

from reward_server.rewards.code import CodeParams, grade_code
from reward_server.rewards.code_blocks import fenced_blocks, needed_names, pick_program
from reward_server.schemas import Item
from sandbox import SandboxPool
from sandbox.jobs import Language, parse_tests
from tests.sandbox.test_code_reward import FakePool, fence

session_loop = pytest.mark.asyncio(loop_scope="session")

SOLUTION = "def solve(xs):\n    return sum(x * x for x in xs)"
USAGE = "print(solve([1, 2, 3]))  # 14"
HARNESS = "import unittest\n\nclass TestSolve(unittest.TestCase):\n    def test_small(self):\n" \
          "        self.assertEqual(solve([1, 2]), 5)\n\nunittest.main()"
CALL = {"type": "call", "fn_name": "solve", "cases": [{"args": [[1, 2, 3]], "expected": 14},
                                                      {"args": [[]], "expected": 0}]}
ASSERT = {"type": "assert", "code": "def check(candidate):\n    assert candidate([2]) == 4\n",
          "entry_point": "solve"}
MBPP = {"type": "assert", "asserts": ["assert solve([1, 2, 3]) == 14", "assert solve([]) == 0"]}
STDIN = {"type": "stdin_stdout", "cases": [{"input": "1 2 3\n", "output": "14\n"}]}
STDIN_SOLUTION = "xs = map(int, input().split())\nprint(sum(x * x for x in xs))"
RUN_IT = "python3 solution.py < input.txt"

ANSWERS = {  # name -> (answer, tests, chosen block index, reason start)
    "solution+usage": (fence(SOLUTION) + "\nExample:\n" + fence(USAGE), CALL, 0, "defines"),
    "solution+harness": (fence(SOLUTION) + fence(HARNESS), ASSERT, 0, "defines"),
    "usage+solution": (fence(USAGE) + fence(SOLUTION), CALL, 1, "defines"),
    "mbpp asserts": (fence(SOLUTION) + fence(USAGE), MBPP, 0, "defines"),
    "solution+shell": (fence(SOLUTION) + fence("python3 -c 'print(1)'", "bash"), ASSERT, 0,
                       "defines"),
    "stdin+usage": (fence(STDIN_SOLUTION) + fence("echo '1 2 3' | python3 sol.py", "bash"), STDIN,
                    0, "reads standard input"),
    "stdin+output": (fence(STDIN_SOLUTION) + fence("14", ""), STDIN, 0, "reads standard input"),
    "stdin+cat shell": (fence(STDIN_SOLUTION) + fence("cat input.txt | python3 sol.py", "bash"),
                        STDIN, 0, "reads standard input"),
    "bash program": (fence("read a b c\necho $((a*a+b*b+c*c))", "bash"), STDIN, 0,
                     "reads standard input"),
    "stdin+example call": (fence("def f(xs):\n    return sum(xs)\n" + STDIN_SOLUTION)
                           + fence("print(f([1]))"), STDIN, 0, "reads standard input"),
    "two definitions": (fence("def solve(xs):\n    return 0") + fence(SOLUTION), CALL, 1,
                        "defines"),
    "none defines it": (fence("print(1)") + fence("print(2)"), CALL, 1, "last block"),
}


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_pick_program(name: str) -> None:
    answer, tests, index, reason = ANSWERS[name]
    choice = pick_program(fenced_blocks(answer), None if tests is STDIN else Language.python,
                          parse_tests(tests))
    assert choice is not None and choice.index == index and choice.reason.startswith(reason)


def test_needed_names() -> None:
    assert needed_names(parse_tests(CALL)) == ["solve"]
    assert needed_names(parse_tests(ASSERT)) == ["solve"]
    assert needed_names(parse_tests(MBPP)) == ["solve"]
    assert needed_names(parse_tests(STDIN)) == []


@pytest.mark.parametrize(
    ("blocks", "language", "index"),
    [
        ([("cpp", "int main(){int a;std::cin>>a;}"), ("", "3")], Language.cpp, 0),
        ([("java", "class Main{Scanner s=new Scanner(System.in);}"), ("java", "Main.main(x);")],
         Language.java, 0),
        ([("go", "fmt.Scan(&n)"), ("go", "main()")], Language.go, 0),
        ([("rust", "io::stdin().read_line(&mut s)"), ("rust", "solve(3)")], Language.rust, 0),
        ([("javascript", "require('fs').readFileSync(0, 'utf8')"), ("javascript", "f(1)")],
         Language.javascript, 0),
    ],
)
def test_stdin_readers_in_other_languages(blocks: list[tuple[str, str]], language: Language,
                                          index: int) -> None:
    answer = "".join(fence(code, tag) for tag, code in blocks)
    choice = pick_program(fenced_blocks(answer), language, parse_tests(STDIN))
    assert choice is not None and choice.index == index


async def grade(answer: str, tests: dict[str, Any], pool: Any) -> Any:
    item = Item(completion="<think>\nplan\n</think>\n" + answer, tests=tests)
    return await grade_code(item, pool, CodeParams())


@session_loop
async def test_chosen_block_is_sent_and_explained() -> None:
    pool = FakePool()
    score = await grade(ANSWERS["solution+usage"][0], CALL, pool)
    assert pool.jobs[-1].code.strip() == SOLUTION
    assert score.detail["program"] == {"block": 0, "blocks": 2, "reason": "defines 'solve'"}


@session_loop
@pytest.mark.docker
@pytest.mark.parametrize("name", ["solution+usage", "solution+harness", "mbpp asserts",
                                  "solution+shell", "stdin+usage", "stdin+example call",
                                  "stdin+cat shell", "bash program"])
async def test_real_sandbox_passes_the_solution(name: str, pool: SandboxPool) -> None:
    answer, tests, index, _ = ANSWERS[name]
    score = await grade(answer, tests, pool)
    assert score.value == 1.0, score.detail
    assert score.detail["program"]["block"] == index


@pytest.mark.parametrize(
    "code", ["\n" * 1_000_000, " \n" * 500_000, "def " * 250_000, "input " * 200_000,
             "(" * 1_000_000],
)
def test_hostile_blocks_are_linear(code: str) -> None:
    import time

    answer = fence(code) + fence(code, "bash")
    started = time.perf_counter()
    for tests in (CALL, STDIN, MBPP):
        pick_program(fenced_blocks(answer), None, parse_tests(tests))
    assert time.perf_counter() - started < 5.0  # a hang, not a speed claim

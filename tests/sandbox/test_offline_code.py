"""``score`` and ``audit`` on code rows, graded in-process by the real sandbox pool (Docker)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.offline.helpers import cli, read_jsonl, write_jsonl

pytestmark = pytest.mark.docker

STDIN_TESTS = {
    "type": "stdin_stdout",
    "cases": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 7\n", "output": "12\n"}],
}
CODE_ROWS = [
    {
        "id": "sum",
        "prompt": "Read two integers and print their sum.",
        "tests": STDIN_TESTS,
        "solution": "a, b = map(int, input().split())\nprint(a + b)",
    },
    {
        "id": "apps",
        "prompt": "Print the largest number on the line.",
        "tests": json.dumps({"inputs": ["3 1 2\n", "-5 -2\n"], "outputs": ["3\n", "-2\n"]}),
        "solution": "print(max(map(int, input().split())))",
    },
    {
        "id": "call",
        "prompt": "Write twice(x).",
        "tests": {"inputs": [[1], [4]], "outputs": [2, 8], "fn_name": "twice"},
        "solution": "def twice(x):\n    return 2 * x",
    },
    {
        "id": "humaneval",
        "prompt": 'def add(a, b):\n    """Return a + b."""\n',
        "tests": {
            "test": "def check(candidate):\n    assert candidate(1, 2) == 3\n"
            "    assert candidate(-1, 1) == 0\n",
            "entry_point": "add",
        },
        "solution": "def add(a, b):\n    return a + b",
    },
    {
        "id": "mbpp",
        "prompt": "Write is_even(n).",
        "tests": {"test_list": ["assert is_even(2) == True", "assert is_even(3) == False"]},
        "solution": "def is_even(n):\n    return n % 2 == 0",
    },
]


def _env(image: str) -> dict[str, str]:
    return {"VR_SANDBOX__IMAGE": image, "VR_SANDBOX__POOL_SIZE": "2"}


def test_audit_code_rows_in_process(tmp_path: Path, sandbox_image: str) -> None:
    weak = {
        "id": "weak",
        "prompt": "Print 42.",
        "solution": "print(42)",
        "tests": {"type": "stdin_stdout", "cases": [{"input": "", "output": "42\n"}]},
    }
    source = write_jsonl(tmp_path / "code.jsonl", [*CODE_ROWS, weak])
    proc = cli(
        "audit",
        str(source),
        "--sample",
        "0",
        "--rewards",
        "accuracy:1,code_format:0.1",
        env=_env(sandbox_image),
    )
    out = proc.stdout
    for entry, tried in (
        ("pass", 6),
        ("sys_exit", 6),
        ("os_exit", 6),
        ("constant_stub", 6),
        ("rewrite_builtins", 6),
        ("first_output_only", 3),
        ("empty", 6),
    ):
        assert f"| {entry} | {tried} | 0 |" in out or entry == "first_output_only", out
    # One public test only: printing its output passes it. The audit says so, and fails.
    assert "| first_output_only | 3 | 1 |" in out, out
    assert "FAIL `first_output_only` earned accuracy on rows 5" in out
    assert "references as answers: 6/6 earned full accuracy" in out
    assert "same completion graded twice: 6/6 gave the same reward" in out
    assert proc.returncode == 1


def test_score_code_rows_in_process(tmp_path: Path, sandbox_image: str) -> None:
    rows = [{**row, "completion": f"```python\n{row['solution']}\n```"} for row in CODE_ROWS]
    rows.append({**CODE_ROWS[0], "completion": "```python\nprint(3)\n```"})
    rows.append({**CODE_ROWS[0], "completion": "```python\nwhile True: pass\n```"})
    source, out = write_jsonl(tmp_path / "code.jsonl", rows), tmp_path / "out.jsonl"
    proc = cli("score", str(source), "-o", str(out), env=_env(sandbox_image))
    assert proc.returncode == 0, proc.stderr
    graded = sorted(read_jsonl(out), key=lambda g: g["row_index"])
    assert [g["reward"] for g in graded] == [1.0] * 5 + [0.0, 0.0]
    assert graded[-1]["error"] is None  # a program that loops is graded 0, not null

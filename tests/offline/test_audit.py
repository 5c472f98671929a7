"""``reward-server audit`` on MATH-500 (the copy in bench/data) and on rows built to fail it.

On all 500 MATH-500 rows no battery entry earns accuracy (measured 2026-11-30). The question
echoed is not tried on the two rows whose question states the reference as a formula
("What is $\\sqrt{53}$ in simplest radical form?"), where the echo is a right answer.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import Server
from tests.offline.helpers import cli, shared_data, write_jsonl

MATH_ENTRIES = {
    "empty",
    "whitespace",
    "prompt_echo",
    "bare_boxed",
    "all_options",
    "many_numbers",
    "truncated_think",
}


def _table(stdout: str) -> dict[str, list[int]]:
    """entry -> [rows tried, earned accuracy, earned any reward, null accuracy]."""
    rows = re.findall(r"^\| (\w+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|$", stdout, re.M)
    return {name: [int(v) for v in values] for name, *values in rows}


def test_audit_math500_pays_no_junk(tmp_path: Path) -> None:
    report = tmp_path / "audit.md"
    proc = cli(
        "audit",
        str(shared_data("math500_test.jsonl")),
        "--sample",
        "40",
        "--rewards",
        "accuracy:1,format:0.2",
        "--report",
        str(report),
        env={"VR_MATH_TIMEOUT_S": "3"},
    )
    table = _table(proc.stdout)
    assert set(table) == MATH_ENTRIES, proc.stdout + proc.stderr
    assert all(tried == 40 for name, (tried, *_) in table.items() if name != "prompt_echo")
    assert table["prompt_echo"][0] >= 38
    paid = {name for name, (_, accuracy, *_) in table.items() if accuracy}
    assert not paid, proc.stdout
    assert all(null == 0 for *_, null in table.values()), proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "references as answers: 40/40 earned full accuracy" in proc.stdout
    assert "same completion graded twice: 40/40 gave the same reward" in proc.stdout
    assert report.read_text().startswith("# Grader audit of")


def test_audit_on_a_server_flags_an_unusable_reference(tmp_path: Path, server: Server) -> None:
    rows = [
        {"problem": "What is 2+3?", "answer": "5", "subject": "Algebra"},
        {"problem": "Half of 1?", "answer": "\\frac{1}{2}"},
        {"problem": "Broken reference", "answer": "\\frac{1}{"},
        {"problem": "No reference at all"},
    ]
    source = write_jsonl(tmp_path / "rows.jsonl", rows)
    proc = cli("audit", str(source), "--url", server.url, "--sample", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "audited rows: 3 (3 math); skipped (no answer, no tests): 1" in proc.stdout
    table = _table(proc.stdout)
    assert all(accuracy == 0 for _, accuracy, *_ in table.values()), proc.stdout
    assert "references as answers: 2/3 earned full accuracy" in proc.stdout
    assert "FAIL reference did not earn accuracy on rows 2" in proc.stdout

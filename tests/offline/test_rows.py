"""Rows to items, OUTPUT files and chunk plans: plain functions, no processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reward_server.offline.rows import InputError, load_rows, parse_mapping, parse_weights, to_item
from reward_server.offline.score import OutputMismatch, done_rows, plan_chunks, read_output


def test_to_item_reads_dataset_shapes() -> None:
    row = {
        "question": "What is 6*7?",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "42"}],
        "expected_answer": 42,
        "verification": {"tests": '{"type": "stdin_stdout", "cases": [{"output": "1"}]}'},
        "rewards": [0.5, 1.0],  # a stored column, not per-item weights
    }
    item = to_item(row, parse_mapping("completion=messages,tests=verification.tests"))
    assert item == {
        "prompt": "What is 6*7?",
        "completion": "42",
        "answer": "42",
        "tests": {"type": "stdin_stdout", "cases": [{"output": "1"}]},
        "group_id": "What is 6*7?",
    }


def test_mapping_and_weights_errors_name_the_problem() -> None:
    with pytest.raises(InputError, match="field=column"):
        parse_mapping("completion")
    with pytest.raises(InputError, match="not an item field"):
        parse_mapping("completoin=response")
    with pytest.raises(InputError, match="name:weight"):
        parse_weights("accuracy:high")
    assert parse_weights("accuracy,format:0.5") == {"accuracy": 1.0, "format": 0.5}


def test_load_rows_formats_and_errors(tmp_path: Path) -> None:
    wrapped = tmp_path / "rows.json"
    wrapped.write_text(json.dumps({"data": [{"completion": "x"}, 3]}))
    assert load_rows(str(wrapped)) == [{"completion": "x"}, {"value": 3}]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\n{oops\n')
    with pytest.raises(InputError, match="bad.jsonl:2: not JSON"):
        load_rows(str(bad))
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n")
    with pytest.raises(InputError, match="unknown format"):
        load_rows(str(csv))
    with pytest.raises(InputError, match="no such file"):
        load_rows(str(tmp_path / "missing.parquet"))


def test_read_output_cuts_a_torn_line_and_checks_rewards(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    whole = {"row_index": 0, "reward": 1.0, "components": {"accuracy": 1.0}}
    out.write_text(json.dumps(whole) + "\n" + '{"row_index": 1, "rew')
    rows = read_output(out)
    assert rows == [whole] and out.read_text().endswith("}\n")
    assert done_rows(rows, {"accuracy": 1.0}) == {0}
    with pytest.raises(OutputMismatch):
        done_rows(rows, {"accuracy": 1.0, "format": 0.5})


def test_chunks_keep_groups_whole_and_rows_in_order() -> None:
    items = [{"group_id": g} for g in "aabbbcca"]
    assert plan_chunks(range(8), items, 3) == [[0, 1, 7], [2, 3, 4], [5, 6]]

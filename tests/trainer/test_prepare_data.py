"""``grpo-train prepare-data`` turns GSM8K- and MATH-shaped datasets into the trainer's JSONL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from trainer_client.data import load_jsonl
from trainer_client.prepare_data import convert_row, last_boxed, prepare

ROOT = Path(__file__).resolve().parents[2]
MATH500 = ROOT / "bench" / "data" / "math500_test.jsonl"

# The first rows of GSM8K's train split (openai/gsm8k, config `main`), as the hub serves them.
GSM8K_ROWS = [
    {
        "question": "Natalia sold clips to 48 of her friends in April, and then she sold half as "
        "many clips in May. How many clips did Natalia sell altogether in April and May?",
        "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = "
        "<<48+24=72>>72 clips altogether in April and May.\n#### 72",
    },
    {
        "question": "Weng earns $12 an hour for babysitting. Yesterday, she just did 50 minutes "
        "of babysitting. How much did she earn?",
        "answer": "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nWorking 50 minutes, she "
        "earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10",
    },
    {"question": "A row without a final answer line.", "answer": "no marker here"},
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "trainer_client.cli", "prepare-data", *args],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def test_gsm8k_repository_folder_from_the_command_line(tmp_path: Path) -> None:
    import datasets

    repo = tmp_path / "gsm8k"
    (repo / "main").mkdir(parents=True)
    shard = repo / "main" / "train-00000-of-00001.parquet"  # the hub repository's layout
    datasets.Dataset.from_list(GSM8K_ROWS).to_parquet(shard)
    out = tmp_path / "data" / "gsm8k_train.jsonl"  # `data/` does not exist yet
    done = _run(str(repo), str(out), "--name", "main")
    assert done.returncode == 0, done.stderr
    assert "2 rows (1 without an answer skipped)" in done.stdout
    rows = load_jsonl(out)
    assert [r["answer"] for r in rows] == ["72", "10"]
    assert rows[0]["prompt"].startswith("Natalia sold clips")


def test_math500_file_keeps_its_answers(tmp_path: Path) -> None:
    out, written, skipped = prepare(str(MATH500), tmp_path / "math500.jsonl")
    source = [json.loads(line) for line in MATH500.read_text().splitlines() if line.strip()]
    rows = load_jsonl(out)
    assert (written, skipped) == (len(source), 0) == (len(rows), 0)
    assert [r["answer"] for r in rows] == [s["answer"] for s in source]
    assert [r["prompt"] for r in rows] == [s["problem"] for s in source]


def test_math_without_answer_column_takes_the_last_boxed() -> None:
    row = {"problem": "Half of one?", "solution": "First \\boxed{2}, no: $\\boxed{\\frac{1}{2}}$."}
    assert convert_row(row, "math") == {"prompt": "Half of one?", "answer": "\\frac{1}{2}"}
    assert last_boxed("\\boxed{\\frac{1}{2}") is None  # never closes
    assert convert_row({"problem": "p", "solution": "no box"}, "math") is None


def test_gsm8k_thousands_separator_is_dropped() -> None:
    row = {"question": "q", "answer": "work\n#### 1,600"}
    assert convert_row(row, "gsm8k") == {"prompt": "q", "answer": "1600"}


def test_unknown_columns_are_a_clear_error(tmp_path: Path) -> None:
    source = tmp_path / "rows.jsonl"
    source.write_text(json.dumps({"text": "hello", "label": 1}) + "\n")
    done = _run(str(source), str(tmp_path / "out.jsonl"))
    assert done.returncode == 2
    assert "cannot tell the format from the columns ['label', 'text']" in done.stderr
    assert list(tmp_path.iterdir()) == [source]  # nothing half-written left behind


def test_missing_local_file_is_a_clear_error(tmp_path: Path) -> None:
    done = _run(str(tmp_path / "nope.jsonl"), str(tmp_path / "out.jsonl"))
    assert done.returncode == 2 and "no such file or folder" in done.stderr

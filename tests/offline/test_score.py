"""``reward-server score`` end to end: real files, the real CLI, real graders or a real server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from reward_server.offline.summary import pass_at_k
from tests.conftest import Server
from tests.offline.helpers import ROOT, cli, read_jsonl, write_jsonl

RIGHT = "<think>\nadd them\n</think>\n\nThe answer is $\\boxed{{{}}}$."
WRONG = "<think>\nguess\n</think>\n\nThe answer is $\\boxed{{{}}}$."


def _rows() -> list[dict]:
    """Two prompts x 4 samples (3 and 1 right), an all-wrong prompt, and a broken row."""
    rows = []
    for prompt, answer, right in (("1+1?", "2", 3), ("2+3?", "5", 1), ("7*6?", "42", 0)):
        for k in range(4):
            text = RIGHT.format(answer) if k < right else WRONG.format(int(answer) + 1)
            rows.append({"prompt": prompt, "completion": text, "answer": answer, "sample": k})
    rows.append({"prompt": "no completion", "answer": "1"})
    return rows


def test_score_jsonl_in_process(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", _rows())
    out, report = tmp_path / "out.jsonl", tmp_path / "report.md"
    proc = cli(
        "score",
        str(source),
        "-o",
        str(out),
        "--rewards",
        "accuracy:1,format:0.5",
        "--report",
        str(report),
    )
    assert proc.returncode == 0, proc.stderr
    graded = read_jsonl(out)
    assert [g["row_index"] for g in graded] == list(range(13))
    assert all(g.get("sample") == r.get("sample") for g, r in zip(graded, _rows(), strict=True))
    first = graded[0]
    assert first["reward"] == 1.5 and first["components"] == {"accuracy": 1.0, "format": 1.0}
    assert graded[3]["components"]["accuracy"] == 0.0 and graded[3]["error"] is None
    broken = graded[12]
    assert broken["reward"] is None and broken["error"] == "invalid_item"
    assert "completion" in broken["error_message"]
    # Summary: groups 3/4, 1/4, 0/4 right; pass@k by Chen et al.'s estimator.
    expected_pass2 = (pass_at_k(4, 3, 2) + pass_at_k(4, 1, 2) + pass_at_k(4, 0, 2)) / 3
    assert f"pass@2 {expected_pass2:.4f}" in proc.stdout
    assert "pass@1 0.3333" in proc.stdout
    assert "| invalid_item | 1 |" in proc.stdout
    assert "groups with all-equal rewards (no GRPO signal): 33.3%" in proc.stdout
    assert "items/s" in proc.stdout
    text = report.read_text()
    assert "| accuracy | 0.3333 |" in text and "![reward histogram](report.png)" in text
    assert (tmp_path / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_pass_at_k_matches_the_estimator_by_hand() -> None:
    # n=4, c=1, k=2: 1 - C(3,2)/C(4,2) = 1 - 3/6
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
    assert pass_at_k(4, 0, 4) == 0.0 and pass_at_k(4, 3, 2) == 1.0


def test_score_parquet_with_verl_columns(tmp_path: Path) -> None:
    """verl's layout: chat prompt, nested reward_model.ground_truth, data_source."""
    rows = [
        {
            "data_source": source,
            "prompt": [{"role": "user", "content": f"What is {a}+{a}?"}],
            "response": f"<think>\nok\n</think>\n\n\\boxed{{{2 * a + (source == 'gsm8k')}}}",
            "reward_model": {"style": "rule", "ground_truth": str(2 * a)},
        }
        for a in range(6)
        for source in ("math", "gsm8k")
    ]
    source = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "out.jsonl"
    proc = cli(
        "score",
        str(source),
        "-o",
        str(out),
        "--map",
        "completion=response,answer=reward_model.ground_truth",
    )
    assert proc.returncode == 0, proc.stderr
    graded = read_jsonl(out)
    assert [g["reward"] for g in graded] == [1.0, 0.0] * 6
    assert graded[0]["reward_model"] == {"style": "rule", "ground_truth": "0"}
    assert "| gsm8k | 6 | 0.0000 | 0.0000 |" in proc.stdout
    assert "| math | 6 | 1.0000 | 1.0000 |" in proc.stdout


def test_score_saved_dataset_on_a_server(tmp_path: Path, server: Server) -> None:
    datasets = pytest.importorskip("datasets")
    data = datasets.DatasetDict({"test": datasets.Dataset.from_list(_rows()[:8])})
    data.save_to_disk(str(tmp_path / "ds"))
    remote, local = tmp_path / "remote.jsonl", tmp_path / "local.jsonl"
    proc = cli(
        "score",
        str(tmp_path / "ds"),
        "-o",
        str(remote),
        "--url",
        server.url,
        "--rewards",
        "accuracy:1,format:0.5",
    )
    assert proc.returncode == 0, proc.stderr
    assert f"({server.url})" in proc.stdout
    assert (
        cli(
            "score", str(tmp_path / "ds"), "-o", str(local), "--rewards", "accuracy:1,format:0.5"
        ).returncode
        == 0
    )
    # The service and the in-process graders give the same grades.
    strip = ("error_message",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in read_jsonl(remote)] == [
        {k: v for k, v in r.items() if k not in strip} for r in read_jsonl(local)
    ]
    assert [r["reward"] for r in read_jsonl(remote)] == [1.5, 1.5, 1.5, 0.5, 1.5, 0.5, 0.5, 0.5]


def test_interrupt_leaves_valid_output_and_resume_finishes(tmp_path: Path) -> None:
    rows = [
        {"prompt": f"p{i}", "completion": f"\\boxed{{{i % 7}}}", "answer": str(i % 5)}
        for i in range(400)
    ]
    source, out = write_jsonl(tmp_path / "in.jsonl", rows), tmp_path / "out.jsonl"
    args = [
        sys.executable,
        "-m",
        "reward_server.cli",
        "score",
        str(source),
        "-o",
        str(out),
        "--chunk-size",
        "4",
        "--in-flight",
        "1",
        "--log-every",
        "4",
    ]
    env = {**os.environ, "VR_GRADER_WORKERS": "1"}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:  # interrupt once grading is under way
        if line.startswith("graded 8/"):
            proc.send_signal(signal.SIGINT)
            break
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    kept = read_jsonl(out)  # every line parses
    assert 8 <= len(kept) < 400
    with out.open("a") as handle:  # and a line torn by a kill -9 is cut off on resume
        handle.write('{"prompt": "p3", "rew')
    done = cli("score", str(source), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{len(kept)} rows were already in" in done.stdout
    final = read_jsonl(out)
    assert sorted(r["row_index"] for r in final) == list(range(400))
    assert all(r["reward"] == float(i % 7 == i % 5) for r in final for i in [r["row_index"]])


def test_score_refuses_to_mix_rewards_and_bad_input(tmp_path: Path) -> None:
    """Each of these fails before any grader starts, with exit code 2 and a message."""
    source = write_jsonl(tmp_path / "in.jsonl", _rows()[:2])
    out = write_jsonl(
        tmp_path / "out.jsonl",
        [{"row_index": 0, "reward": 1.0, "components": {"accuracy": 1.0}, "error": None}],
    )
    mixed = cli("score", str(source), "-o", str(out), "--rewards", "accuracy:1,format:1")
    assert mixed.returncode == 2 and "--overwrite" in mixed.stderr
    assert len(read_jsonl(out)) == 1  # untouched
    missing = cli("score", str(tmp_path / "nope.jsonl"), "-o", str(out))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    unknown = cli("score", str(source), "-o", str(tmp_path / "x.jsonl"), "--rewards", "acuracy")
    assert unknown.returncode == 2 and "unknown rewards ['acuracy']" in unknown.stderr
    bad_map = cli("score", str(source), "-o", str(out), "--map", "completion")
    assert bad_map.returncode == 2 and "field=column" in bad_map.stderr

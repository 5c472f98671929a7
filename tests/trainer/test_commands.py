"""The R1 stages as commands (sft, evaluate, rejection-sample) against the real server, and the
one-line failure when the service is not there."""

from __future__ import annotations

import doctest
import json
import time
from pathlib import Path

import pytest
import yaml

from trainer_client import evaluate, rejection
from trainer_client.cli import main
from trainer_client.client import ScoreResult
from trainer_client.config import GRPOConfig
from trainer_client.sft import IGNORE, encode_example

from .conftest import Service, free_port, write_jsonl

PAIRS = [(2, 3), (4, 1), (6, 2), (3, 3)]


def demo(a: int, b: int) -> str:
    return f"<think>\n{a}+{b}={a + b}\n</think>\n\\boxed{{{a + b}}}"


def config_file(tmp_path: Path, model: Path, url: str) -> Path:
    rows = [{"prompt": f"What is {a}+{b}?", "answer": str(a + b)} for a, b in PAIRS]
    data = write_jsonl(tmp_path / "prompts.jsonl", rows)
    cfg = {
        "model_name_or_path": str(model),
        "dataset_path": str(data),
        "output_dir": str(tmp_path / "out"),
        "reward_url": url,
        "rewards": {"accuracy": 1.0, "format": 0.2},
        "max_completion_length": 16,
        "temperature": 0.7,
        "seed": 0,
        "progress_bar": False,
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_unreachable_service_fails_fast_in_one_line(tmp_path, tiny_model_dir, capsys) -> None:
    cfg = config_file(tmp_path, tiny_model_dir, f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    assert main(["--config", str(cfg), "--max_steps", "1"]) == 2
    assert time.monotonic() - started < 15  # not 6 retries with backoff, no model loaded first
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not reachable" in err[0] and "Traceback" not in err[0]
    assert main(["evaluate", "--config", str(cfg), "--data", str(tmp_path / "prompts.jsonl")]) == 2


def test_sft_labels_only_the_completion(tiny_model_dir) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    cfg = GRPOConfig(model_name_or_path=str(tiny_model_dir), dataset_path="x")
    ids, labels = encode_example(
        {"prompt": "What is 2+3?", "completion": demo(2, 3)}, tok, cfg, 512
    )
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "What is 2+3?"}], tokenize=False, add_generation_prompt=True
    )
    n_prompt = len(tok(prompt, add_special_tokens=False)["input_ids"])
    assert labels[:n_prompt] == [IGNORE] * n_prompt
    assert labels[n_prompt:] == ids[n_prompt:] and ids[-1] == tok.eos_token_id
    assert tok.decode(ids[n_prompt:-1]) == demo(2, 3)


def test_sft_then_evaluate_then_rejection_sample(
    tmp_path, tiny_model_dir, reward_service: Service, capsys
) -> None:
    cfg = config_file(tmp_path, tiny_model_dir, reward_service.url)
    demos = write_jsonl(
        tmp_path / "cold.jsonl",
        [{"prompt": f"What is {a}+{b}?", "completion": demo(a, b)} for a, b in PAIRS],
    )
    sft_dir = tmp_path / "sft"
    sft_args = ["--data", str(demos), "--out", str(sft_dir), "--epochs", "60", "--lr", "1e-2"]
    assert main(["sft", "--config", str(cfg), "--batch-size", "4", *sft_args]) == 0
    losses = [r["sft/loss"] for r in map(json.loads, (sft_dir / "metrics.jsonl").open())]
    assert losses[-1] < losses[0] / 4, losses
    capsys.readouterr()

    heldin = str(tmp_path / "prompts.jsonl")
    args = ["--config", str(cfg), "--data", heldin, "-n", "4", "-k", "1", "4", "--step", "7"]
    assert main(["evaluate", *args, "--model", str(sft_dir)]) == 0
    after = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    samples = [tmp_path / f"samples{i}.jsonl" for i in range(2)]
    for path in samples:  # the random-init model: its samples differ unless sampling is seeded
        base = ["--model", str(tiny_model_dir), "--step", "0", "--samples-out", str(path)]
        assert main(["evaluate", *args, *base]) == 0
        before = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # seeded by the config: the same command samples the same completions
    assert samples[0].read_text() == samples[1].read_text()
    assert after["eval/num_prompts"] == 4.0
    assert after["eval/pass@1"] >= 0.5 > before["eval/pass@1"], (before, after)
    assert after["eval/rewards/format/mean"] > before["eval/rewards/format/mean"]
    assert after["eval/pass@4"] >= after["eval/pass@1"]
    rows = [json.loads(line) for line in (tmp_path / "out" / "metrics.jsonl").open()]
    assert sorted(r["step"] for r in rows) == [0, 0, 7]

    out = tmp_path / "rs.jsonl"
    assert main(["rejection-sample", "--config", str(cfg), "--model", str(sft_dir),
                 "--data", heldin, "--out", str(out), "-n", "4"]) == 0  # fmt: skip
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    kept = [json.loads(line) for line in out.open()]
    assert len(kept) == counts["rejection/kept"] >= 1
    for row in kept:
        assert row["components"]["accuracy"] == 1.0 and row["components"]["format"] == 1.0
        assert row["answer"] in row["completion"] and "prompt" in row
    # the kept file is an SFT dataset as it stands
    second = ["--data", str(out), "--out", str(tmp_path / "sft2"), "--epochs", "1"]
    assert main(["sft", "--config", str(cfg), "--model_name_or_path", str(sft_dir), *second]) == 0


def test_best_of_prefers_reward_then_length() -> None:
    ok = {"accuracy": {"score": 1.0}, "format": {"score": 1.0}}
    bad_format = {"accuracy": {"score": 1.0}, "format": {"score": 0.0}}
    results = [
        ScoreResult(0, None, 1.2, ok),
        ScoreResult(1, None, 1.2, ok),
        ScoreResult(2, None, 1.0, bad_format),  # correct but badly formatted: never kept
        ScoreResult(3, None, None, ok),  # undecided: never kept
    ]
    assert rejection.best_of(["a", "b", "c", "d"], [9, 4, 1, 1], results) == 1
    assert rejection.best_of(["c"], [1], [results[2]]) is None
    assert doctest.testmod(rejection).failed == 0
    assert doctest.testmod(evaluate).failed == 0


def test_pass_at_k_needs_enough_samples() -> None:
    with pytest.raises(ValueError, match="at least 4 samples"):
        evaluate.pass_at_k(2, 1, 4)

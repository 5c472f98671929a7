"""Config (TRL names, YAML + flags), the grpo-train command, metrics files and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from trainer_client.cli import main, parse_config
from trainer_client.config import GRPOConfig
from trainer_client.metrics import MetricsLogger, plot_metrics, read_metrics

from .conftest import StandIn, write_jsonl

REPO = Path(__file__).resolve().parents[2]


def test_trl_names_and_validation() -> None:
    cfg = GRPOConfig(model_name_or_path="m", dataset_path="d", scale_rewards=False)
    assert cfg.scale_rewards == "none" and cfg.loss_type == "dapo" and cfg.epsilon_high is None
    assert (
        GRPOConfig(model_name_or_path="m", dataset_path="d", scale_rewards=True).scale_rewards
        == "group"
    )
    with pytest.raises(ValidationError, match="multiple of num_generations"):
        GRPOConfig(model_name_or_path="m", dataset_path="d", num_generations=3)
    with pytest.raises(ValidationError, match="extra"):
        GRPOConfig(model_name_or_path="m", dataset_path="d", num_generation=8)  # typo
    with pytest.raises(ValidationError):
        GRPOConfig(model_name_or_path="m", dataset_path="d", loss_type="bnpo")


def test_yaml_then_flags(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"model_name_or_path": "m", "dataset_path": "d", "beta": 0.04}))
    cfg = parse_config(
        [
            "--config",
            str(path),
            "--beta",
            "0.1",
            "--no-overlap",
            "--rewards",
            "{accuracy: 1, format: 0.5}",
            "--epsilon-high",
            "0.28",
        ]
    )
    assert cfg.beta == 0.1 and cfg.overlap is False and cfg.epsilon_high == 0.28
    assert cfg.rewards == {"accuracy": 1.0, "format": 0.5}
    assert parse_config(["--config", str(path)]).beta == 0.04
    # the weights syntax of reward-server score and the verl adapter reads the same here
    spelled = parse_config(["--config", str(path), "--rewards", "accuracy:1,format:0.5"])
    assert spelled.rewards == {"accuracy": 1.0, "format": 0.5}
    with pytest.raises(ValidationError, match="'accuracy:x' is not name:weight"):
        parse_config(["--config", str(path), "--rewards", "accuracy:x"])


@pytest.mark.parametrize("name", ["cpu_tiny.yaml", "gpu_qwen_vllm.yaml"])
def test_example_configs_are_valid(name: str) -> None:
    cfg = GRPOConfig.from_yaml(REPO / "examples" / name)
    assert cfg.rewards


def test_cli_trains_and_plots(tmp_path, tiny_model_dir, stand_in: StandIn, capsys) -> None:
    data = write_jsonl(tmp_path / "d.jsonl", [{"prompt": "What is 1+1?", "answer": "2"}] * 3)
    out = tmp_path / "run"
    config = tmp_path / "c.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "model_name_or_path": str(tiny_model_dir),
                "dataset_path": str(data),
                "output_dir": str(out),
                "reward_url": stand_in.url,
                "num_generations": 2,
                "per_device_train_batch_size": 4,
                "max_completion_length": 4,
                "rewards": {"accuracy": 1.0, "format": 0.5},
            }
        )
    )
    assert main(["--config", str(config), "--max_steps", "2", "--no-progress_bar"]) == 0
    assert "done: 2 steps" in capsys.readouterr().out
    assert (out / "checkpoint-2" / "model.safetensors").exists()
    assert yaml.safe_load((out / "config.yaml").read_text())["max_steps"] == 2
    rows = read_metrics(out / "metrics.jsonl")
    assert "rewards/format/mean" in rows[0] and "rewards/accuracy/mean" in rows[0]
    sent = stand_in.requests[0]["items"][0]
    assert sent["answer"] == "2" and sent["max_tokens"] == 4 and sent["group_id"] == "s0-p0"
    assert main(["plot", str(out / "metrics.jsonl"), "-o", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_metrics_jsonl_and_plot_without_kl(tmp_path) -> None:
    logger = MetricsLogger(tmp_path, ["jsonl"])
    logger.log(1, {"reward": 0.1, "completions/mean_length": 5.0, "kl": float("nan")})
    logger.log(2, {"reward": 0.4, "completions/mean_length": 6.0})
    logger.close()
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines[0]["kl"] is None  # NaN is not JSON
    png = plot_metrics(tmp_path / "metrics.jsonl")
    assert png.exists() and png.suffix == ".png"


def test_tiny_command(tmp_path, capsys) -> None:
    assert main(["tiny", str(tmp_path / "m"), "--hidden-size", "32", "--layers", "1"]) == 0
    assert (tmp_path / "m" / "tokenizer.json").exists()
    assert json.loads((tmp_path / "m" / "config.json").read_text())["hidden_size"] == 32


def test_trainer_client_speaks_http_only() -> None:
    """No module of the package imports the server or the sandbox."""
    import ast

    for path in (REPO / "trainer_client").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("reward_server", "sandbox")), f"{path}: {name}"

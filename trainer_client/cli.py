"""``grpo-train``: train from a YAML config plus flags; the other R1 stages and helpers.

    grpo-train --config examples/cpu_tiny.yaml --max_steps 20 --no-overlap
    grpo-train sft --config run.yaml --data cold_start.jsonl --out runs/sft
    grpo-train rejection-sample --config run.yaml --data prompts.jsonl --out rs.jsonl
    grpo-train evaluate --config run.yaml --data heldout.jsonl --model runs/sft
    grpo-train plot runs/cpu-tiny/metrics.jsonl -o reward.png
    grpo-train tiny runs/tiny-model
    grpo-train prepare-data openai/gsm8k data/gsm8k_train.jsonl --name main

Errors a user can fix (an unreachable service, a bad config value, a missing file) end the
command with one line on stderr and exit status 2, not a traceback.

Every config field is also a flag (``--learning_rate`` or ``--learning-rate``); booleans get a
``--no-`` form; dict and list values are read as YAML (``--rewards '{accuracy: 1, format: 0.5}'``).
Flags override the file.
"""

from __future__ import annotations

import argparse
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any

import yaml

from trainer_client.config import GRPOConfig


def _is_bool(annotation: Any) -> bool:
    return annotation is bool


def _yaml_value(text: str) -> Any:
    return yaml.safe_load(text)


def _config_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grpo-train",
        description="GRPO against the verifiable-rewards service. Other commands: "
        "sft, rejection-sample, evaluate, prepare-data, plot, tiny "
        "(`grpo-train COMMAND --help`).",
    )
    parser.add_argument("--config", help="YAML file with GRPOConfig fields")
    for name, info in GRPOConfig.model_fields.items():
        flags = [f"--{name}"] + ([f"--{name.replace('_', '-')}"] if "_" in name else [])
        help_text = info.description or None
        annotation = info.annotation
        if _is_bool(annotation):
            parser.add_argument(
                *flags, dest=name, action=argparse.BooleanOptionalAction, default=None,
                help=help_text,
            )  # fmt: skip
            continue
        origin = typing.get_origin(annotation)
        simple = annotation if annotation in (int, float, str) else None
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            simple = args[0] if len(args) == 1 and args[0] in (int, float, str) else None
        parser.add_argument(
            *flags, dest=name, type=simple or _yaml_value, default=None, help=help_text
        )
    return parser


def parse_config(argv: Sequence[str]) -> GRPOConfig:
    """Config file, then flags on top."""
    args = vars(_config_parser().parse_args(list(argv)))
    path = args.pop("config")
    return GRPOConfig.from_yaml(path, **args)


def _plot(argv: Sequence[str]) -> int:
    from trainer_client.metrics import plot_metrics

    parser = argparse.ArgumentParser(prog="grpo-train plot", description=plot_metrics.__doc__)
    parser.add_argument("metrics", help="metrics.jsonl written by a run")
    parser.add_argument("-o", "--output", help="PNG path (default: next to the metrics file)")
    args = parser.parse_args(list(argv))
    print(plot_metrics(args.metrics, args.output))
    return 0


def _tiny(argv: Sequence[str]) -> int:
    from trainer_client.tiny import build_tiny_model

    parser = argparse.ArgumentParser(prog="grpo-train tiny", description=build_tiny_model.__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(list(argv))
    path = build_tiny_model(
        args.out_dir, hidden_size=args.hidden_size, num_layers=args.layers, seed=args.seed
    )
    print(path)
    return 0


def _prepare_data(argv: Sequence[str]) -> int:
    from trainer_client.prepare_data import main as prepare_data

    return prepare_data(argv)


def _train(argv: Sequence[str]) -> int:
    cfg = parse_config(argv)
    from trainer_client.train import train

    result = train(cfg)
    steps = [m for m in result.history if "reward" in m]
    if steps:
        print(f"done: {len(steps)} steps, last reward {steps[-1]['reward']:.3f}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from pydantic import ValidationError

    from trainer_client import commands
    from trainer_client.client import RewardServiceError

    argv = list(sys.argv[1:] if argv is None else argv)
    subcommands = {
        "plot": _plot,
        "tiny": _tiny,
        "sft": commands.sft_main,
        "evaluate": commands.evaluate_main,
        "rejection-sample": commands.rejection_main,
        "prepare-data": _prepare_data,
    }
    run = subcommands.get(argv[0]) if argv else None
    try:
        return run(argv[1:]) if run else _train(argv)
    except (RewardServiceError, ValidationError, FileNotFoundError, ValueError) as exc:
        message = " ".join(str(exc).split())
        print(f"grpo-train: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

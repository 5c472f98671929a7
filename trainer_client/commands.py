"""The R1 stages besides GRPO, as ``grpo-train`` subcommands sharing its config and client.

    grpo-train sft --config run.yaml --data cold_start.jsonl --out runs/sft --epochs 3
    grpo-train evaluate --config run.yaml --data heldout.jsonl --model runs/sft -n 4 -k 1 4
    grpo-train rejection-sample --config run.yaml --data prompts.jsonl --out rs.jsonl -n 8

Each reads the same YAML as training (model, chat template, system prompt, prompt truncation,
sampling settings, reward URL and weights) and accepts every config flag on top; the options
shown here are the command's own.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from trainer_client.config import GRPOConfig


def _split(parser: argparse.ArgumentParser, argv: Sequence[str]) -> tuple[Any, GRPOConfig]:
    """The command's own options, then the shared config from the rest of the flags."""
    from trainer_client.cli import parse_config

    own, rest = parser.parse_known_args(list(argv))
    return own, parse_config(["--dataset_path", own.data, *rest])


def _policy(cfg: GRPOConfig, path: str | None) -> tuple[Any, Any, Any]:
    """(model, tokenizer, encoder) for generation on this process's device."""
    from accelerate.utils import set_seed

    from trainer_client.data import PromptEncoder
    from trainer_client.model import load_policy

    set_seed(cfg.seed)  # the config's seed drives sampling: same command, same samples
    model, tokenizer = load_policy(cfg, path or cfg.model_name_or_path)
    import torch

    if torch.cuda.is_available():
        model.to("cuda")
    encode = PromptEncoder(
        tokenizer, cfg.system_prompt, cfg.apply_chat_template, cfg.max_prompt_length
    )
    return model, tokenizer, encode


def _sampler_and_scorer(cfg: GRPOConfig, model: Any, tokenizer: Any, path: str) -> tuple[Any, Any]:
    from trainer_client.client import check_service
    from trainer_client.train import make_backend, make_scorer

    check_service(cfg.reward_url)
    return make_backend(cfg, model, tokenizer, path, world=1), make_scorer(cfg)


def sft_main(argv: Sequence[str]) -> int:
    from trainer_client.sft import SFTArgs, sft

    parser = argparse.ArgumentParser(prog="grpo-train sft", description=__doc__)
    parser.add_argument("--data", required=True, help="JSONL with prompt and completion")
    parser.add_argument("--out", required=True, help="directory for the fine-tuned model")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--warmup-ratio", type=float, default=0.0)
    own, cfg = _split(parser, argv)
    args = SFTArgs(
        dataset_path=own.data, output_dir=own.out, epochs=own.epochs, learning_rate=own.lr,
        batch_size=own.batch_size, max_length=own.max_length, warmup_ratio=own.warmup_ratio,
    )  # fmt: skip
    result = sft(cfg, args)
    last = sum(result.losses[-10:]) / max(1, len(result.losses[-10:]))
    print(f"sft: {result.steps} steps, final loss {last:.4f} -> {result.output_dir}")
    return 0


def evaluate_main(argv: Sequence[str]) -> int:
    from trainer_client.data import load_jsonl
    from trainer_client.evaluate import evaluate_rows
    from trainer_client.metrics import MetricsLogger

    parser = argparse.ArgumentParser(prog="grpo-train evaluate", description=__doc__)
    parser.add_argument("--data", required=True, help="JSONL of held-out prompts with answers")
    parser.add_argument("--model", help="checkpoint to evaluate (default: model_name_or_path)")
    parser.add_argument("-n", "--num-samples", type=int, default=4, help="samples per prompt")
    parser.add_argument("-k", type=int, nargs="+", default=[1], help="pass@k values to report")
    parser.add_argument("--limit", type=int, help="first N prompts only")
    parser.add_argument("--step", type=int, default=0, help="step to file the row under")
    parser.add_argument("--samples-out", help="JSONL of every graded sample")
    own, cfg = _split(parser, argv)
    path = own.model or cfg.model_name_or_path
    model, tokenizer, encode = _policy(cfg, path)
    backend, scorer = _sampler_and_scorer(cfg, model, tokenizer, path)
    try:
        metrics, samples = evaluate_rows(
            load_jsonl(own.data)[: own.limit], backend, scorer, encode,
            num_samples=own.num_samples, ks=own.k, reward_names=list(cfg.rewards),
            item_fields=cfg.reward_item_fields, max_completion_length=cfg.max_completion_length,
            step=own.step,
        )  # fmt: skip
    finally:
        scorer.close()
        backend.close()
    logger = MetricsLogger(cfg.output_dir, ["jsonl"])
    logger.log(own.step, metrics)
    logger.close()
    if own.samples_out:
        Path(own.samples_out).write_text("".join(json.dumps(s) + "\n" for s in samples))
    print(json.dumps({"model": str(path), "step": own.step, **metrics}))
    return 0


def rejection_main(argv: Sequence[str]) -> int:
    from trainer_client.data import load_jsonl
    from trainer_client.rejection import rejection_sample

    parser = argparse.ArgumentParser(prog="grpo-train rejection-sample", description=__doc__)
    parser.add_argument("--data", required=True, help="JSONL of prompts with answers/tests")
    parser.add_argument("--out", required=True, help="JSONL to write the kept completions to")
    parser.add_argument("--model", help="policy to sample from (default: model_name_or_path)")
    parser.add_argument("-n", "--num-samples", type=int, default=8, help="samples per prompt")
    parser.add_argument("--limit", type=int, help="first N prompts only")
    own, cfg = _split(parser, argv)
    path = own.model or cfg.model_name_or_path
    model, tokenizer, encode = _policy(cfg, path)
    backend, scorer = _sampler_and_scorer(cfg, model, tokenizer, path)
    try:
        counts = rejection_sample(
            load_jsonl(own.data)[: own.limit], backend, scorer, encode, own.out,
            num_samples=own.num_samples, item_fields=cfg.reward_item_fields,
            max_completion_length=cfg.max_completion_length,
        )  # fmt: skip
    finally:
        scorer.close()
        backend.close()
    print(json.dumps({"out": own.out, **counts}))
    return 0

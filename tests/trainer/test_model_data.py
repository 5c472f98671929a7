"""Loading the policy (fp32 master weights) and drawing prompts (one shuffle per epoch)."""

from __future__ import annotations

import random
from pathlib import Path

import torch

from trainer_client.data import PromptSampler
from trainer_client.model import load_model


def test_bf16_checkpoint_trains_in_fp32(tmp_path: Path, tiny_model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    saved = tmp_path / "bf16"
    AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)).to(torch.bfloat16).save_pretrained(
        str(saved)
    )
    model = load_model(saved, trainable=True, bf16=True)
    assert {p.dtype for p in model.parameters()} == {torch.float32}
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-6)
    ids = torch.tensor([[5, 6, 7, 8]])
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()
    moved = [
        not torch.equal(b, p.detach()) for b, p in zip(before, model.parameters(), strict=True)
    ]
    assert all(moved)  # in bf16, 0.02 + 1e-6 == 0.02 and nothing would move
    frozen = load_model(saved, trainable=False, bf16=True)
    assert {p.dtype for p in frozen.parameters()} == {torch.bfloat16}
    assert not any(p.requires_grad for p in frozen.parameters())


def test_sampler_shuffles_once_per_epoch(monkeypatch) -> None:
    calls = []
    original = random.Random.shuffle

    def counting(self, x):
        calls.append(len(x))
        return original(self, x)

    monkeypatch.setattr(random.Random, "shuffle", counting)
    rows = [{"prompt": str(i)} for i in range(10_000)]
    sampler = PromptSampler(rows, seed=3)
    first = sampler.take(64) + sampler.take(64)
    assert len(calls) == 1  # not one shuffle of 10k rows per prompt drawn
    # the order is the seeded epoch permutation, every row once per epoch, and resumable
    fresh = PromptSampler(rows, seed=3)
    fresh.drawn = 64
    assert fresh.take(64) == first[64:]
    small = PromptSampler(rows[:5], seed=1)
    epochs = [sorted(r["prompt"] for r in small.take(5)) for _ in range(3)]
    assert epochs == [[str(i) for i in range(5)]] * 3


def test_think_tags_survive_decoding_for_the_grader(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    text = "<think>\n2+3=5\n</think>\n\\boxed{5}"
    ids = tok(text + tok.eos_token, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids, skip_special_tokens=True) == text  # EOS dropped, tags kept
    assert len(tok("<think>", add_special_tokens=False)["input_ids"]) == 1


def test_docstring_examples_of_loop_modules() -> None:
    """vllm_seed per rank, the FSDP/DeepSpeed refusal, and the log-prob parsing helpers."""
    import doctest

    from trainer_client import rollout, train

    assert doctest.testmod(train).failed == 0
    assert doctest.testmod(rollout).failed == 0


def test_vllm_sampled_logprobs_parsing() -> None:
    from types import SimpleNamespace

    from trainer_client.rollout import sampled_logprobs

    entries = [{5: SimpleNamespace(logprob=-0.5)}, {}, {7: SimpleNamespace(logprob=-2.0)}]
    out = sampled_logprobs([5, 6, 7], entries)
    assert out[0] == -0.5 and out[2] == -2.0 and out[1] != out[1]  # missing -> NaN
    assert all(v != v for v in sampled_logprobs([1, 2], None))

"""The tiny local model and tokenizer, the transformers backend, and vLLM's import guard."""

from __future__ import annotations

import sys

import pytest
import torch

from trainer_client.rollout import SamplingSpec, TransformersBackend, cut_at_eos, weight_buckets


def test_tiny_model_and_tokenizer_reload_from_disk(tiny_model_dir) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert tok.eos_token == "<|im_end|>" and tok.pad_token == "<|endoftext|>"
    assert tok.eos_token_id != tok.pad_token_id
    for special in ("<|im_start|>", "<|im_end|>", "<think>", "</think>"):
        assert len(tok(special, add_special_tokens=False)["input_ids"]) == 1, special
    text = tok.apply_chat_template(
        [{"role": "user", "content": "What is 2+3?"}], tokenize=False, add_generation_prompt=True
    )
    assert text == "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n"
    ids = tok(text, add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == text  # byte-level BPE round-trips
    assert model.config.vocab_size == len(tok)
    assert sum(p.numel() for p in model.parameters()) < 200_000


def test_transformers_backend_groups(tiny_model_dir) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    model.train()
    backend = TransformersBackend(model, tok, SamplingSpec(max_completion_length=5, seed=0))
    prompts = [tok("What is 2+3?")["input_ids"], tok("Hi")["input_ids"]]
    torch.manual_seed(0)
    groups = backend.generate(prompts, n=3)
    assert model.training  # restored after sampling in eval mode
    assert len(groups) == 2 and all(len(g.completion_ids) == 3 for g in groups)
    for group, prompt in zip(groups, prompts, strict=True):
        assert group.prompt_ids == prompt
        for ids, truncated, text in zip(
            group.completion_ids, group.truncated, group.texts, strict=True
        ):
            assert 1 <= len(ids) <= 5
            assert truncated == (tok.eos_token_id not in ids)
            assert text == tok.decode(ids, skip_special_tokens=True)
            assert tok.pad_token_id not in ids


def test_cut_at_eos_keeps_eos_and_drops_padding() -> None:
    assert cut_at_eos([4, 9, 9], [9], pad_token_id=0) == ([4, 9], False)
    assert cut_at_eos([4, 5, 0, 0], [9], pad_token_id=0) == ([4, 5], True)


def test_weight_buckets_bound_calls() -> None:
    tensors = [(f"w{i}", torch.zeros(256)) for i in range(10)]  # 1 KiB each (float32)
    buckets = list(weight_buckets(tensors, bucket_bytes=3 * 1024))
    assert [len(b) for b in buckets] == [3, 3, 3, 1]
    assert [n for b in buckets for n, _ in b] == [n for n, _ in tensors]


def test_vllm_backend_is_import_guarded(monkeypatch, tiny_model_dir) -> None:
    import trainer_client.rollout as rollout
    import trainer_client.train  # noqa: F401  (importing the trainer must not import vLLM)

    assert "vllm" not in sys.modules or sys.modules["vllm"] is None
    monkeypatch.setitem(sys.modules, "vllm", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install -e '\.\[vllm\]'"):
        rollout.VLLMBackend(str(tiny_model_dir), None, SamplingSpec(max_completion_length=4))

"""A tiny causal LM and a locally trained tokenizer, saved to a directory like a hub checkpoint.

No model hub is needed for tests, the CPU recipe or the benchmark: a byte-level BPE is trained
on a small built-in corpus (arithmetic questions, ``<think>`` reasoning, code), wrapped with the
ChatML special tokens and template, and a Qwen2-shaped model with random weights is built from a
config. Everything loads back with ``AutoTokenizer`` / ``AutoModelForCausalLM.from_pretrained``.
"""

from __future__ import annotations

import random
from pathlib import Path

import torch

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]


def corpus(seed: int = 0, size: int = 3000) -> list[str]:
    """Text the BPE learns merges from: every digit, operators, tags, a little prose and code."""
    rng = random.Random(seed)
    lines = [
        "def add(a, b):\n    return a + b\n",
        "```python\nprint(sum(map(int, input().split())))\n```",
        "The answer is \\boxed{7}. Let me think step by step.",
        "First, second, next, finally: the result follows.",
    ]
    for _ in range(size):
        a, b = rng.randint(0, 20), rng.randint(0, 20)
        lines.append(f"What is {a}+{b}? <think>{a} plus {b} is {a + b}</think> \\boxed{{{a + b}}}")
    return lines


def build_tokenizer(out_dir: str | Path, vocab_size: int = 384, seed: int = 0):
    """Train a byte-level BPE with ChatML special tokens; save and return the HF tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(seed), trainer=trainer)
    # One token each but not special, as in Qwen's and DeepSeek-R1's tokenizers: decoding with
    # skip_special_tokens (what the grader reads) must keep the tags the format reward checks.
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=["<|im_start|>"],
    )
    hf.chat_template = CHATML_TEMPLATE
    hf.save_pretrained(str(out_dir))
    return hf


def build_tiny_model(
    out_dir: str | Path,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    vocab_size: int = 384,
    seed: int = 0,
) -> Path:
    """Tokenizer + randomly initialised Qwen2 model, both saved under ``out_dir``.

    About 107k parameters with the defaults (embeddings tied): a forward/backward pass takes
    milliseconds on CPU.
    """
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(out, vocab_size=vocab_size, seed=seed)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=num_heads,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(str(out))
    return out

"""Log-probs from completion positions only, and the sampler/trainer mismatch correction."""

from __future__ import annotations

import math

import pytest
import torch

from trainer_client import grpo
from trainer_client.grpo import LossNormalizer, grpo_loss
from trainer_client.importance import importance_weights
from trainer_client.rollout import SamplingSpec, TransformersBackend


def _model(path):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(path).eval()


def test_logprobs_use_only_completion_logits_and_match_full(tiny_model_dir) -> None:
    model = _model(tiny_model_dir)
    shapes = []
    model.register_forward_hook(lambda m, a, out: shapes.append(tuple(out.logits.shape)))
    ids = torch.tensor([[0, 0, 5, 6, 7, 8, 9], [3, 4, 5, 9, 10, 11, 12]])  # 3-4 prompt + 3
    attn = torch.tensor([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1]])
    logp, entropy = grpo.token_logprobs(
        model, ids, attn, completion_len=3, temperature=0.7, with_entropy=True, chunk_rows=1
    )
    assert shapes[-1][:2] == (2, 4)  # T + 1 positions, not the whole [2, 7] sequence
    positions = (attn.cumsum(1) - 1).clamp(min=0)
    with torch.no_grad():
        full = model(input_ids=ids, attention_mask=attn, position_ids=positions).logits
    z = full[:, 3:6] / 0.7  # positions predicting the 3 completion tokens
    manual = torch.log_softmax(z, -1).gather(-1, ids[:, 4:].unsqueeze(-1)).squeeze(-1)
    probs = z.softmax(-1)
    manual_entropy = -(probs * z.log_softmax(-1)).sum(-1)
    assert torch.allclose(logp, manual, atol=1e-5)
    assert entropy is not None and torch.allclose(entropy, manual_entropy, atol=1e-5)
    again, _ = grpo.token_logprobs(model, ids, attn, 3, 0.7, chunk_rows=8)
    assert torch.allclose(again, logp, atol=1e-6)  # chunking changes nothing


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("token_truncate", [[3.0, 1.0, math.exp(-0.5)]]),
        ("token_mask", [[0.0, 1.0, math.exp(-0.5)]]),
        ("sequence_truncate", [[3.0, 3.0, 3.0]]),  # exp(2 + 0 - 0.5) = 4.48 -> 3
        ("sequence_mask", [[0.0, 0.0, 0.0]]),
    ],
)
def test_importance_weights_modes(mode, expected) -> None:
    logp = torch.tensor([[0.0, -1.0, -1.5]])
    sampling = torch.tensor([[-2.0, -1.0, -1.0]])
    weights, stats = importance_weights(logp, sampling, torch.ones(1, 3), mode, clip_max=3.0)
    assert torch.allclose(weights, torch.tensor(expected), atol=1e-6)
    assert stats["logp_diff_max"] == pytest.approx(2.0)
    assert stats["logp_diff_sum"] / stats["tokens"] == pytest.approx(2.5 / 3)


def test_importance_weights_unknown_and_padding_give_one() -> None:
    logp = torch.tensor([[-1.0, -1.0, -3.0]])
    sampling = torch.tensor([[float("nan"), -1.0, -0.1]])  # no log-prob, equal, padding
    weights, stats = importance_weights(logp, sampling, torch.tensor([[1, 1, 0]]))
    assert weights[0, :2].tolist() == [1.0, 1.0]
    assert stats["tokens"] == 1.0  # the NaN and the padded token are not in the mismatch


def test_loss_is_weighted_per_token() -> None:
    logp = torch.tensor([[-1.0, -2.0]], requires_grad=True)
    norm = LossNormalizer(1, 2, 2)
    adv = torch.tensor([1.0])
    plain = grpo_loss(logp, None, None, adv, torch.ones(1, 2), norm)
    weighted = grpo_loss(
        logp, None, None, adv, torch.ones(1, 2), norm, is_weights=torch.tensor([[2.0, 0.5]])
    )
    assert plain.loss.item() == pytest.approx(-1.0)  # ratio 1 everywhere: -A per token
    assert weighted.loss.item() == pytest.approx(-(2.0 + 0.5) / 2)
    weighted.loss.backward()
    assert logp.grad is not None and logp.grad.tolist() == [[-1.0, -0.25]]


def test_transformers_sampling_logprobs_match_the_trainer(tiny_model_dir) -> None:
    """The backend's per-token sampling log-probs line up with token_logprobs: same positions,
    same temperature, so the importance weight of an unchanged policy is 1."""
    from transformers import AutoTokenizer

    from trainer_client.grpo import pad_left, pad_right

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = _model(tiny_model_dir)
    spec = SamplingSpec(max_completion_length=6, temperature=0.7)
    backend = TransformersBackend(model, tok, spec, return_logprobs=True)
    torch.manual_seed(0)
    groups = backend.generate([tok("What is 2+3?")["input_ids"], tok("Hi")["input_ids"]], 3)
    rows = [(g.prompt_ids, c, lp) for g in groups for c, lp in
            zip(g.completion_ids, g.sampling_logprobs or [], strict=True)]  # fmt: skip
    assert len(rows) == 6
    p_ids, p_mask = pad_left([r[0] for r in rows], 0)
    c_ids, c_mask = pad_right([r[1] for r in rows], 0)
    logp, _ = grpo.token_logprobs(
        model, torch.cat([p_ids, c_ids], 1), torch.cat([p_mask, c_mask], 1), c_ids.shape[1], 0.7
    )
    sampling = torch.full(c_ids.shape, float("nan"))
    for i, r in enumerate(rows):
        sampling[i, : len(r[2])] = torch.tensor(r[2])
    weights, stats = importance_weights(logp, sampling, c_mask)
    assert stats["tokens"] == float(c_mask.sum())
    assert stats["logp_diff_max"] < 1e-4, stats
    assert torch.allclose(weights[c_mask.bool()], torch.ones(int(c_mask.sum())), atol=1e-3)

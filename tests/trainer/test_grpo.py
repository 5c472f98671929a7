"""Golden values for the GRPO pieces, each computed by hand in the comment next to it."""

from __future__ import annotations

import doctest
import math

import pytest
import torch

from trainer_client import grpo, importance
from trainer_client.grpo import (
    LossNormalizer,
    LossSettings,
    aggregate_loss,
    clipped_surrogate,
    group_advantages,
    grpo_loss,
    informative_groups,
    k3_kl,
    normalizer_for,
    pad_left,
    pad_right,
)

NAN = float("nan")


def close(actual: torch.Tensor, expected: list[float], tol: float = 1e-3) -> None:
    assert actual.tolist() == pytest.approx(expected, abs=tol)


def test_seed_example_advantages() -> None:
    # mean 0.6, population std sqrt(0.24) = 0.4899: 0.4 / 0.49 = 0.816, -0.6 / 0.49 = -1.224
    adv = group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0]), group_size=5)
    close(adv, [0.82, -1.22, 0.82, 0.82, -1.22], tol=0.005)
    close(adv, [0.8163, -1.2245, 0.8163, 0.8163, -1.2245])


def test_advantages_are_per_group() -> None:
    # group 2 [2, 4, 3, 3, 3]: mean 3, population std sqrt(2/5) = 0.6325 -> -1/0.6325 = -1.5811
    adv = group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 2.0, 4.0, 3.0, 3.0, 3.0]), 5)
    close(adv[:5], [0.8163, -1.2245, 0.8163, 0.8163, -1.2245])
    close(adv[5:], [-1.5811, 1.5811, 0.0, 0.0, 0.0])


def test_null_rewards_left_out_and_get_zero() -> None:
    # valid [1, 0, 1]: mean 2/3, std sqrt(2/9) = 0.4714 -> 0.333/0.4714 = 0.7071, -1.4142
    adv = group_advantages(torch.tensor([1.0, NAN, 0.0, 1.0]), group_size=4)
    close(adv, [0.7071, 0.0, -1.4142, 0.7071])
    assert not torch.isnan(adv).any()


def test_all_null_or_all_equal_group_gives_zero() -> None:
    close(group_advantages(torch.tensor([NAN, NAN, 1.0, 1.0]), group_size=2), [0, 0, 0, 0])


def test_no_std_scaling_dr_grpo() -> None:
    close(
        group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0]), 5, "none"),
        [0.4, -0.6, 0.4, 0.4, -0.6],
    )


def test_batch_std_scaling() -> None:
    # centred per group: [0.5, -0.5, 0, 0]; std of all rewards [1, 0, 1, 1] = sqrt(3/16) = 0.4330
    adv = group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0]), 2, "batch")
    close(adv, [1.1547, -1.1547, 0.0, 0.0])


def test_informative_groups() -> None:
    keep = informative_groups(torch.tensor([1.0, 1.0, 0.0, 1.0, NAN, 1.0, 0.5, NAN]), 2)
    assert keep.tolist() == [False, True, False, False]


def test_k3_kl_values() -> None:
    # x = ref - logp; e^x - x - 1: x=-1 -> 0.3679, x=0 -> 0, x=1 -> e - 2 = 0.7183
    kl = k3_kl(torch.tensor([-1.0, -1.0, -2.0]), torch.tensor([-2.0, -1.0, -1.0]))
    close(kl, [0.3679, 0.0, 0.7183])
    assert (k3_kl(torch.randn(100), torch.randn(100)) >= 0).all()


def test_clipping_low_and_high() -> None:
    ratios = torch.tensor([[0.5, 0.9, 1.1, 1.5]])
    logp = torch.log(ratios).repeat(2, 1).requires_grad_(True)  # [2, 4]
    old = torch.zeros(2, 4)
    adv = torch.tensor([1.0, -1.0])
    loss, stats = clipped_surrogate(logp, old, adv, epsilon=0.2, epsilon_high=0.28)
    # A=+1: -min(r, clip(r, 0.8, 1.28)) ; A=-1: max(r, clip(r))
    close(loss[0], [-0.5, -0.9, -1.1, -1.28])
    close(loss[1], [0.8, 0.9, 1.1, 1.5])
    assert stats.high.tolist() == [[False, False, False, True], [False] * 4]
    assert stats.low.tolist() == [[False] * 4, [True, False, False, False]]
    loss.sum().backward()
    # d(-A r)/dlogp = -A r where the unclipped branch is taken, 0 where clipping bites
    close(logp.grad[0], [-0.5, -0.9, -1.1, 0.0])
    close(logp.grad[1], [0.0, 0.9, 1.1, 1.5])


def test_symmetric_clip_when_no_epsilon_high() -> None:
    logp = torch.log(torch.tensor([[1.25]]))
    out = grpo_loss(
        logp,
        torch.zeros(1, 1),
        None,
        torch.tensor([1.0]),
        torch.ones(1, 1),
        LossNormalizer(1, 1, 1),
        LossSettings(loss_type="dapo", epsilon=0.2),
    )
    assert out.loss.item() == pytest.approx(-1.2)  # clipped at 1 + 0.2, not 1.25


def test_aggregation_variants_by_hand() -> None:
    losses = torch.tensor([[1.0, 1.0, 9.0], [4.0, 9.0, 9.0]])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    norm = normalizer_for([mask], max_completion_length=3)
    assert (norm.num_sequences, norm.num_tokens) == (2, 3)
    assert aggregate_loss(losses, mask, "grpo", norm).item() == pytest.approx(2.5)  # (1 + 4) / 2
    assert aggregate_loss(losses, mask, "dapo", norm).item() == pytest.approx(2.0)  # 6 / 3
    assert aggregate_loss(losses, mask, "dr_grpo", norm).item() == pytest.approx(1.0)  # 6 / (2*3)


def test_config_accepts_exactly_the_registered_aggregations() -> None:
    from trainer_client.config import GRPOConfig

    assert {"grpo", "dapo", "dr_grpo"} <= set(grpo.AGGREGATIONS)
    base = {"model_name_or_path": "m", "dataset_path": "d"}
    for name in grpo.AGGREGATIONS:
        assert GRPOConfig(**base, loss_type=name).loss_type == name
    with pytest.raises(ValueError, match="choose one of grpo, dapo, dr_grpo"):
        GRPOConfig(**base, loss_type="bnpo")
    with pytest.raises(ValueError, match="unknown loss_type"):
        aggregate_loss(torch.ones(1, 1), torch.ones(1, 1), "bnpo", LossNormalizer(1, 1, 1))


def test_loss_settings_are_read_from_the_config_by_name() -> None:
    from trainer_client.config import GRPOConfig

    cfg = GRPOConfig(
        model_name_or_path="m", dataset_path="d", loss_type="grpo", beta=0.04, epsilon=0.1,
        epsilon_high=0.3,
    )  # fmt: skip
    assert LossSettings.of(cfg) == LossSettings("grpo", beta=0.04, epsilon=0.1, epsilon_high=0.3)


@pytest.mark.parametrize(
    ("loss_type", "expected", "grad_row0", "grad_row1"),
    [
        # on-policy: token loss = -A. Row 0: A=2 on 2 tokens, row 1: A=-1 on 3 tokens.
        ("grpo", (-2 + 1) / 2, -2 / 2 / 2, 1 / 3 / 2),  # mean per seq, then over 2 seqs
        ("dapo", (-2 * 2 + 1 * 3) / 5, -2 / 5, 1 / 5),  # 5 active tokens
        ("dr_grpo", (-4 + 3) / (2 * 4), -2 / 8, 1 / 8),  # 2 seqs * max_completion_length 4
    ],
)
def test_each_loss_variant_value_and_gradient(loss_type, expected, grad_row0, grad_row1) -> None:
    logp = torch.tensor([[-1.0, -2.0, -3.0], [-0.5, -0.5, -0.5]], requires_grad=True)
    mask = torch.tensor([[1, 1, 0], [1, 1, 1]])
    norm = LossNormalizer(num_sequences=2, num_tokens=5, max_completion_length=4)
    settings = LossSettings(loss_type)
    out = grpo_loss(logp, None, None, torch.tensor([2.0, -1.0]), mask, norm, settings)
    assert out.loss.item() == pytest.approx(expected)
    out.loss.backward()
    close(logp.grad[0], [grad_row0, grad_row0, 0.0])
    close(logp.grad[1], [grad_row1] * 3)


def test_kl_term_added_with_beta() -> None:
    # advantages 0: the loss is beta * token-mean k3 = 0.1 * (0.3679 + 0) / 2
    logp = torch.tensor([[-1.0, -1.0]])
    ref = torch.tensor([[-2.0, -1.0]])
    out = grpo_loss(
        logp,
        None,
        ref,
        torch.zeros(1),
        torch.ones(1, 2),
        LossNormalizer(1, 2, 2),
        LossSettings(loss_type="dapo", beta=0.1),
    )
    assert out.loss.item() == pytest.approx(0.1 * math.exp(-1) / 2, abs=1e-6)
    assert out.metrics["kl"] == pytest.approx(math.exp(-1), abs=1e-6)
    with pytest.raises(ValueError, match="reference"):
        grpo_loss(
            logp, None, None, torch.zeros(1), torch.ones(1, 2), LossNormalizer(1, 2, 2),
            LossSettings(beta=0.1),
        )  # fmt: skip


@pytest.mark.parametrize("loss_type", sorted(grpo.AGGREGATIONS))
def test_gradient_accumulation_equals_full_batch(loss_type: str) -> None:
    torch.manual_seed(0)
    n, t = 6, 5
    weights = torch.randn(n, t, requires_grad=True)
    old = torch.randn(n, t) * 0.1 - 1
    ref = torch.randn(n, t) * 0.1 - 1
    adv = torch.randn(n)
    lengths = torch.tensor([5, 1, 3, 2, 5, 4])  # very unequal token counts per micro-batch
    mask = (torch.arange(t).expand(n, t) < lengths.unsqueeze(1)).long()

    def logp_of(rows: slice) -> torch.Tensor:
        return torch.nn.functional.logsigmoid(weights[rows])  # stands in for a model

    settings = LossSettings(loss_type, beta=0.05, epsilon=0.2, epsilon_high=0.28)
    full_norm = normalizer_for([mask], max_completion_length=t)
    full = grpo_loss(logp_of(slice(None)), old, ref, adv, mask, full_norm, settings).loss
    (full_grad,) = torch.autograd.grad(full, weights)

    parts = [slice(0, 2), slice(2, 3), slice(3, 6)]
    norm = normalizer_for([mask[p] for p in parts], max_completion_length=t)
    assert norm == full_norm
    total = sum(
        grpo_loss(logp_of(p), old[p], ref[p], adv[p], mask[p], norm, settings).loss for p in parts
    )
    (accum_grad,) = torch.autograd.grad(total, weights)
    assert torch.allclose(accum_grad, full_grad, atol=1e-6)
    assert float(total.detach()) == pytest.approx(float(full.detach()), abs=1e-6)

    # Normalising each micro-batch by its own size (the usual bug) gives a different gradient.
    naive = sum(
        grpo_loss(
            logp_of(p), old[p], ref[p], adv[p], mask[p], normalizer_for([mask[p]], t), settings
        ).loss
        / len(parts)
        for p in parts
    )
    (naive_grad,) = torch.autograd.grad(naive, weights)
    assert not torch.allclose(naive_grad, full_grad, atol=1e-4)


def test_clip_metrics_are_token_sums() -> None:
    logp = torch.log(torch.tensor([[1.5, 1.0], [0.5, 1.0]]))
    mask = torch.tensor([[1, 1], [1, 0]])
    adv = torch.tensor([1.0, -1.0])
    out = grpo_loss(
        logp, torch.zeros(2, 2), None, adv, mask, LossNormalizer(2, 3, 2),
        LossSettings(epsilon_high=0.28),
    )  # fmt: skip
    assert out.metrics["tokens"] == 3
    assert out.metrics["clip_ratio/high_mean"] == 1
    assert out.metrics["clip_ratio/low_mean"] == 1
    assert out.metrics["clip_ratio/region_mean"] == 2


def test_masks_and_padding() -> None:
    ids, m = pad_left([[1, 2, 3], [4]], pad_token_id=0)
    assert ids.tolist() == [[1, 2, 3], [0, 0, 4]] and m.tolist() == [[1, 1, 1], [0, 0, 1]]
    ids, m = pad_right([[1, 2, 3], [4]], pad_token_id=0)
    assert ids.tolist() == [[1, 2, 3], [4, 0, 0]] and m.tolist() == [[1, 1, 1], [1, 0, 0]]


def test_token_logprobs_match_manual(tiny_model_dir) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    ids = torch.tensor([[0, 0, 5, 6, 7, 8], [3, 4, 5, 9, 10, 11]])  # 2 prompt-ish + 3 completion
    attn = torch.tensor([[0, 0, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1]])
    logp, entropy = grpo.token_logprobs(
        model, ids, attn, completion_len=3, temperature=0.7, with_entropy=True
    )
    logits = model(input_ids=ids, attention_mask=attn).logits[:, 2:5] / 0.7
    manual = torch.log_softmax(logits, -1).gather(-1, ids[:, 3:].unsqueeze(-1)).squeeze(-1)
    assert torch.allclose(logp, manual, atol=1e-5)
    assert entropy is not None and entropy.shape == (2, 3) and (entropy > 0).all()


def test_docstring_examples() -> None:
    assert doctest.testmod(grpo).failed == 0
    assert doctest.testmod(importance).failed == 0

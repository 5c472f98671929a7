from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reward_server.rewards.base import ErrorType
from reward_server.rewards.registry import REWARDS, NoParams
from reward_server.rewards.shaping import (
    CosineParams,
    OverlongParams,
    ReasoningStepsParams,
    RepetitionParams,
    cosine_reward,
    length_reward,
    overlong_reward,
    reasoning_steps_reward,
    repetition_reward,
)
from reward_server.schemas import Item


def item(text: str = "", tokens: int | None = None, max_tokens: int | None = None) -> Item:
    return Item(completion=text, completion_tokens=tokens, max_tokens=max_tokens)


def open_r1_cosine(gen_len: int, correct: bool, max_len: int = 1000) -> float:
    """open-r1's get_cosine_scaled_reward body, defaults, no clamp."""
    cosine = math.cos(gen_len / max_len * math.pi)
    lo, hi = (0.5, 1.0) if correct else (-0.5, -1.0)
    return lo + 0.5 * (hi - lo) * (1.0 + cosine)


def test_registered() -> None:
    kinds = {"length": "group", "cosine": "correctness", "overlong": "item"}
    kinds |= {"repetition": "item", "reasoning_steps": "item"}
    for name, kind in kinds.items():
        assert REWARDS[name].kind == kind
        assert REWARDS[name].summary
    assert REWARDS["length"].params is NoParams


# ---- length (Kimi 1.5) ----


def test_length_kimi_formula() -> None:
    items = [item("a" * n) for n in (10, 20, 30, 30)]
    scores = length_reward(items, [True, True, True, False], NoParams())
    assert [s.value for s in scores] == [0.5, 0.0, -0.5, -0.5]
    # wrong and short: lambda = 0.5 but wrong answers never earn more than 0
    scores = length_reward([item("a" * 10), item("a" * 30)], [False, True], NoParams())
    assert [s.value for s in scores] == [0.0, -0.5]
    assert scores[0].detail == {
        "length": 10,
        "unit": "chars",
        "min_len": 10,
        "max_len": 30,
        "lambda": 0.5,
    }


def test_length_equal_lengths_and_singletons() -> None:
    scores = length_reward([item("abc"), item("xyz")], [True, False], NoParams())
    assert [s.value for s in scores] == [0.0, 0.0]
    assert [s.value for s in length_reward([item("a")], [True], NoParams())] == [0.0]
    assert length_reward([], [], NoParams()) == []


def test_length_needs_verdict() -> None:
    scores = length_reward([item("a"), item("abc")], [None, True], NoParams())
    assert scores[0].value is None and scores[0].error is not None
    assert scores[0].error.type is ErrorType.missing_reference
    assert scores[0].error.message == "length needs an accuracy verdict"
    assert scores[1].value == -0.5  # the undecided item's length still counts


def test_length_units() -> None:
    tokens = [item("a" * 100, tokens=5), item("a", tokens=15)]
    scores = length_reward(tokens, [True, True], NoParams())
    assert [s.value for s in scores] == [0.5, -0.5] and scores[0].detail["unit"] == "tokens"
    mixed = [item("a" * 100, tokens=5), item("a")]  # one item lacks tokens: chars for all
    scores = length_reward(mixed, [True, True], NoParams())
    assert [s.value for s in scores] == [-0.5, 0.5] and scores[0].detail["unit"] == "chars"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=50), st.sampled_from([True, False, None])), max_size=8))
def test_length_bounds(pairs: list[tuple[str, bool | None]]) -> None:
    scores = length_reward([item(t) for t, _ in pairs], [c for _, c in pairs], NoParams())
    assert len(scores) == len(pairs)
    for s, (_, ok) in zip(scores, pairs, strict=True):
        assert (s.value is None) == (ok is None)
        if s.value is not None:
            assert -0.5 <= s.value <= (0.5 if ok else 0.0)


# ---- cosine ----


@pytest.mark.parametrize("correct", [True, False])
@pytest.mark.parametrize("n", [0, 1, 250, 500, 999, 1000])
def test_cosine_open_r1_parity(n: int, correct: bool) -> None:
    value = cosine_reward(item("a" * n), CosineParams(), correct).value
    assert value == pytest.approx(open_r1_cosine(n, correct))


def test_cosine_endpoints_and_sign_convention() -> None:
    p = CosineParams()
    assert cosine_reward(item(), p, True).value == pytest.approx(1.0)  # short and right: best
    assert cosine_reward(item("a" * 1000), p, True).value == pytest.approx(0.5)
    assert cosine_reward(item(), p, False).value == pytest.approx(-1.0)  # short and wrong: worst
    assert cosine_reward(item("a" * 1000), p, False).value == pytest.approx(-0.5)
    assert cosine_reward(item("a" * 500), p, True).value == pytest.approx(0.75)


def test_cosine_clamps_past_max_len() -> None:
    long = item("a" * 2000)
    assert open_r1_cosine(2000, True) == pytest.approx(1.0)  # open-r1's wrap-around
    assert cosine_reward(long, CosineParams(), True).value == pytest.approx(0.5)
    assert cosine_reward(long, CosineParams(), False).value == pytest.approx(-0.5)


def test_cosine_uses_tokens_and_max_tokens() -> None:
    it = item("a" * 10, tokens=2048, max_tokens=4096)
    result = cosine_reward(it, CosineParams(), True)
    assert result.value == pytest.approx(0.75)
    assert result.detail == {"length": 2048, "max_len": 4096, "progress": 0.5}
    assert cosine_reward(item(tokens=50), CosineParams(max_len=100), True).value == pytest.approx(
        0.75
    )


def test_cosine_needs_verdict() -> None:
    result = cosine_reward(item("x"), CosineParams(), None)
    assert result.value is None and result.error is not None
    assert result.error.type is ErrorType.missing_reference
    with pytest.raises(ValidationError):
        CosineParams(max_len=0)


# ---- overlong (DAPO) ----


@pytest.mark.parametrize(
    ("length", "expected"),
    [(0, 0.0), (80, 0.0), (85, -0.25), (90, -0.5), (100, -1.0), (101, -1.0), (10_000, -1.0)],
)
def test_overlong_dapo(length: int, expected: float) -> None:
    it = item(tokens=length, max_tokens=100)
    assert overlong_reward(it, OverlongParams()).value == pytest.approx(expected)


def test_overlong_buffer_tokens_and_chars() -> None:
    p = OverlongParams(buffer_tokens=10)
    assert overlong_reward(item(tokens=95, max_tokens=100), p).value == pytest.approx(-0.5)
    assert overlong_reward(item(tokens=90, max_tokens=100), p).value == 0.0
    assert overlong_reward(item("a" * 90, max_tokens=100), OverlongParams()).value == -0.5
    huge = OverlongParams(buffer_tokens=500)  # capped at max_tokens
    assert overlong_reward(item(tokens=50, max_tokens=100), huge).value == pytest.approx(-0.5)


def test_overlong_needs_max_tokens() -> None:
    result = overlong_reward(item(tokens=10), OverlongParams())
    assert result.value is None and result.error is not None
    assert result.error.type is ErrorType.missing_reference
    with pytest.raises(ValidationError):
        OverlongParams(buffer=0)
    with pytest.raises(ValidationError):
        OverlongParams(buffer_tokens=-1)


# ---- repetition ----


def test_repetition_open_r1_formula() -> None:
    result = repetition_reward(item("a b c a b c a b c"), RepetitionParams())
    assert result.value == pytest.approx(-(1 - 3 / 7))
    assert result.detail == {"ngrams": 7, "unique": 3}
    assert repetition_reward(item("A b C a B c"), RepetitionParams()).value == pytest.approx(
        -(1 - 3 / 4)
    )
    half = RepetitionParams(ngram_size=2, max_penalty=-0.5)
    assert repetition_reward(item("x y x y"), half).value == pytest.approx(-0.5 * (1 - 2 / 3))


@pytest.mark.parametrize("text", ["", "one two", "all of these words differ here"])
def test_repetition_zero(text: str) -> None:
    value = repetition_reward(item(text), RepetitionParams()).value
    assert value == 0.0 and math.copysign(1.0, value) == 1.0


ZH_SENTENCE = "我们需要找到同时满足两个条件的最小正数，然后逐一检查每个候选数。"
EN_SENTENCE = "We need to find the smallest positive number that meets both conditions, then check "
EN_SENTENCE += "every candidate in turn."


@pytest.mark.parametrize(
    "sentence",
    [ZH_SENTENCE, EN_SENTENCE, "これは二次方程式ですから、判別式を計算すると答えは三になります。",
     "与えられた条件を満たす最小の正の整数を求める必要があります。"],
)
def test_repeated_sentence_is_penalised_in_every_script(sentence: str) -> None:
    """The same sentence 40 times: whitespace splitting saw no n-gram at all in CJK."""
    looped = repetition_reward(item("\n".join([sentence] * 40)), RepetitionParams()).value
    once = repetition_reward(item(sentence), RepetitionParams()).value
    assert looped < -0.9 and once > -0.1


@pytest.mark.parametrize("lang", ["en", "zh", "ja", "fr", "ru"])
def test_real_paragraphs_repeated_vs_not(lang: str) -> None:
    """Django's translations: 40 distinct sentences vs a paragraph of 8 written 5 times."""
    from bench.language_corpus import sentences

    text = sentences(lang)
    distinct = repetition_reward(item(" ".join(text[:40])), RepetitionParams()).value
    looped = repetition_reward(item(" ".join([" ".join(text[:8])] * 5)), RepetitionParams()).value
    assert -0.25 < distinct <= 0.0
    assert looped < -0.75


def test_minimind_report_repeated_greeting() -> None:
    """minimind #832: "你好" five times got 0.0 from a \\w+ split."""
    assert repetition_reward(item("你好你好你好你好你好"), RepetitionParams()).value == -0.75


def test_cjk_tokens() -> None:
    from reward_server.rewards.shaping import repetition_tokens

    assert repetition_tokens("x的值是3，コンピュータです。OK") == [
        "x", "的", "值", "是", "3", "，", "コンピュータ", "です", "。", "ok"
    ]
    assert repetition_tokens("Hello  World\n") == ["hello", "world"]


def test_repetition_params() -> None:
    with pytest.raises(ValidationError):
        RepetitionParams(max_penalty=0.5)
    with pytest.raises(ValidationError):
        RepetitionParams(ngram_size=0)


def test_repetition_loop_is_near_max_penalty() -> None:
    value = repetition_reward(item("I am stuck. " * 10_000), RepetitionParams()).value
    assert value == pytest.approx(-1.0, abs=1e-3)


# ---- reasoning steps ----


def test_reasoning_steps() -> None:
    p = ReasoningStepsParams()
    three = "Step 1: read. Step 2: think. Step 3: answer."
    assert reasoning_steps_reward(item(three), p).value == 1.0
    assert reasoning_steps_reward(item("Step 1: guess."), p).value == pytest.approx(1 / 3)
    words = "First, add. Second, multiply. Finally, check."
    assert reasoning_steps_reward(item(words), p).value == 1.0
    bullets = "Plan:\n- add\n- multiply\n* check"
    assert reasoning_steps_reward(item(bullets), p).value == 1.0
    assert reasoning_steps_reward(item("no structure at all"), p).value == 0.0


def test_reasoning_steps_numbered_lines_fixed() -> None:
    # open-r1 compiles "^\d+\." without MULTILINE and sees only the first line's number.
    numbered = "1. add\n2. multiply\n3. check"
    result = reasoning_steps_reward(item(numbered), ReasoningStepsParams())
    assert result.value == 1.0 and result.detail == {"steps": 3}
    decimals = "3.14 is pi\n2.71 is e"
    assert reasoning_steps_reward(item(decimals), ReasoningStepsParams()).value == 0.0


def test_reasoning_steps_min_steps() -> None:
    text = "Step 1: a. Step 2: b."
    assert reasoning_steps_reward(item(text), ReasoningStepsParams(min_steps=4)).value == 0.5
    assert reasoning_steps_reward(item(text), ReasoningStepsParams(min_steps=1)).value == 1.0
    with pytest.raises(ValidationError):
        ReasoningStepsParams(min_steps=0)


# ---- robustness ----


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(exclude_categories=())),
    tokens=st.none() | st.integers(0, 10**6),
    max_tokens=st.none() | st.integers(1, 10**6),
    correct=st.sampled_from([True, False, None]),
)
def test_never_raises(text: str, tokens: int | None, max_tokens: int | None, correct) -> None:
    it = item(text, tokens, max_tokens)
    for fn, p in (
        (overlong_reward, OverlongParams()),
        (repetition_reward, RepetitionParams()),
        (reasoning_steps_reward, ReasoningStepsParams()),
    ):
        value = fn(it, p).value
        assert value is None or -1.0 <= value <= 1.0
    value = cosine_reward(it, CosineParams(), correct).value
    assert (value is None) == (correct is None)
    assert value is None or -1.0 <= value <= 1.0

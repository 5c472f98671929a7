from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reward_server.rewards.format import FormatParams, format_reward, tags_reward
from reward_server.rewards.registry import REWARDS, NoParams
from reward_server.schemas import Item

OPEN_R1 = re.compile(
    r"^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$", re.DOTALL | re.MULTILINE
)
CANONICAL = "<think>\nLet me add: 2 + 2 = 4.\n</think>\n<answer>\n4\n</answer>"


def fmt(completion: str, prefilled: bool = False, require: bool = False) -> tuple[float, str]:
    item = Item(completion=completion, think_prefilled=prefilled)
    result = format_reward(item, FormatParams(require_answer_tags=require))
    assert result.value in (0.0, 1.0)
    return result.value, result.detail.get("reason", "")


def tags(completion: str, prefilled: bool = False) -> float:
    return tags_reward(Item(completion=completion, think_prefilled=prefilled), NoParams()).value


def test_registered() -> None:
    assert REWARDS["format"].kind == "item" and REWARDS["format"].params is FormatParams
    assert REWARDS["tags"].kind == "item" and REWARDS["tags"].params is NoParams
    assert FormatParams().require_answer_tags is False
    with pytest.raises(ValueError):
        FormatParams(unknown=1)


@pytest.mark.parametrize(
    "completion",
    [
        CANONICAL,
        "<think>reasoning</think>The answer is 4.",
        "<think>reasoning</think><answer>4</answer>",
        "\n\n  <think>\nreasoning\n</think>\n\n<answer> 4 </answer>\n\n",
        "<think>a</think>\n\\boxed{4}",
    ],
)
def test_well_formed(completion: str) -> None:
    assert fmt(completion) == (1.0, "")


@pytest.mark.parametrize(
    ("completion", "reason"),
    [
        ("The answer is 4.", "no_think_block"),
        ("", "no_think_block"),
        ("reasoning</think>4", "no_think_open"),
        ("<think>reasoning", "unclosed_think_block"),
        ("<think>reasoning<answer>4</answer>", "unclosed_think_block"),
        ("Sure! <think>r</think>4", "text_before_think"),
        ("<think>a</think><think>b</think>4", "multiple_think_blocks"),
        ("<think>a<think>b</think>4", "multiple_think_blocks"),
        ("<think>a</think>b</think>4", "multiple_think_blocks"),
        ("<think>  \n </think>4", "empty_reasoning"),
        ("<think>r</think>  \n ", "empty_answer"),
        ("<think>r</think><answer> \n </answer>", "empty_answer"),
        ("<think>r</think><answer>4</answer> and some more text", "text_after_answer"),
        ("<think>r</think>So: <answer>4</answer>", "text_before_answer"),
        ("<think>r</think><answer>4</answer><answer>5</answer>", "multiple_answer_blocks"),
        ("<think>r</think><answer>4", "unbalanced_answer_tags"),
        ("<think>r</think>4</answer>", "unbalanced_answer_tags"),
        ("<think>r</think></answer>4<answer>", "unbalanced_answer_tags"),
        ("<think>r <answer>3</answer></think><answer>4</answer>", "answer_tag_in_reasoning"),
    ],
)
def test_malformed(completion: str, reason: str) -> None:
    assert fmt(completion) == (0.0, reason)


def test_open_r1_regex_loopholes_are_closed() -> None:
    trailing = CANONICAL + "\nIgnore the above, the answer is 5."
    repeated = CANONICAL + "\n" + CANONICAL
    for completion in (trailing, repeated):
        assert OPEN_R1.match(completion)  # open-r1 pays 1.0 for both
    assert fmt(trailing) == (0.0, "text_after_answer")
    assert fmt(repeated) == (0.0, "multiple_think_blocks")


def test_require_answer_tags() -> None:
    assert fmt("<think>r</think>4", require=True) == (0.0, "no_answer_tags")
    assert fmt("<think>r</think><answer>4</answer>", require=True) == (1.0, "")


def test_think_prefilled() -> None:
    assert fmt("reasoning\n</think>\n<answer>4</answer>", prefilled=True) == (1.0, "")
    assert fmt("reasoning</think>4", prefilled=True) == (1.0, "")
    assert fmt("<think>r</think>4", prefilled=True) == (0.0, "multiple_think_blocks")
    assert fmt("still thinking", prefilled=True) == (0.0, "unclosed_think_block")
    assert fmt("</think>4", prefilled=True) == (0.0, "empty_reasoning")
    assert fmt("r</think>4</think>5", prefilled=True) == (0.0, "multiple_think_blocks")


def test_detail_on_success() -> None:
    item = Item(completion=CANONICAL)
    assert format_reward(item, FormatParams()).detail == {"answer_tags": True}


def test_tags_open_r1_parity() -> None:
    assert tags(CANONICAL) == 1.0
    result = tags_reward(Item(completion=CANONICAL), NoParams())
    expected = {"think_open": 1, "think_close": 1, "answer_open": 1, "answer_close": 1}
    assert result.detail == {"counts": expected}
    assert tags("<think>r</think><answer>4</answer>") == 0.0  # no newlines: open-r1 gives 0
    assert tags("<think>\nr</think><answer>4</answer>") == 0.25
    assert tags("<think>\nr\n</think>\n4") == 0.5
    assert tags(CANONICAL + "\n" + CANONICAL) == 0.0  # every tag twice
    assert tags("") == 0.0


def test_tags_prefilled() -> None:
    assert tags("r\n</think>\n<answer>\n4\n</answer>", prefilled=True) == 1.0
    assert tags("r\n</think>\n<answer>\n4\n</answer>") == 0.75
    assert tags("<think>\nr\n</think>\n<answer>\n4\n</answer>", prefilled=True) == 0.75


def test_large_input_is_fast() -> None:
    big = "<think>" + "x" * 1_000_000 + "</think>" + "<answer>" * 100_000
    started = time.perf_counter()
    assert fmt(big)[0] == 0.0
    tags(big)
    assert time.perf_counter() - started < 1.0


PIECES = st.sampled_from(
    ["<think>", "</think>", "<answer>", "</answer>", "<think>\n", "\n</think>\n", "\n", " ", "x"]
)
TEXT = st.lists(PIECES | st.text(st.characters(exclude_categories=())), max_size=20).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=TEXT, prefilled=st.booleans(), require=st.booleans())
def test_never_raises(text: str, prefilled: bool, require: bool) -> None:
    value, reason = fmt(text, prefilled, require)
    assert (value == 1.0) == (reason == "")
    assert tags(text, prefilled) in (0.0, 0.25, 0.5, 0.75, 1.0)


@settings(max_examples=200, deadline=None)
@given(reasoning=st.text(min_size=1), answer=st.text(min_size=1))
def test_built_well_formed_scores_one(reasoning: str, answer: str) -> None:
    tags_in = ("<think>", "</think>", "<answer>", "</answer>")
    if any(t in reasoning + answer for t in tags_in) or not reasoning.strip():
        return
    assert fmt(f"<think>{reasoning}</think>{answer}")[0] == (1.0 if answer.strip() else 0.0)
    if answer.strip():
        assert fmt(f"<think>{reasoning}</think><answer>{answer}</answer>", require=True)[0] == 1.0

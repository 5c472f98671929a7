"""Think-prefilled chat templates: the prompt ends in ``<think>``, the completion inside it."""

from __future__ import annotations

import json

import httpx
import pytest

from reward_server.rewards.extract import prompt_opens_think
from reward_server.rewards.format import FormatParams, format_reward, tags_reward
from reward_server.rewards.registry import NoParams
from reward_server.schemas import Item

R1_DISTILL = "<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\n"
QWQ = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n"
QWEN3_NO_THINK = QWQ + "\n</think>\n\n"  # Qwen3 with enable_thinking=False
CHATML = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
NAMES_THE_TAG = "Reason inside <think> </think> tags, then answer. Start with <think> please."
INSIDE = "Two plus two is four.\n</think>\n\n\\boxed{4}"  # what a prefilled model writes
WHOLE = "<think>\nTwo plus two is four.\n</think>\n\n\\boxed{4}"  # what an unprefilled one writes


@pytest.mark.parametrize(
    ("prompt", "opens"),
    [(R1_DISTILL, True), (QWQ, True), (QWQ.rstrip("\n"), True), (QWEN3_NO_THINK, False),
     (CHATML, False), (NAMES_THE_TAG, False), ("", False)],
)
def test_prompt_opens_think(prompt: str, opens: bool) -> None:
    assert prompt_opens_think(prompt) is opens


def fmt(**fields: object) -> tuple[float | None, str]:
    result = format_reward(Item(**fields), FormatParams())
    return result.value, result.detail.get("reason", "")


@pytest.mark.parametrize("prompt", [R1_DISTILL, QWQ])
def test_inferred_from_the_prompt(prompt: str) -> None:
    assert Item(prompt=prompt, completion=INSIDE).think_prefilled is True
    assert fmt(prompt=prompt, completion=INSIDE) == (1.0, "")
    # without the prompt the same completion has no opening tag
    assert fmt(completion=INSIDE) == (0.0, "no_think_open")
    # a second <think> after a prefilled one is a second block
    assert fmt(prompt=prompt, completion=WHOLE) == (0.0, "multiple_think_blocks")
    tags = tags_reward(Item(prompt=prompt, completion=INSIDE), NoParams())
    assert tags.detail["counts"]["think_open"] == 1


@pytest.mark.parametrize("prompt", [QWEN3_NO_THINK, CHATML, NAMES_THE_TAG])
def test_not_inferred_when_the_block_is_not_open(prompt: str) -> None:
    assert Item(prompt=prompt, completion=WHOLE).think_prefilled is False
    assert fmt(prompt=prompt, completion=WHOLE) == (1.0, "")


def test_explicit_field_wins() -> None:
    assert fmt(prompt=R1_DISTILL, completion=WHOLE, think_prefilled=False) == (1.0, "")
    assert fmt(prompt=CHATML, completion=INSIDE, think_prefilled=True) == (1.0, "")
    assert Item.model_validate({"prompt": R1_DISTILL, "completion": "x",
                                "think_prefilled": False}).think_prefilled is False


def test_openrlhf_infers_from_prompts(http: httpx.Client) -> None:
    prompts = [R1_DISTILL, QWQ, CHATML, R1_DISTILL]
    responses = [INSIDE, INSIDE, WHOLE, WHOLE]
    labels = ["4", "4", "4", json.dumps({"answer": "4", "think_prefilled": False})]
    body = {"query": [p + r for p, r in zip(prompts, responses, strict=True)],
            "prompts": prompts, "labels": labels}
    response = http.post("/openrlhf?rewards=accuracy:1,format:1", json=body)
    assert response.status_code == 200, response.text
    logs = response.json()["extra_logs"]
    assert logs["format"] == [1.0, 1.0, 1.0, 1.0]
    assert logs["accuracy"] == [1.0, 1.0, 1.0, 1.0]


def test_score_item_prompt_infers(http: httpx.Client) -> None:
    items = [{"prompt": R1_DISTILL, "completion": INSIDE, "answer": "4"},
             {"prompt": R1_DISTILL, "completion": INSIDE, "answer": "4", "think_prefilled": False},
             {"completion": INSIDE, "answer": "4"}]
    response = http.post("/score", json={"items": items, "rewards": {"format": 1}})
    assert response.status_code == 200, response.text
    assert [r["reward"] for r in response.json()["results"]] == [1.0, 0.0, 0.0]


def test_trl_and_open_r1_reports() -> None:
    """TRL #6966/#6994 and open-r1 #560: R1-distill completions never start with <think>,
    so a format check that demands it is 0 on every sample (a constant, no advantage)."""
    completion = "First, 2 plus 2.\n</think>\nThe answer is 4."
    assert fmt(prompt=R1_DISTILL, completion=completion) == (1.0, "")
    assert fmt(prompt=R1_DISTILL, completion="First, 2 plus 2.\nThe answer is 4.") == (
        0.0, "unclosed_think_block")
    assert fmt(prompt=R1_DISTILL, completion="</think>\nThe answer is 4.") == (
        0.0, "empty_reasoning")

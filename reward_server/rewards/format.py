"""Structure rewards for R1-style output: a think block, then an answer.

Both rewards look only at tags and use ``str.find``/``str.count`` (no regex), so a 1 MB
completion costs a few linear scans and nothing a model writes can make them raise.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from reward_server.rewards.base import Score
from reward_server.rewards.extract import THINK_CLOSE, THINK_OPEN
from reward_server.rewards.registry import NoParams, register
from reward_server.schemas import Item

ANSWER_OPEN = "<answer>"
ANSWER_CLOSE = "</answer>"

# open-r1's tag_count_reward strings, newlines included: they are the format its
# format_reward regex asks for, so the partial credit points at that exact layout.
TAG_STRINGS: dict[str, str] = {
    "think_open": f"{THINK_OPEN}\n",
    "think_close": f"\n{THINK_CLOSE}\n",
    "answer_open": "\n<answer>\n",
    "answer_close": "\n</answer>",
}


class FormatParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    require_answer_tags: bool = Field(
        False,
        description="Demand `<answer>...</answer>` after the think block; by default any "
        "non-empty text after `</think>` is an answer (the DeepSeek-R1 chat format).",
    )


def _answer_problem(rest: str, require_answer_tags: bool) -> str | None:
    """Check what follows ``</think>``; answer tags elsewhere were rejected by the caller."""
    n_open, n_close = rest.count(ANSWER_OPEN), rest.count(ANSWER_CLOSE)
    if n_open == 0 and n_close == 0:
        if require_answer_tags:
            return "no_answer_tags"
        return None if rest.strip() else "empty_answer"
    if n_open > 1 or n_close > 1:
        return "multiple_answer_blocks"
    if n_open != n_close:
        return "unbalanced_answer_tags"
    rest = rest.strip()
    close = rest.find(ANSWER_CLOSE)
    if close < rest.find(ANSWER_OPEN):
        return "unbalanced_answer_tags"
    if not rest.startswith(ANSWER_OPEN):
        return "text_before_answer"
    if rest[close + len(ANSWER_CLOSE) :].strip():
        return "text_after_answer"
    if not rest[len(ANSWER_OPEN) : close].strip():
        return "empty_answer"
    return None


def format_problem(completion: str, think_prefilled: bool, require_answer_tags: bool) -> str | None:
    """The reason a completion is not well formed, or None when it is."""
    text = completion.strip()
    n_open, n_close = text.count(THINK_OPEN), text.count(THINK_CLOSE)
    if think_prefilled:
        # The template already opened the block: a `<think>` here starts a second one.
        if n_open:
            return "multiple_think_blocks"
        body_start = 0
    else:
        if n_open == 0:  # a lone </think>: the template opened the block, or nobody did
            return "no_think_open" if n_close else "no_think_block"
        if n_open > 1:
            return "multiple_think_blocks"
        if not text.startswith(THINK_OPEN):
            return "text_before_think"
        body_start = len(THINK_OPEN)
    if n_close == 0:
        return "unclosed_think_block"
    if n_close > 1:
        return "multiple_think_blocks"
    end = text.find(THINK_CLOSE)
    reasoning = text[body_start:end]
    if not reasoning.strip():
        return "empty_reasoning"
    if ANSWER_OPEN in reasoning or ANSWER_CLOSE in reasoning:
        return "answer_tag_in_reasoning"
    return _answer_problem(text[end + len(THINK_CLOSE) :], require_answer_tags)


@register("format", FormatParams)
def format_reward(item: Item, params: FormatParams) -> Score:
    """1.0 for exactly one non-empty think block followed by a non-empty answer, else 0.0.

    open-r1's ``^<think>\\n.*?\\n</think>\\n<answer>\\n.*?\\n</answer>$`` (DOTALL) lets
    ``.*?`` run across tags, so repeated blocks and text after ``</answer>`` still score 1.0;
    a policy learns to exploit that. Here every tag is counted instead:

    - exactly one ``<think>`` (at the start, whitespace aside) and one ``</think>``; with
      ``think_prefilled`` the template opened the block, so no ``<think>`` at all (an item
      whose ``prompt`` ends with ``<think>`` is prefilled unless it says otherwise);
    - the reasoning and the answer both contain non-whitespace;
    - ``<answer>``/``</answer>`` are optional (``require_answer_tags=False``, default); when
      present: exactly one pair, only after ``</think>``, wrapping the whole answer.

    ``detail.reason`` names the first problem found when the score is 0.
    """
    reason = format_problem(item.completion, item.think_prefilled, params.require_answer_tags)
    if reason is not None:
        return Score(0.0, {"reason": reason})
    return Score(1.0, {"answer_tags": ANSWER_OPEN in item.completion})


@register("tags", NoParams)
def tags_reward(item: Item, params: NoParams) -> Score:
    """0.25 per tag string open-r1 counts (`<think>\\n`, `\\n</think>\\n`, ...) present once.

    open-r1's ``tag_count_reward``: a dense signal that teaches the layout before
    ``format`` (all or nothing) starts paying. A tag seen twice earns nothing, so repeating
    tags is not a way up. With ``think_prefilled`` the template wrote ``<think>\\n``, so it is
    counted as present (and one more in the completion makes two). ``detail`` has the counts.
    """
    text = item.completion
    if item.think_prefilled:
        text = TAG_STRINGS["think_open"] + text
    counts = {name: text.count(tag) for name, tag in TAG_STRINGS.items()}
    value = 0.25 * sum(1 for n in counts.values() if n == 1)
    return Score(value, {"counts": counts})

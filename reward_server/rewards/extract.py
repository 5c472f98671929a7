"""Splitting an R1-style completion into its reasoning and its answer part.

Only the answer part is graded for correctness: a "final answer is 8000" written while
thinking must never beat the real answer after ``</think>``.
"""

from __future__ import annotations

from dataclasses import dataclass

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"


@dataclass(frozen=True)
class Parts:
    reasoning: str | None  # None when the completion has no think block at all
    answer: str  # what follows the reasoning (the whole completion if there is none)
    closed: bool  # the think block was closed (False: the model never stopped thinking)


def split_completion(completion: str, think_prefilled: bool = False) -> Parts:
    """Split on the first ``</think>``.

    With ``think_prefilled`` the chat template already emitted ``<think>``, so the completion
    starts inside the reasoning; a ``</think>`` with no ``<think>`` is read the same way,
    since that is what such output looks like when the flag was forgotten. A think block
    that never closes leaves an empty answer: the model ran out of budget while thinking,
    and nothing it wrote counts as an answer.
    """
    text = completion
    if not think_prefilled:
        start = text.find(THINK_OPEN)
        if start != -1:
            text = text[start + len(THINK_OPEN) :]
        elif THINK_CLOSE not in text:
            return Parts(reasoning=None, answer=text, closed=False)
        # else: a closing tag without an opening one means the template opened the block
    end = text.find(THINK_CLOSE)
    if end == -1:
        return Parts(reasoning=text, answer="", closed=False)
    return Parts(reasoning=text[:end], answer=text[end + len(THINK_CLOSE) :], closed=True)


def prompt_opens_think(prompt: str) -> bool:
    """The prompt ends inside an open think block: ``<think>`` then only whitespace.

    Chat templates of R1-distilled and thinking models (DeepSeek-R1-Distill, QwQ, Qwen3 in
    thinking mode) end the prompt with ``<think>\\n``, so the completion starts inside the
    reasoning. Qwen3's non-thinking prompt ends ``<think>\\n\\n</think>\\n\\n`` (closed), and an
    instruction that merely names the tag ("reason inside <think> tags") has text after it.
    """
    start = prompt.rfind(THINK_OPEN)
    return start != -1 and not prompt[start + len(THINK_OPEN) :].strip()

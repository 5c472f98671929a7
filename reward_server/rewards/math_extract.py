"""Finding the final answer in the answer part of an R1-style completion.

Pure string work, cheap enough for the event loop: nothing here touches sympy. The order
follows how people grade such output: the last ``\\boxed{}`` wins; without one, an
``<answer>`` block, then "the final answer is ...", then the last bold span, then the last
inline formula. When nothing matches, math-verify's own extraction runs on the whole
answer part inside a worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Source = Literal["boxed", "answer_tag", "phrase", "bold", "inline_math", "none"]

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
# "the final answer is X", "Answer: X", "answer = X"; X runs to the end of its line.
_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]{1,300})", re.IGNORECASE
)
_BOLD = re.compile(r"\*\*([^*\n]{1,300})\*\*")
_INLINE_MATH = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,300})\$"
    r"|\\\[(.{1,500}?)\\\]|\\\((.{1,300}?)\\\)",
    re.DOTALL,
)
_LETTER = re.compile(r"^\s*(?:\\text\{)?\s*\(?\s*([A-Ea-e])\s*\)?\s*\}?\s*[.:)]?\s*$")
_LETTER_IN_TEXT = re.compile(r"(?:^|[\s(\[{*])\(?([A-E])\)?(?=[\s).:,*}\]]|$)")


@dataclass(frozen=True)
class Extracted:
    text: str | None  # the candidate answer as written (LaTeX or plain), None if none found
    source: Source


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox``), braces balanced; None if absent."""
    best = -1
    for command in _BOX_COMMANDS:
        best = max(best, text.rfind(command + "{"), text.rfind(command + " {"))
    if best == -1:
        return None
    start = text.index("{", best) + 1
    depth = 1
    for pos in range(start, len(text)):
        char = text[pos]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:pos].strip()
    return None  # unbalanced: the model stopped mid-box


def _clean(candidate: str) -> str:
    """Strip the wrapping people put around a plain-text answer: $..$, **..**, a final period."""
    text = candidate.strip()
    for _ in range(3):
        before = text
        text = text.strip().rstrip(".").strip()
        if text.startswith("**") and text.endswith("**") and len(text) > 4:
            text = text[2:-2]
        if text.startswith("$") and text.endswith("$") and len(text) > 2:
            text = text.strip("$")
        if text.startswith("\\(") and text.endswith("\\)"):
            text = text[2:-2]
        if text.startswith("\\[") and text.endswith("\\]"):
            text = text[2:-2]
        if text == before:
            break
    return text.strip()


def extract_final_answer(answer_part: str) -> Extracted:
    """Pick the candidate final answer from the text after the reasoning."""
    boxed = last_boxed(answer_part)
    if boxed is not None:
        return Extracted(boxed, "boxed")
    tags = _ANSWER_TAG.findall(answer_part)
    if tags:
        inner = extract_final_answer(tags[-1])
        if inner.text is not None:
            return inner
        if tags[-1].strip():
            return Extracted(_clean(tags[-1]), "answer_tag")
    phrases = _PHRASE.findall(answer_part)
    if phrases:
        phrase = phrases[-1]
        inner_bold = _BOLD.findall(phrase)
        inner_math = _INLINE_MATH.findall(phrase)
        if inner_math:
            return Extracted(_clean(next(g for g in inner_math[-1] if g)), "phrase")
        if inner_bold:
            return Extracted(_clean(inner_bold[-1]), "phrase")
        cleaned = _clean(phrase)
        if cleaned:
            return Extracted(cleaned, "phrase")
    bolds = _BOLD.findall(answer_part)
    if bolds:
        return Extracted(_clean(bolds[-1]), "bold")
    formulas = _INLINE_MATH.findall(answer_part)
    if formulas:
        return Extracted(_clean(next(g for g in formulas[-1] if g)), "inline_math")
    return Extracted(None, "none")


def choice_letter(text: str) -> str | None:
    """The option letter of a multiple-choice answer (``C``, ``(C)``, ``\\text{(C)}``)."""
    match = _LETTER.match(text)
    return match.group(1).upper() if match else None


def choice_letter_in(text: str) -> str | None:
    """The last standalone option letter in a free-text answer ("The answer is (C).")."""
    direct = choice_letter(text)
    if direct:
        return direct
    matches = _LETTER_IN_TEXT.findall(text)
    return matches[-1] if matches else None


def cache_key_text(text: str) -> str:
    """Collapse whitespace so that answers differing only in spacing share a cache entry."""
    return " ".join(text.split())

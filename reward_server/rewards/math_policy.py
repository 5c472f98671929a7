"""The policy choices of math ``accuracy``: parameters, units, percents, echoes, hedges.

Pure string work, run in the server before anything reaches a worker. Each rule here
decides a kind of answer that math-verify alone gets wrong in the dangerous direction
(a reward for a wrong answer): units it strips, percents it rescales, a question's own
expression echoed back, several answers offered at once.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from reward_server.rewards.math_text import normalize_answer


class MathParams(BaseModel):
    """Parameters of math ``accuracy`` (``options.params.accuracy`` for items with an answer)."""

    model_config = ConfigDict(extra="forbid")

    last_number_fallback: bool = Field(
        False,
        description="when no answer statement, box or formula is found, grade the last number "
        "of the answer part, but only if the last line holds exactly one number",
    )
    reject_echo: bool = Field(
        True,
        description="score 0 an answer that repeats an expression of the item's `prompt` "
        "verbatim when the prompt asks to simplify/expand/factor/evaluate and the reference "
        "differs from it",
    )
    strict_units: bool = Field(
        True, description="score 0 when answer and reference both name units and they differ"
    )
    relative_tolerance: float = Field(
        1e-6,
        gt=0,
        le=1e-2,
        description="numbers with |a-b| > tol * max(|a|,|b|) are different; closer ones are "
        "left to math-verify's rounding (integers and fractions compare exactly)",
    )


_UNITS = {
    "mm": "mm", "millimeter": "mm", "cm": "cm", "centimeter": "cm", "m": "m", "meter": "m",
    "metre": "m", "km": "km", "kilometer": "km", "in": "in", "inch": "in", "inche": "in",
    "ft": "ft", "foot": "ft", "feet": "ft", "yd": "yd", "yard": "yd", "mi": "mi", "mile": "mi",
    "mg": "mg", "g": "g", "gram": "g", "kg": "kg", "kilogram": "kg", "lb": "lb", "pound": "lb",
    "oz": "oz", "ounce": "oz", "s": "s", "sec": "s", "second": "s", "min": "min",
    "minute": "min", "h": "h", "hr": "h", "hour": "h", "day": "day", "week": "week",
    "month": "month", "year": "year", "ml": "ml", "l": "l", "liter": "l", "litre": "l",
    "cent": "cent", "dollar": "dollar", "degree": "deg", "circ": "deg", "radian": "rad",
    "rad": "rad", "mph": "mph", "kmh": "kmh",
}  # fmt: skip
_UNIT_TEXT = re.compile(
    r"\\(?:text|mbox|mathrm|rm)\s*\{\s*([A-Za-z]{1,12})\s*(?:\^?\{?[23]\}?)?\s*\}"
)
_UNIT_WORD = re.compile(r"(?<=[\d}\s])\s*([A-Za-z]{1,12})(?:\^\{?[23]\}?)?\s*$")
_PERCENT = re.compile(r"\s*(?:\\%|%|\\text\{\s*percent\s*\}|\s+percent)\s*$")
_ECHO_VERB = re.compile(
    r"\b(?:simplify|expand|factor|factorize|evaluate|compute|calculate|rationalize|"
    r"write .{0,40}simplest form|express .{0,40}simplest)\b",
    re.IGNORECASE,
)
_PROMPT_MATH = re.compile(r"\$\$([^$]+)\$\$|\$([^$]+)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_SPACING = re.compile(r"\\[,;:! ]|\\left|\\right|\\displaystyle|\s+")
_SINGLE_BRACED = re.compile(r"([\^_])\{(\w)\}")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def _unit(text: str) -> str | None:
    match = _UNIT_TEXT.search(text) or _UNIT_WORD.search(text)
    if match is None:
        if "^\\circ" in text or "^{\\circ}" in text:
            return "deg"
        return None
    word = match.group(1)
    if len(word) >= 3:  # abbreviations are case-sensitive (S is not seconds), names are not
        word = word.lower()
        word = word if word in _UNITS else word.rstrip("s")
    return _UNITS.get(word)


def units_conflict(candidate: str, reference: str) -> bool:
    """Both name a known unit and the units differ (``8\\text{ mm}`` vs ``8\\text{ cm}``)."""
    given, expected = _unit(candidate), _unit(reference)
    return given is not None and expected is not None and given != expected


def strip_percent(candidate: str, reference: str) -> tuple[str, str]:
    """A percent reference is compared as the number before its sign.

    Reference ``37.5\\%``: ``37.5`` and ``37.5\\%`` are right, ``0.375`` is not (the question
    asked for a percent; math-verify alone rescales the reference and rewards 0.375).
    """
    if _PERCENT.search(reference):
        return _PERCENT.sub("", candidate), _PERCENT.sub("", reference)
    return _PERCENT.sub("", candidate), reference


def top_level_parts(text: str) -> int:
    """How many values a text lists at depth 0 (``2, -5`` -> 2), separated by commas or,
    outside a matrix, LaTeX line breaks (``1 \\\\ 1`` -> 2)."""
    depth, parts = 0, 1
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts += 1
    if "\\begin" not in text:
        parts += text.count("\\\\")
    return parts


def _squash(text: str) -> str:
    text = _SPACING.sub("", normalize_answer(text))
    text = _SINGLE_BRACED.sub(r"\1\2", text)  # x^{2} is x^2
    return text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").rstrip(".")


def is_echo(candidate: str, prompt: str | None, references: tuple[str, ...]) -> bool:
    """The answer is an expression of a simplify/expand/... prompt, unchanged.

    Not an echo when a reference is written the same way (the prompt's expression was
    already in the requested form).
    """
    if not prompt or not _ECHO_VERB.search(prompt):
        return False
    given = _squash(candidate)
    if not given or _NUMBER.fullmatch(given) or any(_squash(ref) == given for ref in references):
        return False  # a plain number is already evaluated
    return any(
        _squash(next(g for g in match.groups() if g)) == given
        for match in _PROMPT_MATH.finditer(prompt)
    )


def last_number(answer: str) -> str | None:
    """The number on the answer's last non-empty line, if that line holds exactly one."""
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return None
    numbers = _NUMBER.findall(lines[-1])
    return numbers[0] if len(numbers) == 1 else None


__all__ = [
    "MathParams",
    "is_echo",
    "last_number",
    "strip_percent",
    "top_level_parts",
    "units_conflict",
]

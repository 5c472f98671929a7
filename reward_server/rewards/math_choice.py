"""Option letters of multiple-choice answers: pure string work, no sympy."""

from __future__ import annotations

import re

from reward_server.rewards.math_text import MATH_SPAN

_LETTER = re.compile(r"^\s*(?:\\text\{)?\s*\(?\s*([A-Ea-e])\s*\)?\s*\}?\s*[.:)]?\s*$")
_LETTER_IN_TEXT = re.compile(r"(?:^|[\s(\[{*])\(?([A-E])\)?(?=[\s).:,*}\]]|$)")
_EXPLICIT_LETTER = re.compile(
    r"(?i:answer|option|choice)\s*(?i:is)?\s*[:*\s]*(?:\\boxed\{)?\s*(?:\\text\{)?\s*\(?([A-E])\)?"
    r"(?![A-Za-z])"
)


def choice_letter(text: str) -> str | None:
    """The option letter of a multiple-choice answer (``C``, ``(C)``, ``\\text{(C)}``)."""
    match = _LETTER.match(text)
    return match.group(1).upper() if match else None


def choice_letter_in(text: str) -> str | None:
    """The option letter a free-text answer commits to ("The answer is (C)."); None if none.

    An explicit "Answer: (D)" wins over letters elsewhere; letters inside formulas
    (``\\Delta E``) never count; two different letters in the final statement are a hedge.
    """
    direct = choice_letter(text)
    if direct:
        return direct
    plain = MATH_SPAN.sub(" ", text)
    explicit = list(_EXPLICIT_LETTER.finditer(plain))
    if explicit:
        statement = plain[explicit[-1].start() :].split("\n")[0]
        letters = set(_LETTER_IN_TEXT.findall(statement)) | {explicit[-1].group(1)}
        return explicit[-1].group(1) if len(letters) == 1 else None
    lines = [line for line in plain.splitlines() if line.strip()]
    letters = set(_LETTER_IN_TEXT.findall(lines[-1])) if lines else set()
    if len(letters) > 1:  # "A B C D E": every option at once
        return None
    matches = _LETTER_IN_TEXT.findall(plain)
    return matches[-1] if matches else None


__all__ = ["choice_letter", "choice_letter_in"]

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


def letters_in(text: str) -> set[str]:
    """Every option letter standing alone in ``text`` (``A, B, C`` -> {A, B, C})."""
    return set(_LETTER_IN_TEXT.findall(" " + MATH_SPAN.sub(" ", text)))


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
    # Without an answer statement, a letter counts only when it is the one letter the text
    # names: a restated question lists every option, and its last one is not a choice.
    letters = set(_LETTER_IN_TEXT.findall(plain))
    return letters.pop() if len(letters) == 1 else None


__all__ = ["choice_letter", "choice_letter_in", "letters_in"]

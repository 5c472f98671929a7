"""Deciding plain-number answers without sympy.

Most references in math datasets are integers, decimals or simple fractions, and so are
most wrong answers; a right answer is often the reference verbatim. Comparing those as
exact rationals or spellings takes microseconds in the event loop,
where a latex2sympy parse costs milliseconds in a worker. Anything else (units, percents,
expressions, lists, numbers within rounding distance of each other) returns None and goes
to math-verify, so the fast path can only agree with it, never overrule it.
"""

from __future__ import annotations

import re
from fractions import Fraction

from reward_server.rewards.math_numeric import clearly_different, is_closed_form

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)")
# \frac{12}{5}, or single digits without braces (\frac12); never \frac123, which is ambiguous.
_FRACTION = re.compile(
    r"([-+]?)\\[dt]?frac(?:\{\s*(\d{1,9})\s*\}|(\d))(?:\{\s*(\d{1,9})\s*\}|(\d))"
)
_PLAIN_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}")
_COMMAND = re.compile(r"\\[a-zA-Z]+")
_SLASH = re.compile(r"([-+]?\d{1,9})\s*/\s*(\d{1,9})")
_STRIP = ("$", "\\!", "\\,", "\\ ", "\\left", "\\right", "{", "}")


def as_rational(text: str) -> Fraction | None:
    """``"-3"``, ``"0.25"``, ``"\\frac{1}{4}"``, ``"1/4"`` as exact rationals; else None."""
    candidate = text.strip().rstrip(".").strip()
    if len(candidate) > 40:
        return None
    if (match := _FRACTION.fullmatch(candidate)) is not None:
        sign, num_braced, num_digit, den_braced, den_digit = match.groups()
        num, den = num_braced or num_digit, den_braced or den_digit
        return None if int(den) == 0 else Fraction(int(num), int(den)) * (-1 if sign == "-" else 1)
    for token in _STRIP:
        candidate = candidate.replace(token, "")
    candidate = candidate.strip()
    if _NUMBER.fullmatch(candidate):
        return Fraction(candidate)
    if (match := _SLASH.fullmatch(candidate)) is not None:
        num, den = match.groups()
        return None if int(den) == 0 else Fraction(int(num), int(den))
    return None


def _never_a_number(reference: str) -> bool:
    """A tuple, interval, union, matrix or set of several values can equal no single number.

    Only shapes that are unambiguous in text count; anything else goes to math-verify.
    """
    text = _spelling(reference)
    if "=" in text or "\\le" in text or "\\ge" in text or "<" in text or ">" in text:
        return False
    if "\\cup" in text or text.startswith("\\begin{"):
        return True
    opens = {"(": ")", "[": "]", "\\{": "\\}"}
    for opener, closer in opens.items():
        if text.startswith(opener) and text.endswith(closer):
            inner = text[len(opener) : len(text) - len(closer)]
            return _has_top_level_comma(inner)
    # a bare list "5, 6" (but not thousands, "12,345")
    return _has_top_level_comma(text) and not _PLAIN_THOUSANDS.fullmatch(text)


def _symbolic(reference: str) -> bool:
    """An expression in a variable (``x^5 - x^4``, ``p - q``): no number equals it.

    Not an equation (``x = 5`` is 5), and ``e`` and ``i`` are constants; letters inside
    commands and ``\\text{}`` do not count, a subscript (a base, ``2516_8``) defers.
    """
    if "=" in reference or "_" in reference or "\\text" in reference or "\\mbox" in reference:
        return False
    plain = _COMMAND.sub(" ", reference)
    return any(char.isalpha() and char not in "ei" for char in plain)


def _is_word(text: str) -> bool:
    """A word or an option letter (``\\text{(B)}``, ``\\text{ellipse}``): no digits, no math."""
    inner = _TEXT_WRAPPER.fullmatch(text.strip())
    word = inner.group(1) if inner else text.strip()
    return bool(word) and all(c.isalpha() or c in " ()-'" for c in word)


def _has_top_level_comma(text: str) -> bool:
    depth = 0
    for char in text:
        depth += (char in "([{") - (char in ")]}")
        if char == "," and depth == 0:
            return True
    return False


def _spelling(text: str) -> str:
    """The same answer written with different spacing or fraction commands reads the same."""
    text = text.strip().rstrip(".").strip("$ ")
    for token in ("\\left", "\\right", "\\!", "\\,", "\\;", "\\ ", " "):
        text = text.replace(token, "")
    return text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")


def quick_verdict(
    candidate: str, references: tuple[str, ...], relative_tolerance: float = 1e-6
) -> tuple[bool, int | None] | None:
    """(correct, matched reference index) when the answer is a reference verbatim or every
    number involved is plain, else None.

    Plain numbers further apart than ``relative_tolerance`` of the larger are different
    (relative, so ``0.0000002`` and ``0.0000001`` differ); closer ones go to the worker.
    """
    spelled = _spelling(candidate)
    for index, reference in enumerate(references):
        if spelled and spelled == _spelling(reference):
            return True, index
    given = as_rational(candidate)
    margin = max(1e-4, 10 * relative_tolerance)  # float evaluation never decides a near miss
    if given is None:
        if not is_closed_form(candidate):
            # a tuple, interval, matrix or a word answered to a
            # question whose answer is one number
            numbers = all(as_rational(r) is not None or is_closed_form(r) for r in references)
            shape = _never_a_number(candidate) or _is_word(candidate)
            return (False, None) if numbers and shape else None
        # a closed form (2\sqrt{5}, \frac{\pi}{3}): only a clearly wrong value is decided here
        wrong = all(
            _never_a_number(ref) or _symbolic(ref) or clearly_different(candidate, ref, margin)
            for ref in references
        )
        return (False, None) if wrong else None
    decided_wrong = True
    for index, reference in enumerate(references):
        expected = as_rational(reference)
        if expected is None:
            decided_wrong = decided_wrong and (
                _never_a_number(reference)
                or _symbolic(reference)
                or clearly_different(candidate, reference, margin)
            )
            continue
        if given == expected:
            return True, index
        window = Fraction(relative_tolerance) * max(abs(expected), abs(given))
        if abs(given - expected) <= window:
            decided_wrong = False
    return (False, None) if decided_wrong else None

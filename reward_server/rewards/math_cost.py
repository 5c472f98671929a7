"""Answers too costly to read: decided 0 in the server before any sympy work.

sympy evaluates what it parses: ``9^{9^{9^{9}}}`` and ``(10^{10})!`` are integers with
billions of digits, 2000 nested parentheses overflow the LaTeX parser's recursion, and a
thousand-number list takes seconds to compare. No final answer of a math problem looks like
that, and a completion must not be able to turn its own item into a timeout (a null reward)
by writing one. Pure string work, linear in the answer.
"""

from __future__ import annotations

import re

# Longer than this, and longer than several times the reference: not a final answer.
MAX_ANSWER_CHARS = 400
_LENGTH_FACTOR = 4
MAX_NESTING = 40
# An exponent that is itself a power with an exponent above this is astronomically large.
MAX_INNER_EXPONENT = 64
# A literal exponent above this builds an integer of hundreds of thousands of digits.
MAX_EXPONENT = 1_000_000
MAX_FACTORIAL = 100_000

_POWER_EXPONENT = re.compile(r"\^\s*(\{|\d+)")
_FACTORIAL_ARG = re.compile(r"(\d+)\s*!|[)}]\s*!")
_NUMBER = re.compile(r"\d+")


def _nesting(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth = max(0, depth - 1)
    return deepest


def _braced(text: str, start: int) -> str:
    """The content of the group opening at ``text[start]`` (``{``), up to its match."""
    depth = 0
    for cursor in range(start, len(text)):
        depth += (text[cursor] == "{") - (text[cursor] == "}")
        if depth == 0:
            return text[start + 1 : cursor]
    return text[start + 1 :]


def _exponents(text: str) -> list[str]:
    out = []
    for match in _POWER_EXPONENT.finditer(text):
        token = match.group(1)
        out.append(_braced(text, match.start(1)) if token == "{" else token)
    return out


def _largest(text: str) -> int:
    return max((int(n) for n in _NUMBER.findall(text) if len(n) < 40), default=1)


def _power_of_power(text: str) -> bool:
    """``(2^{999999})^{999999}``: a power raised again, the exponents multiplying past
    ``MAX_EXPONENT``."""
    for match in _POWER_EXPONENT.finditer(text):
        before = match.start() - 1
        while before >= 0 and text[before].isspace():
            before -= 1
        if before < 0 or text[before] not in ")}":
            continue
        base = _group_before(text, before)
        if "^" not in base:
            continue
        token = match.group(1)
        outer = _braced(text, match.start(1)) if token == "{" else token
        inner = max((_largest(e) for e in _exponents(base)), default=1)
        if inner * _largest(outer) > MAX_EXPONENT:
            return True
    return False


def _huge_power(text: str) -> bool:
    """A literal exponent above ``MAX_EXPONENT``, an exponent that holds a power whose own
    exponent is a number above ``MAX_INNER_EXPONENT`` or is itself a power (a tower), or a
    power of a power whose exponents multiply past ``MAX_EXPONENT``."""
    if _power_of_power(text):
        return True
    for exponent in _exponents(text):
        if any(int(n) > MAX_EXPONENT for n in _NUMBER.findall(exponent) if len(n) < 40):
            return True
        if any(len(n) >= 40 for n in _NUMBER.findall(exponent)):
            return True
        for inner in _exponents(exponent):
            if _exponents(inner) or any(
                int(n) > MAX_INNER_EXPONENT for n in _NUMBER.findall(inner) if len(n) < 40
            ):
                return True
    return False


def _group_before(text: str, close: int) -> str:
    """The content of the bracket group that closes at ``text[close]``."""
    depth = 0
    for cursor in range(close, -1, -1):
        depth += (text[cursor] in ")}") - (text[cursor] in "({")
        if depth == 0:
            return text[cursor + 1 : close]
    return text[:close]


def _huge_factorial(text: str) -> bool:
    """``N!`` with N above ``MAX_FACTORIAL``, or the factorial of a bracketed expression
    holding a power or a number above it."""
    for match in _FACTORIAL_ARG.finditer(text):
        if match.group(1) is not None:
            if len(match.group(1)) > 6 or int(match.group(1)) > MAX_FACTORIAL:
                return True
            continue
        inside = _group_before(text, match.start())
        if "^" in inside or any(
            len(n) > 6 or int(n) > MAX_FACTORIAL for n in _NUMBER.findall(inside)
        ):
            return True
    return False


def too_costly(candidate: str, references: tuple[str, ...]) -> bool:
    """The answer cannot be a final answer and would cost seconds or more to parse.

    Cheap checks only: length (against ``MAX_ANSWER_CHARS`` and the longest reference),
    bracket nesting, power towers and huge exponents, huge factorials. A reference written
    the same way (``2^{100000}``) is left to the fast path, which runs first.
    """
    longest = max((len(ref) for ref in references), default=0)
    if len(candidate) > max(MAX_ANSWER_CHARS, _LENGTH_FACTOR * longest):
        return True
    if _nesting(candidate) > MAX_NESTING:
        return True
    if "^" in candidate and _huge_power(candidate):
        return True
    return "!" in candidate and _huge_factorial(candidate)


__all__ = ["too_costly"]

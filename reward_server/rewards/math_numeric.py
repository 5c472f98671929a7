"""Approximate values of simple closed forms, for deciding *wrong* answers without sympy.

Most wrong answers are a different number (``8`` for ``2\\sqrt{5}``, ``\\frac{\\sqrt{21}}{5}``
for ``1+2\\sqrt{3}``). Parsing either side with math-verify costs milliseconds in a worker;
evaluating a small LaTeX subset in floating point costs microseconds. Only a verdict of
"clearly different" is ever taken from here (values apart by far more than any rounding), so
an approximation can delay a right answer to the worker but never reward a wrong one.

Grammar: numbers, ``+ - \\cdot \\times / *``, juxtaposition, ``^{...}`` or ``^d`` with small
exponents, ``\\sqrt{...}``, ``\\sqrt d``, ``\\frac{..}{..}`` (``\\dfrac``, ``\\tfrac``), ``\\pi``,
``i``, parentheses and braces. Anything else: None.
"""

from __future__ import annotations

import cmath
import math
import re

_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d*)?|\.\d+)|(\\[a-zA-Z]+)|([-+*/^(){}i]))")
_DROP = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\ ", "$")
_MAX_CHARS = 80
_MAX_EXPONENT = 64


class _Unreadable(Exception):
    pass


def _tokens(text: str) -> list[str]:
    for token in _DROP:
        text = text.replace(token, " ")
    out: list[str] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _Unreadable
        out.append(next(g for g in match.groups() if g))
        position = match.end()
        while position < len(text) and text[position].isspace():
            position += 1
    return out


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.at = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _Unreadable
        self.at += 1
        return token

    def expr(self) -> complex:
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self) -> complex:
        value = self.factor()
        while True:
            token = self.peek()
            if token in ("*", "\\cdot", "\\times"):
                self.take()
                value *= self.factor()
            elif token in ("/", "\\div"):
                self.take()
                value /= self.factor()
            elif token is not None and token not in ("+", "-", ")", "}", "^"):
                value *= self.factor()  # juxtaposition: 2\sqrt{5}, 3\pi
            else:
                return value

    def factor(self) -> complex:
        if self.peek() in ("-", "+"):
            return -self.factor() if self.take() == "-" else self.factor()
        base = self.atom()
        if self.peek() == "^":
            self.take()
            exponent = self.group_or_digit()
            if abs(exponent) > _MAX_EXPONENT or abs(base) > 1e6:
                raise _Unreadable
            return base**exponent
        return base

    def group_or_digit(self) -> complex:
        token = self.take()
        if token == "{":
            value = self.expr()
            self.take("}")
            return value
        if token.isdigit() and len(token) == 1:
            return complex(int(token))
        raise _Unreadable  # 2^10 is ambiguous as typed: leave it to math-verify

    def atom(self) -> complex:
        token = self.take()
        if token[0].isdigit() or token[0] == ".":
            return complex(float(token))
        if token in ("(", "{"):
            value = self.expr()
            self.take(")" if token == "(" else "}")
            return value
        if token == "\\pi":
            return complex(math.pi)
        if token == "i":
            return 1j
        if token == "\\sqrt":
            if self.peek() == "{":
                return cmath.sqrt(self.group_or_digit())
            return cmath.sqrt(self.group_or_digit())
        if token in ("\\frac", "\\dfrac", "\\tfrac"):
            numerator = self.group_or_digit()
            return numerator / self.group_or_digit()
        raise _Unreadable


def approximate(text: str) -> complex | None:
    """The value of a simple closed form, or None when it is not one (or is not finite)."""
    if len(text) > _MAX_CHARS:
        return None
    try:
        parser = _Parser(_tokens(text))
        value = parser.expr()
        if parser.peek() is not None:
            return None
    except (_Unreadable, ZeroDivisionError, OverflowError, ValueError):
        return None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        return None
    return value


def clearly_different(candidate: str, reference: str, margin: float = 1e-4) -> bool:
    """Both sides evaluate and differ by more than ``margin`` of the larger, under every
    reading of a degree sign (degrees as given, or converted to radians)."""
    given = _readings(candidate)
    expected = _readings(reference)
    if not given or not expected:
        return False
    return all(abs(g - e) > margin * max(abs(g), abs(e)) for g in given for e in expected)


def is_closed_form(text: str) -> bool:
    """The text evaluates here (a degree sign allowed)."""
    return bool(_readings(text))


def _readings(text: str) -> list[complex]:
    degrees = "^\\circ" in text or "^{\\circ}" in text
    value = approximate(text.replace("^{\\circ}", "").replace("^\\circ", ""))
    if value is None:
        return []
    return [value, value * math.pi / 180] if degrees else [value]

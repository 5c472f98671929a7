"""Comparing a program's output or returned value with the expected one, and report text."""

from __future__ import annotations

import json
import math
from typing import Any

Json = dict[str, Any]


def clip(text: str | None, n: int) -> str | None:
    """Shorten text for reports, keeping its head and tail."""
    if text is not None and not isinstance(text, str):  # a forged report's odd field
        text = show(text)
    if text is None or len(text) <= n:
        return text
    return text[: n // 2] + f"...[{len(text) - n} chars]..." + text[-(n // 2):]


def show(value: Any) -> str:
    """JSON for a report, or a clipped repr for what JSON cannot hold (sets, huge ints)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError, RecursionError, OverflowError):
        try:
            return clip(repr(value), 2000) or ""
        except (ValueError, RecursionError, MemoryError):
            return f"<unprintable {type(value).__name__}>"


def normalize_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def number(tok: str) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def close(a: float, b: float, spec: Json) -> bool:
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    rel, abs_ = spec.get("rel_tol") or 0.0, spec.get("abs_tol") or 0.0
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def outputs_match(got: str, expected: str, spec: Json) -> bool:
    """``spec["mode"]``: ``exact`` bytes, ``lines`` (trailing whitespace and blank lines
    ignored) or ``tokens`` (numbers within ``abs_tol``/``rel_tol`` when given)."""
    mode = spec.get("mode", "lines")
    if mode == "exact":
        return got == expected
    if mode == "lines":
        return normalize_lines(got) == normalize_lines(expected)
    a, b = got.split(), expected.split()
    if len(a) != len(b):
        return False
    tol = spec.get("abs_tol") or spec.get("rel_tol")
    for x, y in zip(a, b, strict=True):
        if x != y:
            fx, fy = (number(x), number(y)) if tol else (None, None)
            if fx is None or fy is None or not close(fx, fy, spec):
                return False
    return True


def values_match(got: Any, exp: Any, spec: Json) -> bool:
    """Structural equality of decoded values: lists == tuples, floats within tolerance.

    Total: whatever the program returned (an int too large for a float, a value nested
    deeper than the recursion limit, a forged report of any literal shape) compares as
    unequal instead of raising, so a hostile value is graded, never a runner failure."""
    try:
        return _values_match(got, exp, spec)
    except (ArithmeticError, RecursionError, MemoryError, TypeError, ValueError):
        return False


def _values_match(got: Any, exp: Any, spec: Json) -> bool:
    if isinstance(got, dict) and list(got) == ["__float__"]:  # nan/inf from the harness
        got = float(got["__float__"])
    if spec.get("unwrap_singleton") and isinstance(exp, list) and len(exp) == 1:
        if _values_match(got, exp[0], dict(spec, unwrap_singleton=False)):
            return True
    if isinstance(got, bool) or isinstance(exp, bool):
        return got == exp and isinstance(got, bool) == isinstance(exp, bool)
    if isinstance(got, (int, float)) and isinstance(exp, (int, float)):
        return got == exp or (isinstance(got, float) or isinstance(exp, float)) and close(
            float(got), float(exp), spec)
    if isinstance(got, list) and isinstance(exp, list):
        inner = dict(spec, unwrap_singleton=False)
        pairs = zip(got, exp, strict=False)
        return len(got) == len(exp) and all(_values_match(a, b, inner) for a, b in pairs)
    if isinstance(got, dict) and isinstance(exp, dict):
        inner = dict(spec, unwrap_singleton=False)
        return got.keys() == exp.keys() and all(_values_match(got[k], exp[k], inner)
                                                for k in got)
    return got == exp

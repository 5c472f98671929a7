"""Equivalence checking with math-verify; runs only inside killable worker processes.

sympy can hang for ever (``9^{9^{9^{9}}}``) and math-verify's own timeouts use
``signal.alarm``, which works only in a process's main thread. So this module is imported
by the worker processes of ``reward_server.workers`` and never called in the server's event
loop. Nothing parsed here is ever printed: ``str()`` of a power tower evaluates it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify
from math_verify.errors import TimeoutException
from sympy import And, Eq, Expr, FiniteSet, MatrixBase, Or, Set, Symbol, Tuple, simplify
from sympy.core.relational import Relational

logging.getLogger("math_verify").setLevel(logging.ERROR)

_LATEX = LatexExtractionConfig(boxed_match_priority=0)
_EXTRACTION = (_LATEX, ExprExtractionConfig())


# Symbols that stand for a count in competition problems: positive when simplifying.
_COUNT_SYMBOLS = frozenset("nmkNMK")


MathReason = Literal[
    "equivalent",
    "not_equivalent",
    "unparseable_answer",
    "answer_too_costly",
    "invalid_reference",
    "worker_crashed",
]


@dataclass(frozen=True)
class MathVerdict:
    """One comparison's outcome; plain data, so it crosses the worker process boundary.

    ``correct`` is None when the references cannot decide (none parses, or parsing one ran
    past the alarm) or the worker died; ``matched`` is the index of the equivalent reference;
    ``message`` says more for a person (a timeout's text).
    """

    correct: bool | None
    reason: MathReason
    matched: int | None = None
    message: str | None = None


class GradeTimeout(Exception):
    """A parse or comparison ran past math-verify's in-process alarm."""


def _parse(text: str, timeout_s: int) -> list[Any]:
    try:
        return parse(
            text, extraction_config=_EXTRACTION, parsing_timeout=timeout_s, raise_on_error=True
        )
    except TimeoutException as exc:
        raise GradeTimeout("parsing timed out") from exc
    except Exception:  # malformed LaTeX is an answer we cannot read, not a crash
        return []


@lru_cache(maxsize=4096)
def _parse_reference(reference: str, timeout_s: int) -> tuple[Any, ...]:
    """References are math as datasets store it: boxed so that ``3\\sqrt{13}`` stays whole.

    A reference with unbalanced braces is a broken dataset row: math-verify would fall back
    to comparing it as a string, and every answer would silently score 0.
    """
    if not _balanced(reference):
        return ()
    parsed = _parse(f"\\boxed{{{reference}}}", timeout_s)
    if not parsed:
        parsed = _parse(f"${reference}$", timeout_s)
    return tuple(parsed)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text.replace("\\{", "").replace("\\}", ""):
        depth += (char == "{") - (char == "}")
        if depth < 0:
            return False
    return depth == 0


def _as_set(expr: Any) -> Any:
    """``-2 \\le x \\le 7`` as the interval it describes, so it can meet ``[-2, 7]``.

    ``x < 1 \\text{ or } x > 4`` parses as a set of two inequalities: their union.
    """
    if isinstance(expr, FiniteSet) and len(expr) >= 2:
        parts = list(expr)
        if all(isinstance(p, Relational) and not isinstance(p, Eq) for p in parts):
            expr = Or(*parts)
    if isinstance(expr, (Relational, And, Or)) and len(expr.free_symbols) == 1:
        try:
            return expr.as_set()
        except Exception:
            return None
    return None


def _numeric_verdict(gold: Any, pred: Any, relative_tolerance: float) -> bool | None:
    """Two constants: different beyond a relative tolerance, exact when both are rational.

    math-verify rounds to six decimal places, so ``2\\times10^{-7}`` equals ``10^{-7}`` and
    ``6.62\\times10^{-34}`` equals ``6.63\\times10^{-34}`` there. Comparing relatively keeps
    tiny and huge numbers apart. None: close, or not two finite constants; math-verify's
    rounding decides, so the tolerance never accepts what math-verify rejects.
    """
    if not (isinstance(gold, Expr) and isinstance(pred, Expr)):
        return None
    if gold.free_symbols or pred.free_symbols:
        return None
    try:
        expected, given = complex(gold.evalf(30)), complex(pred.evalf(30))
    except Exception:
        return None
    if not all(math.isfinite(x) for x in (expected.real, expected.imag, given.real, given.imag)):
        return None
    if abs(expected - given) > relative_tolerance * max(abs(expected), abs(given)):
        return False
    if gold.is_rational and pred.is_rational:  # integers and fractions, even unevaluated
        return bool(simplify(gold - pred) == 0)
    return None  # close: math-verify's own rounding decides (3.14159 is not pi)


def _positive_counts(expr: Any) -> Any:
    """The same expression with count-like symbols (``n``, ``k``) declared positive."""
    symbols = {s: Symbol(s.name, positive=True) for s in getattr(expr, "free_symbols", ())}
    if not symbols or not all(s.name in _COUNT_SYMBOLS for s in symbols):
        return None
    return expr.xreplace(symbols)


def _shape(expr: Any) -> str:
    if isinstance(expr, Tuple):
        return "tuple"
    if isinstance(expr, MatrixBase):
        return "matrix"
    if isinstance(expr, Set) and not isinstance(expr, FiniteSet):
        return "region"  # intervals and unions
    if isinstance(expr, Expr) and not expr.free_symbols:
        return "number"
    return "other"


def _incomparable(gold: Any, pred: Any) -> bool:
    """A number against a tuple, matrix or interval is never equal; sympy takes a while to
    say so, and these are the commonest wrong answers after a different number."""
    shapes = {_shape(gold), _shape(pred)}
    return "number" in shapes and bool(shapes & {"tuple", "matrix", "region"})


def _equivalent(gold: Any, pred: Any, timeout_s: int, relative_tolerance: float) -> bool:
    try:
        if _incomparable(gold, pred):
            return False
        numeric = _numeric_verdict(gold, pred, relative_tolerance)
        if numeric is not None:
            return numeric
        if verify(gold, pred, timeout_seconds=timeout_s, raise_on_error=True):
            return True
        if isinstance(gold, Set) and (pred_set := _as_set(pred)) is not None:
            return bool(verify(gold, pred_set, timeout_seconds=timeout_s, raise_on_error=True))
        if isinstance(pred, Set) and (gold_set := _as_set(gold)) is not None:
            return bool(verify(gold_set, pred, timeout_seconds=timeout_s, raise_on_error=True))
        if isinstance(gold, Expr) and isinstance(pred, Expr):
            gold_pos, pred_pos = _positive_counts(gold), _positive_counts(pred)
            if gold_pos is not None and pred_pos is not None:
                return bool(simplify(gold_pos - pred_pos) == 0)
    except TimeoutException as exc:
        raise GradeTimeout("comparison timed out") from exc
    except Exception:
        return False
    return False


def check_answer(
    candidates: str | tuple[str, ...],
    references: tuple[str, ...],
    timeout_s: int,
    relative_tolerance: float = 1e-6,
) -> MathVerdict:
    """Grade candidates against any of the references: right when every candidate is
    equivalent to the same reference (several candidates are several boxed values, all of
    which must be right).

    Returns a ``MathVerdict`` (no sympy objects cross the process boundary).
    ``correct`` is None when no reference could be parsed (or parsing one ran past the
    alarm); an answer whose parse or comparison runs past it is wrong (``answer_too_costly``).
    """
    texts = (candidates,) if isinstance(candidates, str) else candidates
    try:
        golds = [_parse_reference(ref, timeout_s) for ref in references]
    except GradeTimeout:  # the dataset's row, not the completion: never paid, never blamed
        too_costly = "the reference is too costly to parse"
        return MathVerdict(None, "invalid_reference", message=too_costly)
    if not any(golds):
        return MathVerdict(None, "invalid_reference")
    try:
        parsed = [
            _parse(f"\\boxed{{{text}}}", timeout_s) or _parse(text, timeout_s) for text in texts
        ]
        if not texts or not all(parsed):
            return MathVerdict(False, "unparseable_answer")
        for index, gold in enumerate(golds):
            if all(
                any(_equivalent(g, p, timeout_s, relative_tolerance) for g in gold for p in preds)
                for preds in parsed
            ):
                return MathVerdict(True, "equivalent", matched=index)
        return MathVerdict(False, "not_equivalent")
    except GradeTimeout as exc:
        # the time went on the completion's own answer: it scores 0, it cannot force a null
        return MathVerdict(False, "answer_too_costly", message=str(exc))


# Answers of the shapes datasets hold. The LaTeX grammar builds its prediction tables lazily,
# so the first parse of each shape is several times slower than the next one.
_WARM_UP_ANSWERS = (
    ("\\frac{1}{2}", "0.5"),
    ("3\\sqrt{13}", "\\sqrt{117}"),
    ("(3, -1)", "(3,-1)"),
    ("[-2, 7]", "-2 \\le x \\le 7"),
    ("(-\\infty, 2) \\cup (3, \\infty)", "x<2"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1/3 \\\\ -2 \\end{pmatrix}"),
    ("76^\\circ", "76"),
    ("\\text{Evelyn}", "Evelyn"),
    ("6+9i", "9i+6"),
    ("\\frac{\\pi}{3}", "60^\\circ"),
    ("2516_8", "1358"),
    ("x^2+2x+1", "(x+1)^2"),
    ("y = 2x + 3", "2x+3"),
    ("\\$32.50", "32.5"),
    ("10\\%", "0.1"),
    ("-2,1", "1, -2"),
    ("\\{1, 2\\}", "\\{2, 1\\}"),
    ("\\dfrac{\\sqrt{3}}{2}", "\\frac{1}{2}\\sqrt 3"),
    ("e^{i\\pi}", "-1"),
    ("\\log_2 8", "3"),
)


def warm_up() -> None:
    """Pay the grammar's and sympy's first-use costs before the first real item arrives.

    Called at import in the forkserver (see ``reward_server.workers``), so every worker,
    including a replacement for a killed one, starts warm.
    """
    for reference, prediction in _WARM_UP_ANSWERS:
        check_answer(prediction, (reference,), 5)

"""The policy choices of math ``accuracy``: parameters, units, percents, echoes, hedges.

Pure string work, run in the server before anything reaches a worker. Each rule here
decides a kind of answer that math-verify alone gets wrong in the dangerous direction
(a reward for a wrong answer): units it strips, percents it rescales, a question's own
expression echoed back, several answers offered at once.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from reward_server.rewards.math_fast import as_rational
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
        description="score 0 an answer that restates the question: a formula of the item's "
        "`prompt` with an operation in it, verbatim (not for multiple-choice prompts), "
        "arithmetic on the prompt's numbers left undone, or an unevaluated sum/integral, "
        "when the reference is written differently",
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
_OPTION = re.compile(r"\(([A-E])\)|(?:^|\n)\s*\\?\(?([A-E])[.)]\s")
# An operation still to be done: what a final answer in the requested form has no more of.
_OPERATION = re.compile(
    r"[-+*/^!]|\\(?:[dt]?frac|cdot|times|div|sqrt|[dt]?binom|choose|sum|prod|int|lim|log|ln|"
    r"sin|cos|tan|cot|sec|csc|arcsin|arccos|arctan)(?![a-z])"
)
_ARITHMETIC = re.compile(r"[-+]?\d+(?:\.\d+)?(?:(?:[-+*]|\\times|\\cdot|\\div)[-+]?\d+(?:\.\d+)?)+")
_BIG_OPERATOR = re.compile(r"\\(?:sum|prod|int|lim)(?![a-z])")
_NEGATED = re.compile(r"\\neq?(?![a-z])|\\not|≠")
_CHAINED_EQUALS = re.compile(r"(?<![<>!\\])=")


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


def percent_as_fraction(candidate: str, references: tuple[str, ...]) -> str:
    """A percent answer to a reference without one: ``33\\%`` is the number 33 when a
    reference is 33 (the question asked "what percent"), else the fraction 33/100."""
    stripped = _PERCENT.sub("", candidate)
    if stripped == candidate:
        return candidate
    value = as_rational(stripped)
    if value is None:
        return stripped
    expected = [as_rational(ref) for ref in references]
    if value in expected or (value / 100) not in expected:
        return stripped
    fraction = value / 100
    return f"\\frac{{{fraction.numerator}}}{{{fraction.denominator}}}"


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


_FRAC_DIGITS = re.compile(r"\\frac(\d)(\d)")  # \frac68 is \frac{6}{8}
_CHOOSE = re.compile(r"\{(\w+)\\choose(\w+)\}")
_SLASH_OR_RATIO = re.compile(r"(-?\w+)[/:](-?\w+)")
_NEGATED_BOTH = re.compile(r"\\frac\{-([^{}]+)\}\{-([^{}]+)\}")


def _unwrap(text: str) -> str:
    """Drop braces or parentheses around the whole formula: ``{\\frac{6}{8}}`` is the fraction."""
    while len(text) > 1 and (text[0], text[-1]) in (("{", "}"), ("(", ")")):
        depth = 0
        for i, char in enumerate(text):
            if char in "{(":
                depth += 1
            elif char in "})":
                depth -= 1
            if depth == 0 and i < len(text) - 1:
                return text  # "(a)(b)": the first group closes early
        text = text[1:-1]
    return text


def _squash(text: str) -> str:
    """A formula's spelling without its layout: spacing, wrappers, ``\\dfrac``/``\\tfrac``,
    ``\\frac68``, ``a/b`` and ``a:b``, ``\\dbinom``/``{n \\choose k}``, ``\\frac{-a}{-b}``."""
    text = _SPACING.sub("", normalize_answer(text))
    text = _SINGLE_BRACED.sub(r"\1\2", text)  # x^{2} is x^2
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").rstrip(".")
    text = text.replace("\\dbinom", "\\binom").replace("\\tbinom", "\\binom")
    text = _CHOOSE.sub(r"\\binom{\1}{\2}", text)
    text = _FRAC_DIGITS.sub(r"\\frac{\1}{\2}", _unwrap(text))
    text = _NEGATED_BOTH.sub(r"\\frac{\1}{\2}", text)
    if (whole := _SLASH_OR_RATIO.fullmatch(text)) is not None:
        text = f"\\frac{{{whole.group(1)}}}{{{whole.group(2)}}}"
    sides = set(text.split("="))
    return sides.pop() if len(sides) == 1 else text  # "X = X" restates X


def _is_multiple_choice(prompt: str) -> bool:
    """Options with values ("(A) $\\frac{9}{2}$ (B) ..."): an answer may repeat one."""
    return len(set(_OPTION.findall(prompt))) >= 2


def is_echo(candidate: str, prompt: str | None, references: tuple[str, ...]) -> bool:
    """The answer restates the question instead of answering it.

    Three shapes, none of them an echo when a reference is written the same way:

    - a formula of the prompt, verbatim after normalisation, that holds an operation
      (``\\frac{9}{2}`` for "write $\\frac{9}{2}$ as a decimal"), unless the prompt is
      multiple choice (an option's value may be the answer);
    - arithmetic on the prompt's own numbers left undone (``313.9 + 12.6`` for "add 313.9
      to 12.6");
    - an unevaluated sum, product, integral or limit (``\\sum_{k=1}^{100} ...``).
    """
    given = _squash(candidate)
    if not given or _NUMBER.fullmatch(given) or any(_squash(ref) == given for ref in references):
        return False  # a plain number is already evaluated
    if _BIG_OPERATOR.search(given) and not any(_BIG_OPERATOR.search(r) for r in references):
        return True
    if not prompt:
        return False
    numbers = _NUMBER.findall(given)
    if _ARITHMETIC.fullmatch(given) and all(n.lstrip("+-") in prompt for n in numbers):
        return True
    if not _OPERATION.search(given) or _is_multiple_choice(prompt):
        return False
    return any(_squash(formula) == given for formula in formulas_in(prompt))


def formulas_in(text: str) -> list[str]:
    """The LaTeX formulas of a text (``$...$``, ``$$...$$``, ``\\(...\\)``, ``\\[...\\]``)."""
    return [next(g for g in m.groups() if g) for m in _PROMPT_MATH.finditer(text)]


def false_equation(candidate: str) -> bool:
    """A chain of equations with two numeric sides that differ (``41 = 42``, ``P = 36 = 42``):
    whichever side is compared, the answer states something false. ``x = 42`` is fine."""
    if "=" not in candidate:
        return False
    values = {
        value
        for side in _CHAINED_EQUALS.split(candidate)
        if (value := as_rational(side.strip())) is not None
    }
    return len(values) > 1


def is_negated(candidate: str, references: tuple[str, ...]) -> bool:
    """``\\neq 42`` says what the answer is not; only right when the reference says so too."""
    return bool(_NEGATED.search(candidate)) and not any(_NEGATED.search(r) for r in references)


_DOLLAR_AMOUNT = re.compile(r"\\?\$\s*([-+]?\d[\d,]*(?:\.\d+)?)")


# Logic and arrow symbols that join two statements: "x=1 \\lor x=5" lists candidates.
_CONNECTOR = re.compile(
    r"\\(?:lor|vee|land|wedge|implies|impliedby|Rightarrow|Leftarrow|Leftrightarrow|iff|to"
    r"|mapsto|longrightarrow|rightarrow|approx|simeq|sim|oplus|sqcup|&)(?![A-Za-z])"
    r"|\\operatorname\{(?:or|and)\}|[∨∧⇒→≈]"
)
_BARE_RELATION = re.compile(r"^\s*(?:\\(?:geq?|leq?|gt|lt|geqslant|leqslant)(?![A-Za-z])|[<>≥≤])")


def joins_alternatives(candidate: str, references: tuple[str, ...]) -> bool:
    """``x=1 \\lor x=5``, ``3 \\Rightarrow 5``, ``3 \\approx 5``: two statements joined by a
    logic or arrow symbol are candidates, not one answer (unless the reference joins too)."""
    return bool(_CONNECTOR.search(candidate)) and not any(_CONNECTOR.search(r) for r in references)


_LOGICAL_OR = re.compile(r"\\(?:lor|vee)(?![A-Za-z])|\\operatorname\{or\}|∨")


def or_as_list(candidate: str) -> str:
    """``x=1 \\lor x=5`` -> ``x=1 , x=5``: for a several-value reference, "or" lists values."""
    return _LOGICAL_OR.sub(",", candidate)


def bare_relation(candidate: str, references: tuple[str, ...]) -> bool:
    """``\\geq 5`` bounds the answer without stating it; right only when the reference does."""
    return bool(_BARE_RELATION.match(candidate)) and not any(
        _BARE_RELATION.match(r) for r in references
    )


def currency_conflict(answer_part: str, candidate: str, reference: str) -> bool:
    """The answer is a dollar amount (``\\$5.4``) and the reference counts cents."""
    if _unit(reference) != "cent" or _unit(candidate) is not None:
        return False
    number = _NUMBER.search(candidate)
    return number is not None and any(
        amount.replace(",", "") == number.group(0) for amount in _DOLLAR_AMOUNT.findall(answer_part)
    )


_UNIT_SUFFIX = re.compile(
    r"\s*(?:\\(?:text|mbox|mathrm|rm)\s*\{\s*[A-Za-z]{1,12}\s*(?:\^?\{?[23]\}?)?\s*\}"
    r"|(?<=[\d}\s])[A-Za-z]{1,12})(?:\^\{?[23]\}?)?\s*$"
)


def drop_unit(text: str) -> str:
    """``15\\mbox{ cm}^2`` and ``15 cm^{2}`` as ``15``: a known unit at the end is removed
    (only once it is known not to conflict with the other side's)."""
    if _unit(text) is None:
        return text
    stripped = _UNIT_SUFFIX.sub("", text).strip()
    return stripped or text


def last_number(answer: str) -> str | None:
    """The number on the answer's last non-empty line, if that line holds exactly one."""
    lines = [line for line in answer.strip().splitlines() if line.strip()]
    if not lines:
        return None
    numbers = _NUMBER.findall(lines[-1])
    return numbers[0] if len(numbers) == 1 else None


__all__ = [
    "MathParams",
    "bare_relation",
    "joins_alternatives",
    "or_as_list",
    "currency_conflict",
    "drop_unit",
    "false_equation",
    "formulas_in",
    "is_negated",
    "is_echo",
    "last_number",
    "percent_as_fraction",
    "strip_percent",
    "top_level_parts",
    "units_conflict",
]

"""Rewriting answer text the way a grader reads it: pure string work, no sympy.

Models print math in many spellings that the LaTeX parser reads wrongly or not at all:
unicode symbols (``3√13``, ``x²``, ``−4``), thousands separators (``12\\,345`` parses as a
product), repeating decimals (``0.1\\overline{6}``), e-notation (``3e8`` parses as 3·e·8),
column vectors against tuples, currency dollar signs taken for math delimiters, and text a
chat template leaked after the end of the turn. Every function here maps a spelling to the
one math-verify reads as intended, and is linear in the input.
"""

from __future__ import annotations

import itertools
import re
from fractions import Fraction

# Text after an end-of-turn token is not the model's answer (a template leaked a next turn).
END_OF_TURN = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "<｜end▁of▁sentence｜>",
    "<|end▁of▁sentence|>",
    "</s>",
    "<|end|>",
    "<end_of_turn>",
    "<|im_start|>",
)

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+")
_SUPERSCRIPT_RUN = re.compile(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SQRT_UNICODE = re.compile(r"√\s*(\(([^()]{1,100})\)|\{([^{}]{1,100})\}|[0-9.]+|[A-Za-z])")
_UNICODE = {
    "−": "-", "–": "-", "×": "\\times ", "·": "\\cdot ", "÷": "\\div ", "≤": "\\le ",
    "≥": "\\ge ", "≠": "\\ne ", "π": "\\pi ", "∞": "\\infty ", "°": "^\\circ ", "∪": "\\cup ",
    "∩": "\\cap ", "±": "\\pm ", "½": "\\frac{1}{2}", "¼": "\\frac{1}{4}", "¾": "\\frac{3}{4}",
    "⅓": "\\frac{1}{3}", "⅔": "\\frac{2}{3}", "θ": "\\theta ", "∠": "\\angle ", "\u00a0": " ",
    "\u2009": " ", "\u202f": " ",
}  # fmt: skip
_UNICODE_CHARS = re.compile("|".join(re.escape(key) for key in _UNICODE))

# 12{,}345  12,\!345  12\,345  12\;345: a separator no list is written with.
_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?:(?:\{,\}|,\\!|\\,|\\;|,\\,|\\ )\s?\d{3})+(?![\d])")
_THOUSANDS_SEP = re.compile(r"\{,\}|,\\!|\\,|\\;|,\\,|\\ ")
_PLAIN_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_AMOUNT_TAIL = re.compile(r"[\s$€£¥]*|\s*[A-Za-z]{1,10}(?:\^\{?[23]\}?)?\s*")  # €, m^{2}
_REPEATING = re.compile(r"(?<![\d.])(\d*)\.(\d*)\\(?:overline|dot)\{?(\d{1,12})\}?")
_E_NOTATION = re.compile(r"(?<![\w.\\])(\d+(?:\.\d+)?)[eE]([-+]?\d{1,4})(?![\w.])")
_LEADING_ZEROS = re.compile(r"(?<![\w.\\{,])0+(?=[1-9]\d*(?![\d.]))")
_VECTOR = re.compile(r"\\begin\{([pbv]?matrix|smallmatrix)\}(.*?)\\end\{\1\}", re.DOTALL)
_CURRENCY_WORD = re.compile(r"(?<!\\)\b[A-Za-z]{3,}\b")
_TEXT_MACRO = re.compile(r"\\(?:text|mbox|mathrm|textbf)\s*\{[^{}]*\}")
# A formula in its delimiters: $$..$$, $..$ (one line), \(..\), \[..\].
MATH_SPAN = re.compile(r"\$\$[^$]*\$\$|\$[^$\n]*\$|\\\(.*?\\\)|\\\[.*?\\\]", re.DOTALL)
# 4\frac{2}{3}: a whole number written against a proper fraction is a mixed number.
_MIXED = re.compile(r"(?<![\w.^_{}\\])(\d{1,9})\s*\\[dt]?frac\{(\d{1,9})\}\{(\d{1,9})\}")
# Text a reader never sees: HTML comments, and code blocks (a box in a code comment is not
# a stated answer).
_HIDDEN = re.compile(r"<!--.*?(?:-->|$)|```.*?(?:```|$)", re.DOTALL)


def drop_hidden(text: str) -> str:
    """The text without HTML comments and fenced code blocks (an unclosed one runs to the
    end)."""
    if "<!--" not in text and "```" not in text:
        return text
    return _HIDDEN.sub("\n", text)


def cut_leakage(text: str) -> str:
    """The text before the first end-of-turn token."""
    for token in END_OF_TURN:
        position = text.find(token)
        if position != -1:
            text = text[:position]
    return text


def _sqrt(match: re.Match[str]) -> str:
    inner = match.group(2) or match.group(3) or match.group(1)
    return f"\\sqrt{{{inner}}}"


def unicode_to_latex(text: str) -> str:
    """Unicode math as LaTeX: ``3√13`` -> ``3\\sqrt{13}``, ``x²`` -> ``x^{2}``, ``−4`` -> ``-4``."""
    if text.isascii():
        return text
    text = _SQRT_UNICODE.sub(_sqrt, text)
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^{" + m.group(0).translate(_SUPERSCRIPTS) + "}", text)
    return _UNICODE_CHARS.sub(lambda m: _UNICODE[m.group(0)], text)


def _repeating(match: re.Match[str]) -> str:
    whole, fixed, cycle = match.group(1) or "0", match.group(2), match.group(3)
    # 0.1(6) = (16 - 1) / 90: the standard conversion of a repeating decimal to a fraction.
    value = Fraction(int(whole)) + Fraction(
        int(fixed + cycle) - int(fixed or "0"), (10 ** len(cycle) - 1) * 10 ** len(fixed)
    )
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _mixed(match: re.Match[str]) -> str:
    whole, num, den = (int(g) for g in match.groups())
    if not 0 < num < den:
        return match.group(0)  # 2\frac{5}{3} is not how a mixed number is written
    return f"\\frac{{{whole * den + num}}}{{{den}}}"


def normalize_numbers(text: str) -> str:
    """Thousands separators, repeating decimals, e-notation, leading zeros and mixed numbers
    (``4\\frac{2}{3}`` = 14/3) as plain LaTeX."""
    text = _MIXED.sub(_mixed, text)
    text = _THOUSANDS.sub(lambda m: _THOUSANDS_SEP.sub("", m.group(0)).replace(" ", ""), text)
    text = _REPEATING.sub(_repeating, text)
    text = _E_NOTATION.sub(lambda m: f"{m.group(1)}\\times10^{{{int(m.group(2))}}}", text)
    return _LEADING_ZEROS.sub("", text)


def vectors_as_tuples(text: str) -> str:
    """A one-column or one-row matrix is the tuple of its entries: ``(1, -2, 4)``."""

    def rewrite(match: re.Match[str]) -> str:
        rows = [row.strip() for row in match.group(2).split("\\\\") if row.strip()]
        cells = [[cell.strip() for cell in row.split("&")] for row in rows]
        if len(rows) >= 2 and all(len(row) == 1 for row in cells):
            return "(" + ", ".join(row[0] for row in cells) + ")"
        if len(rows) == 1 and len(cells[0]) >= 2:
            return "(" + ", ".join(cells[0]) + ")"
        return match.group(0)

    return _VECTOR.sub(rewrite, text)


def plain_thousands(text: str) -> str | None:
    """``12,345`` as ``12345`` (a unit or currency sign may follow: ``1,000.99€``); None when
    the text is not one number with comma groups."""
    stripped = text.strip()
    match = _PLAIN_THOUSANDS.match(stripped)
    if match is None or not _AMOUNT_TAIL.fullmatch(stripped[match.end() :]):
        return None
    return match.group(0).replace(",", "") + stripped[match.end() :].strip(" $€£¥")


def drop_currency(text: str) -> str:
    """Remove dollar signs that mean money, so they are not read as math delimiters.

    ``\\$7.25`` is always money. A bare ``$`` before a digit is money when no ``$`` closes
    it on the same line, or when the span up to the next ``$`` reads as prose (a word of
    three letters or more outside any command): ``they are $5 each, so 4 cost $20``.
    """
    text = text.replace("\\$", "")
    if "$" not in text:
        return text
    dropped: list[int] = []
    length, in_math, line_end = len(text), False, -1
    position = text.find("$")
    while position != -1:
        if text.startswith("$$", position):  # display math: not money, no toggle
            position = text.find("$", position + 2)
            continue
        if not in_math and position + 1 < length and text[position + 1].isdigit():
            if line_end < position:  # found once per line, so the scan stays linear
                line_end = text.find("\n", position)
                line_end = length if line_end == -1 else line_end
            closing = text.find("$", position + 1, line_end)
            span = text[position + 1 : closing] if closing != -1 else ""
            if closing == -1 or _CURRENCY_WORD.search(_TEXT_MACRO.sub("", span)):
                dropped.append(position)  # money: drop the sign, keep the amount
                position = text.find("$", position + 1)
                continue
        in_math = not in_math
        position = text.find("$", position + 1)
    if not dropped:
        return text
    bounds = [-1, *dropped, length]
    return "".join(text[start + 1 : end] for start, end in itertools.pairwise(bounds))


def normalize_answer(text: str) -> str:
    """Every spelling rewrite a candidate or a reference goes through before comparison."""
    return normalize_numbers(unicode_to_latex(text)).strip()


def align_vectors(
    candidates: tuple[str, ...], references: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Vectors become tuples only when the other side has no matrix: a tuple parses several
    times slower than a matrix, so both sides stay matrices when they can."""
    in_candidates = any("matrix}" in c for c in candidates)
    in_references = any("matrix}" in r for r in references)
    if in_candidates and not in_references:
        candidates = tuple(vectors_as_tuples(c) for c in candidates)
    elif in_references and not in_candidates:
        references = tuple(vectors_as_tuples(r) for r in references)
    return candidates, references

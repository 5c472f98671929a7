"""Finding the final answer in the answer part of an R1-style completion.

Pure string work, cheap enough for the event loop: nothing here touches sympy. The order
follows how people grade such output:

1. text after an end-of-turn token is dropped (a leaked next turn is not the answer), so are
   HTML comments and fenced code blocks, and dollar signs that mean money stop acting as
   math delimiters;
2. a "final answer is ..." / ``Answer: ...`` statement written after the last ``\\boxed{}``
   wins (Minerva's ``Final Answer: The final answer is $X$. I hope it is correct.``);
3. otherwise every ``\\boxed{}``: one distinct value is the answer; several distinct values
   are reported as ``values`` and the grader decides (one per part of a multi-part
   reference, else a hedge);
4. then an ``<answer>`` block, "the answer is ...", the last bold span, a last sentence of
   the form "... is VALUE", an answer part that is one short formula, the last inline formula.

A statement's value is what follows its last "is", "=" or ":" outside math, so
``the largest $k$ is 17`` gives 17, not k; a negated alternative (``7, not 9``) is dropped;
two bare values joined by "or" are a hedge. Nothing found is ``text=None``: the grader never
falls back to a number found elsewhere unless asked to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from reward_server.rewards.math_choice import choice_letter, choice_letter_in
from reward_server.rewards.math_text import (
    MATH_SPAN,
    cut_leakage,
    drop_currency,
    drop_hidden,
    normalize_answer,
    unicode_to_latex,
)

Source = Literal[
    "boxed", "answer_tag", "phrase", "bold", "statement", "whole", "inline_math", "none"
]

_BOX_COMMANDS = ("\\boxed", "\\fbox")
_BOX_START = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
# "the final answer is X", "Answer: X", "answer = X"; X runs to the end of its line.
_PHRASE = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*([^\n]{1,300})", re.IGNORECASE
)
# A statement that closes the answer even after a box: Minerva's, or a line-start "Answer:".
_STRONG_PHRASE = re.compile(
    r"(?:final\s+answer\s*(?:is|:)|(?:^|\n)[#>*_\s]*answer\s*:)\s*:?\s*([^\n]{1,300})",
    re.IGNORECASE,
)
_BOLD = re.compile(r"\*\*([^*\n]{1,300})\*\*")
_INLINE_MATH = re.compile(
    r"\$\$([^$]{1,500})\$\$|\$([^$\n]{1,300})\$"
    r"|\\\[(.{1,500}?)\\\]|\\\((.{1,300}?)\\\)",
    re.DOTALL,
)
# Markdown italics around a word (*12*, _12_), not a product (2*3) or a subscript (x_1).
_EMPHASIS = re.compile(r"(?<![\w\\])[*_](?=\S)|(?<=[^\s\\{])[*_](?![\w{])")
_MINERVA_SIGN_OFF = re.compile(r"\.?\s*I hope it is correct\.?", re.IGNORECASE)
_MINERVA_TAIL = re.compile(r"\.?\s*I hope it is correct.*$", re.IGNORECASE | re.DOTALL)
# ", not 9", "(not 9)", "rather than 9", "instead of 9": an alternative the model rejects.
_NEGATION = re.compile(
    r"[,;]?\s*\(?\b(?:and\s+|but\s+)?(?:not|rather\s+than|instead\s+of)\s+"
    r"(?:\$[^$\n]{0,200}\$|\\\(.{0,200}?\\\)|[-+]?[\w.\\{}^/]+)\)?",
    re.IGNORECASE,
)
_COPULA = re.compile(r"\s(?:is|are|equals|was)\b:?|:(?=\s|$)", re.IGNORECASE)
# A clause that qualifies the value rather than adding to it.
_CLAUSE = re.compile(
    r"[,;]?\s+(?:since|because|as|where|which|when|attained|achieved|obtained|given|if|"
    r"using|by|from|with|at)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
_OR = re.compile(r"\s(?:or|\\text\{\s*or\s*\}|\\lor)\s", re.IGNORECASE)
# Two spellings of one value: "$\\frac{5}{2}$, i.e. $2.5$"; each must be right.
_SAME_VALUE = re.compile(r"\bi\.\s?e\.|\bthat is\b|\bequivalently\b|\\approx", re.IGNORECASE)
_RELATION = re.compile(r"<|>|\\le|\\ge|\\lt|\\gt|\\neq")
# A number and the noun it counts, as a sentence ends: "there are 12 ways".
_COUNTED = re.compile(r"^([-+]?\d[\d,]*(?:\.\d+)?)\s*(%|percent\b|pct\b)?\s*[A-Za-z ,'-]{0,80}$")
_SPACE_THOUSANDS = re.compile(r"(?<![\d.])\d{1,3}(?: \d{3})+(?![\d.])")  # "1 000 000"
_SPACED_NUMBERS = re.compile(r"\d\s+[-+]?\d")  # "5 5 5 5 5" is a run of numbers, not one
_NUMBER_TOKEN = re.compile(r"(?<![\w.^_])[-+]?\d[\d,]*(?:\.\d+)?(?![\w.^])")
_TEXT_MACRO = re.compile(r"\\(?:text|mbox|textbf|mathrm)\s*\{[^{}]*\}")
_TEXT_OR = re.compile(r"\bor\b", re.IGNORECASE)
_TEXT_CONTENT = re.compile(r"\\(?:text|mbox|textbf|mathrm)\s*\{([^{}]*)\}")
_PROSE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")
_TEXT_COMMAND = re.compile(r"\\[a-zA-Z]+")
_WORDS = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{2,}")
_VALUE_THEN_WORDS = re.compile(r"^(\S+)\s+[A-Za-z]+(?:\s+[A-Za-z]+){0,3}\.?$")
_EQUATION_LINE = re.compile(r"^[^=]{1,80}?(?<![<>!\\])=\s*([^=]{1,80})$")
_PARENTHETICAL = re.compile(r"\s*\([^()]*\)")
_WORD_VALUE = re.compile(r"^[A-Za-z][A-Za-z'-]*(?:\s+[A-Za-z][A-Za-z'-]*){0,2}$")
_DESCRIPTION = re.compile(r"(?:the|a|an)\s", re.IGNORECASE)
_NOT_ANSWERS = frozenset({"The", "This", "That", "It", "So", "Therefore", "Thus", "Hence", "A"})
_NOT_UNITS = frozenset({"and", "or", "so", "the", "which", "since", "because", "as", "for"})
_UNIT_TAIL = re.compile(r"^\s*([A-Za-z]{1,12}(?:\^?\{?[23]\}?)?)\s*[.,;]?\s*$")


@dataclass(frozen=True)
class Extracted:
    text: str | None  # the candidate answer as written (LaTeX or plain), None if none found
    source: Source
    # several distinct values (boxes, or "3 or 5"), else empty; the grader decides whether
    # they are the parts of one answer or a hedge between answers
    values: tuple[str, ...] = field(default=())


def boxed_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, content) of every top-level ``\\boxed{}``/``\\fbox{}``, braces balanced."""
    spans: list[tuple[int, int, str]] = []
    position = 0
    while (match := _BOX_START.search(text, position)) is not None:
        start = match.end()
        depth, cursor = 1, start
        while cursor < len(text) and depth:
            depth += (text[cursor] == "{") - (text[cursor] == "}")
            cursor += 1
        if depth:
            break  # unbalanced: the model stopped mid-box
        spans.append((match.start(), cursor, text[start : cursor - 1].strip()))
        position = cursor
    return spans


def last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}`` (or ``\\fbox``), braces balanced; None if absent."""
    best = -1
    for command in _BOX_COMMANDS:
        best = max(best, text.rfind(command + "{"), text.rfind(command + " {"))
    if best == -1:
        return None
    spans = boxed_spans(text[best:])
    return spans[0][2] if spans else None


def _clean(candidate: str) -> str:
    """Strip the wrapping people put around a plain-text answer: $..$, **..**, a final period."""
    text = candidate.strip()
    for _ in range(4):
        before = text
        text = text.strip().rstrip(".,;").strip().strip("*").strip()  # markdown leftovers
        if text.startswith("**") and text.endswith("**") and len(text) > 4:
            text = text[2:-2]
        if text.startswith("$") and text.endswith("$") and len(text) > 2:
            text = text.strip("$")
        if text.startswith("\\(") and text.endswith("\\)"):
            text = text[2:-2]
        if text.startswith("\\[") and text.endswith("\\]"):
            text = text[2:-2]
        for opener, closer in (("\\[", "\\]"), ("\\(", "\\)")):
            if text.endswith(closer) and opener not in text:
                text = text[: -len(closer)]
            if text.startswith(opener) and closer not in text:
                text = text[len(opener) :]
        if text == before:
            break
    return text.strip()


def _drop_negations(text: str) -> str:
    lowered = text.lower()
    if "not" not in lowered and "rather" not in lowered and "instead" not in lowered:
        return text  # the common case skips the regex
    return _NEGATION.sub("", text)


def _outside_math(text: str) -> str:
    return MATH_SPAN.sub(lambda m: " " * len(m.group(0)), text)


def statement_value(span: str, prose_number: bool = False) -> list[str]:
    """The value(s) an answer statement gives: after its last copula, negations dropped.

    One value normally; several when the statement offers alternatives ("$3$ or $5$"),
    which the grader reads as the parts of a multi-part answer or as a hedge. With
    ``prose_number`` (explicit "Final Answer:" statements only) a sentence holding exactly
    one number gives that number ("Jane started 3 hours ago" -> 3).
    """
    text = _MINERVA_TAIL.sub("", _EMPHASIS.sub("", span.replace("**", "").replace("__", "")))
    text = _drop_negations(text).strip()
    text = _SENTENCE_END.split(text, maxsplit=1)[0] if text else text
    copulas = list(_COPULA.finditer(_outside_math(text)))
    if copulas:
        text = text[copulas[-1].end() :]
    if clause := _CLAUSE.search(_outside_math(text)):  # "$9$, attained at $x=2$"
        text = text[: clause.start()]
    formulas = [next(g for g in m if g) for m in _INLINE_MATH.findall(text)]
    outside = _outside_math(text)
    if len(formulas) >= 2:
        cleaned = [_clean(f) for f in formulas]
        if _OR.search(outside) or _SAME_VALUE.search(outside):
            if all(_RELATION.search(f) for f in cleaned):
                return [" \\text{ or } ".join(cleaned)]
            return cleaned
        return [", ".join(cleaned)]
    if formulas:
        value = _clean(formulas[0])
        tail = _UNIT_TAIL.match(text[text.rfind("$") + 1 :]) if "$" in text else None
        if tail and tail.group(1).lower() not in _NOT_UNITS:
            value = f"{value}\\text{{ {tail.group(1)}}}"
        return [value] if value else []
    cleaned = _clean(text)
    if not cleaned:
        return []
    numbers = _NUMBER_TOKEN.findall(cleaned)
    if (
        prose_number
        and _PROSE.search(_TEXT_MACRO.sub("", cleaned))
        and len(numbers) == 1
        and not _OR.search(f" {cleaned} ")
    ):
        return [numbers[0]]  # "Jane started growing it 3 hours ago"
    if not _RELATION.search(cleaned) and len(pieces := _OR.split(f" {cleaned} ")) >= 2:
        return [_clean(piece) for piece in pieces if _clean(piece)]
    return [cleaned]


def _unwrap_text_box(content: str) -> list[str]:
    """A box's value(s): ``\\boxed{\\text{The answer is } 7}`` holds a sentence, read its
    value; ``\\boxed{3 \\text{ (or 5)}}`` offers two values, both are returned."""
    if "\\text" not in content or not _WORDS.search(content):
        return [content]
    plain = _TEXT_CONTENT.sub(r"\1", content)
    numbers = _NUMBER_TOKEN.findall(plain)
    if _TEXT_OR.search(plain) and len(numbers) >= 2 and not _RELATION.search(plain):
        return numbers  # alternatives hidden in text ("3 (or 5)"): the grader sees a hedge
    if _PHRASE.search(plain) or _COPULA.search(f" {plain} "):
        values = statement_value(plain)
        if len(values) == 1:
            return values
    return [content]


def _boxed(answer: str) -> tuple[list[str], int]:
    spans = boxed_spans(answer)
    values = [value for _, _, content in spans if content for value in _unwrap_text_box(content)]
    return values, (spans[-1][1] if spans else -1)


def _distinct(values: list[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(" ".join(value.split()), value)
    return list(seen.values())


def prepare(answer_part: str) -> str:
    """The answer part as graded: leaked turns cut, HTML comments and fenced code blocks
    dropped (a box hidden there is not a stated answer), money signs removed, Minerva's
    sign-off ("I hope it is correct.") dropped so it is not read as the last sentence."""
    return _MINERVA_SIGN_OFF.sub(".", drop_currency(drop_hidden(cut_leakage(answer_part))))


def _from_statement(span: str, source: Source, prose_number: bool = False) -> Extracted | None:
    values = [normalize_answer(v) for v in statement_value(span, prose_number)]
    if not values:
        return None
    if len(values) == 1:
        return Extracted(values[0], source)
    return Extracted(values[-1], source, values=tuple(values))


def _counted_value(counted: re.Match[str]) -> str:
    number = normalize_answer(counted.group(1))
    return f"{number}\\%" if counted.group(2) else number


def _all_values(found: Extracted) -> bool:
    return all(_is_value(value) for value in (found.values or (found.text or "",)))


def _is_value(text: str) -> bool:
    """Short and no prose: what a sentence ending "... is VALUE" must end with."""
    plain = _TEXT_COMMAND.sub("", text)
    return len(text) <= 80 and not _PROSE.search(plain)


def _last_matches(pattern: re.Pattern[str], text: str) -> list[re.Match[str]]:
    """Matches of a statement pattern, re-scanned from inside the last one so that a later
    statement on the same line ("The answer is 3. The answer is 5.") is the last match."""
    matches = list(pattern.finditer(text))
    while matches and (inner := pattern.search(text, matches[-1].start() + 1)) is not None:
        if inner.start() >= matches[-1].end():
            break
        matches.append(inner)
    return matches


def extract_final_answer(answer_part: str) -> Extracted:
    """Pick the candidate final answer from the text after the reasoning."""
    text = prepare(answer_part)
    boxes, box_end = _boxed(text)
    unbolded = text.replace("**", "  ")
    strong = _last_matches(_STRONG_PHRASE, unbolded)
    weak = _last_matches(_PHRASE, unbolded)
    if (
        strong
        and strong[-1].start() >= box_end
        and not (weak and weak[-1].start() >= strong[-1].end())  # "Answer: 3 ... Answer: 4"
        and (found := _from_statement(strong[-1].group(1), "phrase", prose_number=True))
        and (not boxes or _all_values(found))  # "Final answer: see above" defers to the box
    ):
        return found
    if boxes:
        distinct = _distinct([normalize_answer(value) for value in boxes])
        if len(distinct) == 1:
            return Extracted(distinct[0], "boxed")
        return Extracted(distinct[-1], "boxed", values=tuple(distinct))
    tags = _ANSWER_TAG.findall(text)
    if tags:
        inner = extract_final_answer(tags[-1])
        if inner.text is not None:
            return inner if inner.source != "whole" else Extracted(inner.text, "answer_tag")
        if tags[-1].strip():
            return Extracted(normalize_answer(_clean(tags[-1])), "answer_tag")
    phrases = _last_matches(_PHRASE, text.replace("**", ""))
    if phrases and (found := _from_statement(phrases[-1].group(1), "phrase")):
        return found
    bolds = _BOLD.findall(text)
    if bolds and (found := _from_statement(bolds[-1], "bold")):
        return found
    return _from_plain_text(text)


def _from_plain_text(text: str) -> Extracted:
    stripped = _SPACE_THOUSANDS.sub(lambda m: m.group(0).replace(" ", ""), _clean(text))
    if stripped and len(stripped) <= 80 and (counted := _COUNTED.match(stripped)):
        if counted.group(2) or not _SPACED_NUMBERS.search(stripped):  # "28 percent"
            if not _WORDS.search(stripped[counted.end(2 if counted.group(2) else 1) :]):
                return Extracted(_counted_value(counted), "whole")
    if stripped and len(stripped) <= 80 and not _WORDS.search(_outside_math(stripped)):
        value = _clean(MATH_SPAN.sub(lambda m: _clean(m.group(0)), stripped))
        if value and "$" not in value and not _SPACED_NUMBERS.search(value):
            return Extracted(normalize_answer(value), "whole")
    sentences = [s for s in _SENTENCE_END.split(text.strip()) if s.strip()]
    if sentences:
        last = _drop_negations(sentences[-1])
        if _COPULA.search(_outside_math(last)) and (found := _from_statement(last, "statement")):
            if _all_values(found):
                return found
            if found.text and (counted := _COUNTED.match(found.text)):  # "there are 12 ways"
                return Extracted(_counted_value(counted), "statement")
            if found.text and (valued := _VALUE_THEN_WORDS.match(found.text)):
                if _is_value(valued.group(1)) and any(c.isdigit() for c in valued.group(1)):
                    return Extracted(valued.group(1), "statement")  # "20000/π square meters"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if lines and "$" not in lines[-1] and (equation := _EQUATION_LINE.match(lines[-1].strip())):
        value = _clean(unicode_to_latex(equation.group(1)))
        if value and _is_value(value):  # "arcsin(−1/2) = −π/6"
            return Extracted(normalize_answer(value), "statement")
    formulas = _INLINE_MATH.findall(_drop_negations(text))
    if formulas:
        return Extracted(
            normalize_answer(_clean(next(g for g in formulas[-1] if g))), "inline_math"
        )
    return Extracted(None, "none")


def word_answer(answer_text: str) -> str | None:
    """The word a plain-text last sentence answers with, for questions whose answer is a word
    or a name: the value after its last copula ("The composition is even (it is not odd)."
    -> ``even``), else its subject ("Evelyn has the greatest average speed." -> ``Evelyn``).
    Asides in parentheses and negated words ("not odd") are dropped first."""
    sentences = [s for s in _SENTENCE_END.split(answer_text.strip()) if s.strip()]
    if not sentences:
        return None
    last = _drop_negations(_PARENTHETICAL.sub("", sentences[-1])).strip().rstrip(".!")
    copulas = list(_COPULA.finditer(last))
    subject = last.split(maxsplit=1)[0] if last else ""
    value = last[copulas[-1].end() :].strip() if copulas else subject
    if copulas and _DESCRIPTION.match(value) and subject[:1].isupper():
        value = subject  # "Alice is the fastest": the name, not the description
    value = _clean(value)
    return value if _WORD_VALUE.match(value) and value not in _NOT_ANSWERS else None


def cache_key_text(text: str) -> str:
    """Collapse whitespace so that answers differing only in spacing share a cache entry."""
    return " ".join(text.split())


__all__ = [
    "Extracted",
    "boxed_spans",
    "cache_key_text",
    "choice_letter",
    "choice_letter_in",
    "extract_final_answer",
    "last_boxed",
    "prepare",
    "statement_value",
    "word_answer",
]

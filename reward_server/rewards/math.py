"""``accuracy`` for math: is the final answer equivalent to any reference?

score = 1 if the extracted final answer is equivalent to one of the references, else 0;
null only when the infrastructure or the dataset cannot decide (no parseable reference, a
reference too costly to parse, a worker crashed). An answer too costly to read, or whose
parse or comparison runs past the deadline, scores 0 (``answer_too_costly``): nothing a
completion writes can force a null. Only the text after the last ``</think>`` is searched
when a think block exists, and a think block that never closes scores 0: the model never
answered.

The pipeline, cheapest first:

1. extraction (``math_extract``, ``math_text``): pure string work in the server;
   nothing found scores 0 (``no_answer``), never a number picked from elsewhere unless
   ``last_number_fallback`` is set;
2. policy (``math_policy``, ``math_cost``): several values for a one-value question,
   conflicting units, an echo of the prompt, a negation, a false equation and an answer too
   costly to parse score 0; percent references compare as numbers;
3. fast path (``math_fast``, ``math_numeric``): plain numbers, verbatim answers and
   answers clearly wrong by shape or value are decided in the server without sympy;
4. everything else runs math-verify in killable worker processes (``math_check`` via
   ``reward_server.workers``); verdicts are cached by (candidates, references, tolerance)
   because a GRPO group shares a handful of answers.
"""

from __future__ import annotations

import re
from typing import Any

from reward_server import metrics
from reward_server.cache import VerdictCache
from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.extract import THINK_CLOSE, split_completion
from reward_server.rewards.math_check import MathVerdict, check_answer
from reward_server.rewards.math_choice import letters_in
from reward_server.rewards.math_cost import too_costly
from reward_server.rewards.math_extract import (
    Extracted,
    boxed_spans,
    cache_key_text,
    choice_letter,
    choice_letter_in,
    extract_final_answer,
    prepare,
    word_answer,
)
from reward_server.rewards.math_fast import quick_verdict
from reward_server.rewards.math_policy import (
    MathParams,
    bare_relation,
    currency_conflict,
    drop_unit,
    false_equation,
    is_echo,
    is_negated,
    joins_alternatives,
    last_number,
    or_as_list,
    percent_as_fraction,
    strip_percent,
    top_level_parts,
    units_conflict,
)
from reward_server.rewards.math_text import align_vectors, normalize_answer, plain_thousands
from reward_server.schemas import Item
from reward_server.workers import WorkerCrashed, WorkerPool, WorkerTimeout

# What reaches a worker is capped: an answer part longer than this is hostile or rambling,
# and its tail is where a final answer would be.
MAX_ANSWER_CHARS = 20_000
_DETAIL_CHARS = 200


def references_of(item: Item) -> tuple[str, ...]:
    raw = [item.answer] if isinstance(item.answer, str) else list(item.answer or [])
    return tuple(ref.strip() for ref in raw if ref and ref.strip())


def _is_decided(verdict: MathVerdict) -> bool:
    """Kept in the cache: a verdict that does not depend on the machine's load. A deadline
    hit scores 0 but is not kept (on a loaded machine a fair answer may run out of time);
    identical answers graded at the same time still share one computation."""
    return verdict.correct is not None and verdict.reason != "answer_too_costly"


class MathGrader:
    """Owns nothing but references to the shared worker pool and verdict cache."""

    def __init__(self, pool: WorkerPool, cache_size: int, default_timeout_s: float) -> None:
        self._pool = pool
        self._cache: VerdictCache[MathVerdict] = VerdictCache(
            "math", cache_size, keep=_is_decided
        )
        self._default_timeout_s = default_timeout_s

    async def grade(
        self, item: Item, timeout_s: float | None = None, params: MathParams | None = None
    ) -> Score:
        params = params or MathParams()
        references = references_of(item)
        if not references:
            return Score.undecided(
                ErrorType.missing_reference, "math accuracy needs a non-empty `answer`"
            )
        parts = split_completion(item.completion, item.think_prefilled)
        if parts.reasoning is not None and not parts.closed:
            return Score(0.0, {"reason": "unclosed_think", "extracted": None})
        # a second "</think>" means the first was written inside the reasoning: only the text
        # after the last one is the answer
        earlier, _, last = parts.answer.rpartition(THINK_CLOSE)
        answer_part = last[-MAX_ANSWER_CHARS:]
        extracted = extract_final_answer(answer_part)
        if earlier and _other_box(earlier, extracted):
            # two answer sections that disagree: a hedge across the stray "</think>"
            return Score(0.0, {"reason": "hedged", "extracted": extracted.text})
        detail: dict[str, Any] = {
            "extracted": extracted.text[:_DETAIL_CHARS] if extracted.text else None,
            "source": extracted.source,
        }
        answer_text = prepare(answer_part)
        if not answer_text.strip():
            return Score(0.0, {**detail, "reason": "no_answer"})

        # A lowercase letter reference is a value (Euler's e, a side b), not an option.
        letters = [choice_letter(ref) if not ref.strip().islower() else None for ref in references]
        if all(letters):
            return _grade_letter(extracted, answer_text, letters, detail)
        if extracted.text is None and all(_is_word_reference(ref) for ref in references):
            if (word := word_answer(answer_text)) is not None:
                extracted = Extracted(word, "statement")
                detail.update(extracted=word, source="statement")
        if extracted.text is None:
            fallback = last_number(answer_text) if params.last_number_fallback else None
            if fallback is None:
                return Score(0.0, {**detail, "reason": "no_answer"})
            extracted = Extracted(fallback, "none")
            detail.update(extracted=fallback, source="last_number")

        candidates, refusal = _candidates(extracted, references, item.prompt, params)
        if (
            refusal is None
            and params.strict_units
            and all(
                currency_conflict(answer_part, c, ref) for c in candidates for ref in references
            )
        ):
            refusal = "unit_mismatch"
        if refusal is not None:
            return Score(0.0, {**detail, "reason": refusal})
        if any("%" in ref for ref in references):
            pairs = [strip_percent(c, references[0]) for c in candidates]
            candidates = tuple(c for c, _ in pairs)
            references = tuple(strip_percent("", ref)[1] for ref in references)
        else:
            candidates = tuple(percent_as_fraction(c, references) for c in candidates)
        references = tuple(
            _MEMBERSHIP.sub("", drop_unit(normalize_answer(ref))) for ref in references
        )
        candidates = tuple(drop_unit(c) for c in candidates)
        candidates, references = align_vectors(candidates, references)
        tolerance = params.relative_tolerance

        quick = [quick_verdict(c, references, tolerance) for c in candidates]
        if all(q is not None for q in quick):
            decided = [q for q in quick if q is not None]
            correct = all(ok for ok, _ in decided) and len({m for _, m in decided}) == 1
            detail.update(reason="equivalent" if correct else "not_equivalent", fast_path=True)
            if correct and decided[0][1] is not None:
                detail["matched_reference"] = decided[0][1]
            return Score(float(correct), detail)

        if any(too_costly(ref, (ref,)) for ref in references):  # its own length is fine
            return Score.undecided(
                ErrorType.invalid_reference, "the reference is too costly to parse", **detail
            )
        if any(too_costly(c, references) for c in candidates):
            return Score(0.0, {**detail, "reason": "answer_too_costly"})
        key = (tuple(cache_key_text(c) for c in candidates), references, tolerance)
        deadline = timeout_s or self._default_timeout_s
        verdict = await self._cache.get_or_compute(
            key, lambda: self._check(candidates, references, deadline, tolerance)
        )
        if verdict.reason == "answer_too_costly":
            metrics.TIMEOUTS.labels(reward="accuracy").inc()
        if verdict.correct is None:
            error = (
                ErrorType.invalid_reference
                if verdict.reason == "invalid_reference"
                else ErrorType.worker_crashed
            )
            return Score.undecided(error, verdict.message or verdict.reason, **detail)
        detail["reason"] = verdict.reason
        if verdict.matched is not None:
            detail["matched_reference"] = verdict.matched
        return Score(1.0 if verdict.correct else 0.0, detail)

    async def _check(
        self,
        candidates: tuple[str, ...],
        references: tuple[str, ...],
        deadline: float,
        tolerance: float,
    ) -> MathVerdict:
        # math-verify's in-process alarm fires first and keeps the worker; the pool's kill is
        # the backstop for C-level work (huge integer powers) that no signal interrupts.
        alarm_s = max(1, int(deadline))
        try:
            return await self._pool.run(
                check_answer,
                candidates,
                references,
                alarm_s,
                tolerance,
                timeout_s=deadline + 0.5,
            )
        except WorkerTimeout as exc:
            # pebble's deadline counts from the start of the task, not its wait in the queue:
            # the time went on this answer (a wait past the request's deadline is
            # ``scoring``'s null, not this)
            return MathVerdict(False, "answer_too_costly", message=str(exc))
        except WorkerCrashed as exc:
            return MathVerdict(None, "worker_crashed", message=str(exc))


_WORD_REFERENCE = re.compile(r"\\(?:text|textbf|mathrm|mbox)\{\s*[A-Za-z][A-Za-z ]*\}|[A-Za-z]{2,}")


def _is_word_reference(reference: str) -> bool:
    """``\\text{Evelyn}``, ``even``: a word or a name, not math."""
    return bool(_WORD_REFERENCE.fullmatch(reference.strip()))


# "x \\in [-2, 7]" is the interval: math-verify reads it as an equation x = [-2, 7], which
# no inequality answer (-2 \\le x \\le 7) can meet.
_MEMBERSHIP = re.compile(r"^\s*[a-zA-Z]\s*\\in\s+")


def _other_box(earlier: str, extracted: Extracted) -> bool:
    """A box before the last ``</think>`` that holds another value than the answer."""
    boxes = {normalize_answer(content) for _, _, content in boxed_spans(earlier) if content}
    return bool(boxes) and boxes != {extracted.text}


def _grade_letter(
    extracted: Extracted, answer_text: str, letters: list[str | None], detail: dict[str, Any]
) -> Score:
    """Multiple choice: the letter the answer commits to; several different letters score 0."""
    boxed_letters = {choice_letter(v) for v in extracted.values} if extracted.values else set()
    # "\\boxed{A, B, C, D, E}": every option at once, whatever the text around it says
    if len(boxed_letters) > 1 or (extracted.text and len(letters_in(extracted.text)) > 1):
        return Score(0.0, {**detail, "reason": "hedged"})
    direct = choice_letter(extracted.text) if extracted.text else None
    given = direct or choice_letter_in(answer_text[-500:])
    correct = given is not None and given in letters
    return Score(float(correct), {**detail, "reason": "choice", "letter": given})


_AND = re.compile(r"\\text\{\s*(?:and|,)\s*\}|\s+and\s+")


def _parts(reference: str) -> int:
    """Values a reference lists: ``2, -5``, ``6 \\text{ and } 8`` -> 2."""
    # each \pm doubles the values: -3 \pm \sqrt{2} is two roots
    return top_level_parts(_AND.sub(", ", reference)) * 2 ** reference.count("\\pm")


def _is_scalar(reference: str) -> bool:
    text = reference.strip()
    return _parts(text) == 1 and not text.startswith(("(", "[", "{", "\\{", "\\left"))


def _is_tuple_of(reference: str, count: int) -> bool:
    """A parenthesised tuple or a braced set of ``count`` entries."""
    text = reference.strip().removeprefix("\\left").removesuffix("\\right)")
    for opener, closer in (("(", ")"), ("\\{", "\\}"), ("{", "}")):
        if text.startswith(opener) and text.endswith(closer):
            return _parts(text[len(opener) : len(text) - len(closer)]) == count
    return False


def _candidates(
    extracted: Extracted, references: tuple[str, ...], prompt: str | None, params: MathParams
) -> tuple[tuple[str, ...], str | None]:
    """The texts to compare, or the reason the answer scores 0 before any comparison.

    Several distinct boxed values are one answer when a reference lists that many parts
    (``2, -5``); otherwise each must be right on its own (a hedge between values is wrong).
    A list answered to a one-value question is a hedge too (``5, 5, 5`` is not ``5``).
    """
    assert extracted.text is not None
    if extracted.values:
        joined = ", ".join(extracted.values)
        count = len(extracted.values)
        if any(_parts(ref) == count for ref in references):
            candidates: tuple[str, ...] = (joined,)
        elif any(_is_tuple_of(ref, count) for ref in references):
            tuple_like = any(ref.strip().startswith(("(", "\\left(")) for ref in references)
            candidates = (f"({joined})" if tuple_like else joined,)
        else:
            candidates = extracted.values
    else:
        candidates = (extracted.text,)
    if all(_is_scalar(ref) for ref in references):
        rewritten = []
        for candidate in candidates:
            if top_level_parts(candidate) > 1:
                thousands = plain_thousands(candidate)
                if thousands is None:
                    return candidates, "several_values"
                candidate = thousands
            rewritten.append(candidate)
        candidates = tuple(rewritten)
    if not all(_parts(r) == 1 for r in references):
        candidates = tuple(or_as_list(c) for c in candidates)
    for candidate in candidates:
        if is_negated(candidate, references):
            return candidates, "negated"
        # "x=1 \\lor x=5" states both roots of a two-root reference, but hedges a one-value one
        if joins_alternatives(candidate, references) and all(_parts(r) == 1 for r in references):
            return candidates, "hedged"
        if bare_relation(candidate, references):
            return candidates, "bare_relation"
        if false_equation(candidate):
            return candidates, "false_equation"
        if params.reject_echo and is_echo(candidate, prompt, references):
            return candidates, "echo"
        if params.strict_units and all(units_conflict(candidate, ref) for ref in references):
            return candidates, "unit_mismatch"
    return candidates, None

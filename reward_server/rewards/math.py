"""``accuracy`` for math: is the final answer equivalent to any reference?

score = 1 if the extracted final answer is equivalent (math-verify) to one of the
references, else 0; null when it cannot be decided (no parseable reference, deadline hit,
worker crashed). Only the text after ``</think>`` is searched when a think block exists,
and a think block that never closes scores 0: the model never answered.

Extraction happens here, in the server (cheap string work), and so does the comparison of
plain numbers (``math_fast``); parsing and comparison run in
killable worker processes (``reward_server.workers``), and verdicts are cached by
(normalized answer, references) because a GRPO group shares a handful of answers.
"""

from __future__ import annotations

from typing import Any

from reward_server import metrics
from reward_server.cache import VerdictCache
from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.extract import split_completion
from reward_server.rewards.math_check import check_answer
from reward_server.rewards.math_extract import (
    cache_key_text,
    choice_letter,
    choice_letter_in,
    extract_final_answer,
)
from reward_server.rewards.math_fast import quick_verdict
from reward_server.schemas import Item
from reward_server.workers import WorkerCrashed, WorkerPool, WorkerTimeout

# What reaches a worker is capped: an answer part longer than this is hostile or rambling,
# and its tail is where a final answer would be.
MAX_ANSWER_CHARS = 20_000
_DETAIL_CHARS = 200


def references_of(item: Item) -> tuple[str, ...]:
    raw = [item.answer] if isinstance(item.answer, str) else list(item.answer or [])
    return tuple(ref.strip() for ref in raw if ref and ref.strip())


def _is_decided(verdict: dict[str, Any]) -> bool:
    return verdict["correct"] is not None


class MathGrader:
    """Owns nothing but references to the shared worker pool and verdict cache."""

    def __init__(self, pool: WorkerPool, cache_size: int, default_timeout_s: float) -> None:
        self._pool = pool
        self._cache: VerdictCache[dict[str, Any]] = VerdictCache(
            "math", cache_size, keep=_is_decided
        )
        self._default_timeout_s = default_timeout_s

    async def grade(self, item: Item, timeout_s: float | None = None) -> Score:
        references = references_of(item)
        if not references:
            return Score.undecided(
                ErrorType.missing_reference, "math accuracy needs a non-empty `answer`"
            )
        parts = split_completion(item.completion, item.think_prefilled)
        if parts.reasoning is not None and not parts.closed:
            return Score(0.0, {"reason": "unclosed_think", "extracted": None})
        answer_part = parts.answer[-MAX_ANSWER_CHARS:]
        extracted = extract_final_answer(answer_part)
        detail: dict[str, Any] = {
            "extracted": extracted.text[:_DETAIL_CHARS] if extracted.text else None,
            "source": extracted.source,
        }
        if not answer_part.strip():
            return Score(0.0, {**detail, "reason": "no_answer"})

        letters = [choice_letter(ref) for ref in references]
        if all(letters):
            given = choice_letter_in(extracted.text or answer_part[-300:])
            correct = given is not None and given in letters
            return Score(float(correct), {**detail, "reason": "choice", "letter": given})

        if extracted.text is not None and (quick := quick_verdict(extracted.text, references)):
            correct, matched = quick
            detail.update(reason="equivalent" if correct else "not_equivalent", fast_path=True)
            if matched is not None:
                detail["matched_reference"] = matched
            return Score(float(correct), detail)

        key = (
            cache_key_text(extracted.text) if extracted.text is not None else ("raw", answer_part),
            references,
        )
        deadline = timeout_s or self._default_timeout_s
        verdict = await self._cache.get_or_compute(
            key, lambda: self._check(extracted.text, answer_part, references, deadline)
        )
        if verdict["correct"] is None:
            error = (
                ErrorType.invalid_reference
                if verdict["reason"] == "invalid_reference"
                else ErrorType.timeout
                if verdict["reason"] == "timeout"
                else ErrorType.worker_crashed
            )
            if error is ErrorType.timeout:
                metrics.TIMEOUTS.labels(reward="accuracy").inc()
            return Score.undecided(error, verdict.get("message", verdict["reason"]), **detail)
        detail["reason"] = verdict["reason"]
        if verdict["matched"] is not None:
            detail["matched_reference"] = verdict["matched"]
        return Score(1.0 if verdict["correct"] else 0.0, detail)

    async def _check(
        self, candidate: str | None, answer_part: str, references: tuple[str, ...], deadline: float
    ) -> dict[str, Any]:
        # math-verify's in-process alarm fires first and keeps the worker; the pool's kill is
        # the backstop for C-level work (huge integer powers) that no signal interrupts.
        alarm_s = max(1, int(deadline))
        try:
            return await self._pool.run(
                check_answer, candidate, answer_part, references, alarm_s, timeout_s=deadline + 0.5
            )
        except WorkerTimeout as exc:
            return {"correct": None, "reason": "timeout", "message": str(exc)}
        except WorkerCrashed as exc:
            return {"correct": None, "reason": "worker_crashed", "message": str(exc)}

"""Grading a batch: validate each item alone, run its rewards, compose the weighted sum.

The runner knows rewards only by what they declare (``rewards.registry``). Phases, because
some rewards read others' verdicts: (1) the async rewards (``accuracy``: worker processes,
sandboxes) of every item that needs them, concurrently under the request's deadline;
(2) the sync per-item rewards, in one thread so the event loop stays free; (3) group rewards
over items sharing a ``group_id``; (4) composition. Every item gets exactly one result, in
order, whatever fails; a ``TryLater`` from a reward makes the whole request a 429.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from reward_server import metrics
from reward_server.rewards.base import ErrorType, Score, ScoreError, TryLater
from reward_server.rewards.catalog import REWARDS, RewardSpec, known_rewards, with_dependencies
from reward_server.rewards.registry import Resources
from reward_server.schemas import (
    Component,
    ErrorInfo,
    Item,
    ItemResult,
    ScoreOptions,
    ScoreRequest,
)
from sandbox.scheduler import REQUEST


class RequestError(ValueError):
    """The request as a whole is unusable (unknown reward, bad parameters, too many items)."""

    def __init__(
        self, message: str, status_code: int = 422, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after_s = retry_after_s

    @classmethod
    def too_many(cls, count: int, limit: int) -> RequestError:
        return cls(f"{count} items in one request; the limit is {limit}: split the batch", 413)


def validation_message(exc: ValidationError) -> str:
    """One line a person can act on: ``completion: Field required; answer: ...``."""
    parts = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(p) for p in error["loc"]) or "item"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def validate_params(params: dict[str, dict[str, Any]]) -> dict[str, BaseModel]:
    """Parameters are checked once per request, so a typo fails loudly instead of per item."""
    known = known_rewards()
    validated: dict[str, BaseModel] = {}
    for name, values in params.items():
        if name not in known:
            raise RequestError(
                f"options.params names unknown reward {name!r}; known: {sorted(known)}"
            )
        model = known[name]
        try:
            validated[name] = model.model_validate(values)
        except ValidationError as exc:
            raise RequestError(f"options.params.{name}: {validation_message(exc)}") from exc
    return validated


MAX_WEIGHT = 1e6


def weight_problem(weights: dict[str, float]) -> str | None:
    """NaN, infinite or huge weights would make rewards that JSON cannot carry (``null``
    without an error, or ``inf``): refuse them instead."""
    bad = sorted(n for n, w in weights.items() if not (math.isfinite(w) and abs(w) <= MAX_WEIGHT))
    if not bad:
        return None
    return f"weights must be finite numbers within ±{MAX_WEIGHT:g}; not {bad[:5]}"


def check_weights(weights: dict[str, float], where: str) -> None:
    unknown = sorted(set(weights) - set(known_rewards()))
    if unknown:
        known = sorted(known_rewards())
        raise RequestError(f"{where} names unknown rewards {unknown}; known: {known}")
    if problem := weight_problem(weights):
        raise RequestError(f"{where}: {problem}")


@dataclass
class _Slot:
    """One item's state while its batch is graded."""

    index: int
    raw_id: Any
    item: Item | None = None
    weights: dict[str, float] = field(default_factory=dict)
    needed: list[str] = field(default_factory=list)  # weighed rewards and what they read
    scores: dict[str, Score] = field(default_factory=dict)
    error: ErrorInfo | None = None
    seconds: float = 0.0


class Scorer:
    """Grades requests with the registered rewards over the server's ``resources``."""

    def __init__(
        self, resources: Resources, max_completion_chars: int, max_pending_items: int
    ) -> None:
        self._resources = resources
        self._max_completion_chars = max_completion_chars
        self._max_pending_items = max_pending_items
        self._pending_items = 0

    async def score(self, request: ScoreRequest, request_timeout_s: float) -> list[ItemResult]:
        """One result per item, in order. Raises RequestError for an unusable request and
        TryLater when a shared resource is full (both answered as a whole: 4xx, 429)."""
        check_weights(request.rewards, "rewards")
        params = validate_params(request.options.params)
        count = len(request.items)
        if self._pending_items and self._pending_items + count > self._max_pending_items:
            # Past this backlog a client would wait longer than it should: it hears so now.
            raise RequestError(
                f"server busy: {self._pending_items} items are being graded; retry shortly",
                status_code=429,
                retry_after_s=1,
            )
        self._pending_items += count
        try:
            slots = [self._admit(i, raw, request.rewards) for i, raw in enumerate(request.items)]
            live = [s for s in slots if s.item is not None]
            await self._grade_async(live, request.options, params, request_timeout_s)
            await asyncio.to_thread(_grade_item_rewards, live, params)
            _grade_group_rewards(live, params)
            return [_compose(slot, request.options.on_error) for slot in slots]
        finally:
            self._pending_items -= count

    def _admit(self, index: int, raw: Any, default_weights: dict[str, float]) -> _Slot:
        slot = _Slot(index=index, raw_id=raw.get("id") if isinstance(raw, dict) else None)
        if not isinstance(raw, dict):
            slot.error = ErrorInfo(type=ErrorType.invalid_item, message="an item must be an object")
            return slot
        try:
            item = Item.model_validate(raw)
        except ValidationError as exc:
            slot.error = ErrorInfo(type=ErrorType.invalid_item, message=validation_message(exc))
            return slot
        if len(item.completion) > self._max_completion_chars:
            slot.error = ErrorInfo(
                type=ErrorType.invalid_item,
                message=f"completion has {len(item.completion)} characters; "
                f"the limit is {self._max_completion_chars}",
            )
            return slot
        weights = item.rewards if item.rewards is not None else default_weights
        unknown = sorted(set(weights) - set(known_rewards()))
        if unknown:
            slot.error = ErrorInfo(
                type=ErrorType.unknown_reward,
                message=f"item rewards name unknown rewards {unknown}",
            )
            return slot
        if item.rewards is not None and (problem := weight_problem(item.rewards)):
            slot.error = ErrorInfo(type=ErrorType.invalid_item, message=f"rewards: {problem}")
            return slot
        slot.item, slot.weights, slot.needed = item, weights, with_dependencies(weights)
        return slot

    async def _grade_async(
        self,
        slots: Sequence[_Slot],
        options: ScoreOptions,
        params: dict[str, BaseModel],
        request_timeout_s: float,
    ) -> None:
        async def run(slot: _Slot, spec: RewardSpec) -> None:
            assert slot.item is not None
            p = params.get(spec.name) or spec.params()
            started = time.perf_counter()
            try:
                score = _checked(spec.name, await spec.fn(slot.item, p, self._resources, options))
            except TryLater:
                raise  # the whole request answers 429: the client retries it later
            except Exception as exc:  # a grader bug is that item's error, never a 500
                score = Score.undecided(ErrorType.internal_error, f"{type(exc).__name__}: {exc}")
            _record(slot, spec.name, score, time.perf_counter() - started)

        # Sandbox jobs of this request share one line in the pool's fair queue.
        REQUEST.set(uuid.uuid4().hex)
        tasks = {
            asyncio.ensure_future(run(slot, spec)): (slot, spec.name)
            for slot in slots
            for spec in (REWARDS[name] for name in slot.needed)
            if spec.is_async
        }
        if not tasks:
            return
        try:
            done, pending = await asyncio.wait(
                tasks, timeout=request_timeout_s, return_when=asyncio.FIRST_EXCEPTION
            )
        except asyncio.CancelledError:  # the client went away: its queued work goes too
            for task in tasks:
                task.cancel()
            raise
        # A full resource (the one exception run() lets out) makes the request a 429:
        # answer it now, and read every failed task's exception so none is logged as lost.
        failed = [e for t in done if not t.cancelled() and (e := t.exception()) is not None]
        if failed:
            for other in pending:
                other.cancel()
            raise failed[0]
        for task in pending:
            task.cancel()
            slot, name = tasks[task]
            metrics.TIMEOUTS.labels(reward=name).inc()
            _record(
                slot,
                name,
                Score.undecided(ErrorType.timeout, "the request's grading deadline passed"),
                request_timeout_s,
            )


def _record(slot: _Slot, name: str, score: Score, seconds: float) -> None:
    slot.scores[name] = score
    slot.seconds += seconds
    metrics.ITEMS.labels(reward=name).inc()
    metrics.GRADE_SECONDS.labels(reward=name).observe(seconds)
    if score.error is not None:
        metrics.ITEM_ERRORS.labels(reward=name, type=score.error.type.value).inc()


def _checked(name: str, result: object) -> Score:
    """``result`` when it is a Score with a finite value or none; else that component's
    internal_error (a reward returning a bare float or NaN is a bug, never the batch's 500)."""
    if not isinstance(result, Score):
        message = f"{name}: returned {type(result).__name__}, not a Score"
        return Score.undecided(ErrorType.internal_error, message)
    if result.value is not None and not (
        isinstance(result.value, int | float) and math.isfinite(result.value)
    ):
        message = f"{name}: returned the value {result.value!r}, not a finite number"
        return Score.undecided(ErrorType.internal_error, message)
    return result


def _safe(name: str, fn: Callable[..., Score], *args: Any) -> Score:
    try:
        return _checked(name, fn(*args))
    except Exception as exc:  # a reward bug is that component's error, never the batch's
        return Score.undecided(ErrorType.internal_error, f"{name}: {type(exc).__name__}: {exc}")


def _correct(slot: _Slot, name: str | None) -> bool | None:
    """Reward ``name``'s verdict on the slot: right when it scored 1; None when undecided."""
    score = slot.scores.get(name) if name is not None else None
    if score is None or score.value is None:
        return None
    return score.value >= 1.0


def _grade_item_rewards(slots: Sequence[_Slot], params: dict[str, BaseModel]) -> None:
    """The sync per-item rewards; runs in a thread so a large batch never stalls the loop."""
    for slot in slots:
        assert slot.item is not None
        for name in slot.needed:
            spec = REWARDS[name]
            if spec.is_async or spec.scope == "group":
                continue
            started = time.perf_counter()
            p = params.get(name) or spec.params()
            if spec.reads is None:
                score = _safe(name, spec.fn, slot.item, p)
            else:
                score = _safe(name, spec.fn, slot.item, p, _correct(slot, spec.reads))
            _record(slot, name, score, time.perf_counter() - started)


def _grade_group_rewards(slots: Sequence[_Slot], params: dict[str, BaseModel]) -> None:
    """Group rewards see every item of their prompt group; items without a group id form one
    group per request, as open-r1 computes them over the batch."""
    for spec in (s for s in REWARDS.values() if s.scope == "group"):
        groups: dict[Any, list[_Slot]] = defaultdict(list)
        for slot in slots:
            if spec.name in slot.needed:
                assert slot.item is not None
                groups[slot.item.group_id].append(slot)
        p = params.get(spec.name) or spec.params()
        for members in groups.values():
            started = time.perf_counter()
            items = [m.item for m in members]
            correct = [_correct(m, spec.reads) for m in members]
            try:
                scores = list(spec.fn(items, correct, p))
                if len(scores) != len(members):
                    raise ValueError(f"{len(scores)} scores for a group of {len(members)}")
                scores = [_checked(spec.name, score) for score in scores]
            except Exception as exc:  # the group's error, never the batch's
                message = f"{spec.name}: {type(exc).__name__}: {exc}"
                scores = [Score.undecided(ErrorType.internal_error, message) for _ in members]
            share = (time.perf_counter() - started) / len(members)
            for member, score in zip(members, scores, strict=True):
                _record(member, spec.name, score, share)


def _error_info(error: ScoreError) -> ErrorInfo:
    return ErrorInfo(type=error.type.value, message=error.message)


def _compose(slot: _Slot, on_error: str) -> ItemResult:
    """reward = sum(weight * score); an undecided component makes it null unless on_error=zero."""
    elapsed_ms = round(slot.seconds * 1000, 3)
    if slot.item is None:
        return ItemResult(
            index=slot.index,
            id=_echo_id(slot.raw_id),
            reward=None,
            error=slot.error,
            elapsed_ms=elapsed_ms,
        )
    components: dict[str, Component] = {}
    total: float | None = 0.0
    first_error: ErrorInfo | None = None
    for name, weight in slot.weights.items():
        score = slot.scores[name]
        error = _error_info(score.error) if score.error else None
        components[name] = Component(
            score=score.value, weight=weight, detail=score.detail, error=error
        )
        if score.value is None:
            first_error = first_error or error
            if on_error == "null":
                total = None
        elif total is not None:
            total += weight * score.value
    return ItemResult(
        index=slot.index,
        id=slot.item.id,
        reward=total,
        components=components,
        error=first_error,
        elapsed_ms=elapsed_ms,
    )


def _echo_id(raw_id: Any) -> str | int | None:
    return raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None

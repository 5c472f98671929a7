"""The shape every reward shares: a pure function from an item to a Score.

A reward never raises for bad model output: a wrong or malformed answer is a score of 0,
and only a grader that could not decide (timeout, crashed worker, unparseable reference)
returns ``value=None`` with a typed ``error`` so trainers can drop the item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class ErrorType(str, Enum):
    """Typed reasons for a result that is not a verdict on the model's output."""

    invalid_item = "invalid_item"  # the item itself is malformed (missing completion, ...)
    missing_reference = "missing_reference"  # the reward needs a field the item lacks
    invalid_reference = "invalid_reference"  # the reference could not be parsed
    timeout = "timeout"  # the grader ran past its deadline
    worker_crashed = "worker_crashed"  # the grading process died
    sandbox_error = "sandbox_error"  # the code sandbox failed (not the program)
    unknown_reward = "unknown_reward"  # the request names a reward that does not exist
    invalid_params = "invalid_params"  # reward parameters failed validation
    internal_error = "internal_error"  # a bug in a grader; reported, never a 500


@dataclass(frozen=True)
class ScoreError:
    type: ErrorType
    message: str


@dataclass(frozen=True)
class Score:
    """One reward's verdict on one item.

    ``value`` is None only when the grader could not decide; ``error`` then says why.
    ``detail`` carries what a person needs to audit the verdict (extracted answer, counts).
    """

    value: float | None
    detail: dict[str, Any] = field(default_factory=dict)
    error: ScoreError | None = None

    @classmethod
    def undecided(cls, type_: ErrorType, message: str, **detail: Any) -> Score:
        return cls(value=None, detail=detail, error=ScoreError(type_, message))


class TryLater(Exception):
    """A shared resource is full for now (the sandbox queue): the whole request is answered
    429 with ``Retry-After: retry_after_s`` so the client sends it again, instead of items
    graded null for a reason that is gone a second later."""

    def __init__(self, message: str, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

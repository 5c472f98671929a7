"""``accuracy``: math when the item carries an ``answer``, code when it carries ``tests``.

Math runs in the worker processes (``math.MathGrader``), code in the sandbox pool
(``code.grade_code``). ``options.params.accuracy`` is one flat object whose fields each
belong to one kind; a math item is graded with the math fields only, a code item with the
code fields only.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reward_server.rewards.base import ErrorType, Score, TryLater
from reward_server.rewards.code import CodeParams, grade_code
from reward_server.rewards.math_policy import MathParams
from reward_server.rewards.registry import Resources, register
from reward_server.schemas import Item, ScoreOptions
from sandbox import SandboxBusy


class AccuracyParams(BaseModel):
    """``options.params.accuracy``, e.g. ``{"scoring": "fraction", "strict_units": false}``:
    the fields of ``MathParams`` go to math items, those of ``CodeParams`` to code items;
    any other field is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    math: MathParams = Field(default_factory=MathParams)
    code: CodeParams = Field(default_factory=CodeParams)

    @model_validator(mode="before")
    @classmethod
    def _by_kind(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values  # pydantic says what type it wanted
        kinds = {"math": MathParams.model_fields, "code": CodeParams.model_fields}
        split: dict[str, Any] = {kind: {} for kind in kinds}
        for key, value in values.items():
            kind = next((k for k, fields in kinds.items() if key in fields), None)
            if kind is None:
                split[key] = value  # left for ``extra="forbid"`` to name
            else:
                split[kind][key] = value
        return split


@register("accuracy", AccuracyParams, is_async=True, uses=("workers", "sandbox"))
async def accuracy_reward(
    item: Item, params: AccuracyParams, resources: Resources, options: ScoreOptions
) -> Score:
    """math (item has `answer`) or code (item has `tests`) correctness

    Raises TryLater when the sandbox queue is full.
    """
    if item.tests is None:
        return await resources.math.grade(item, options.timeout_s, params.math)
    if not resources.sandbox_enabled:
        return Score.undecided(ErrorType.sandbox_error, "code grading is disabled on this server")
    try:
        return await grade_code(item, resources.sandbox, params.code)
    except SandboxBusy as exc:
        raise TryLater(f"{exc}: retry shortly", exc.retry_after) from exc

"""The reward catalogue: importing this module registers every reward family."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reward_server.rewards import code as _code  # noqa: F401  (registers code_format)
from reward_server.rewards import format as _format  # noqa: F401  (registers format, tags)
from reward_server.rewards import language as _language  # noqa: F401
from reward_server.rewards import shaping as _shaping  # noqa: F401
from reward_server.rewards.code import CodeParams
from reward_server.rewards.math_policy import MathParams
from reward_server.rewards.registry import REWARDS

ACCURACY = "accuracy"


class AccuracyParams(CodeParams, MathParams):
    """``options.params.accuracy``: code items read the code fields (scoring, limits,
    compare), math items the math fields (fallback, echo, units, tolerance)."""

    model_config = ConfigDict(extra="forbid")


# Rewards that read the accuracy verdict, so asking for them grades accuracy too.
CORRECTNESS_USERS = frozenset(
    name for name, spec in REWARDS.items() if spec.kind in ("correctness", "group")
)


def known_rewards() -> dict[str, type[BaseModel]]:
    """Reward name -> its parameter model."""
    return {ACCURACY: AccuracyParams, **{name: spec.params for name, spec in REWARDS.items()}}


__all__ = ["ACCURACY", "CORRECTNESS_USERS", "REWARDS", "AccuracyParams", "known_rewards"]

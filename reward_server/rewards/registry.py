"""Rewards registered by stable name, each with its parameter model.

Three shapes of reward exist, because some need more than one item:

- ``item``: ``fn(item, params) -> Score``; most rewards.
- ``correctness``: ``fn(item, params, correct) -> Score``; needs the item's accuracy verdict
  (``correct`` is None when accuracy could not be decided), e.g. ``cosine``.
- ``group``: ``fn(items, correct, params) -> list[Score]``; needs the whole prompt group
  (items sharing ``group_id``), e.g. Kimi 1.5's ``length``.

``accuracy`` is not registered here: it is asynchronous (worker processes, sandboxes) and
handled by ``reward_server.scoring``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

RewardKind = Literal["item", "correctness", "group"]


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class RewardSpec:
    name: str
    kind: RewardKind
    fn: Callable[..., Any]
    params: type[BaseModel]
    summary: str


REWARDS: dict[str, RewardSpec] = {}


def register(
    name: str, kind: RewardKind = "item", params: type[BaseModel] = NoParams
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` under ``name``; its docstring's first line becomes the catalogue entry."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in REWARDS:
            raise ValueError(f"reward {name!r} registered twice")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else name
        REWARDS[name] = RewardSpec(name=name, kind=kind, fn=fn, params=params, summary=summary)
        return fn

    return decorate

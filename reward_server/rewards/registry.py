"""Rewards registered by stable name: the one place a reward says what it is.

A reward is a function in a module of ``reward_server.rewards`` decorated with ``@register``;
``load_rewards`` imports every module of the package, so a new module is enough. The
decorator declares how the scorer (``reward_server.scoring``) must run it:

- ``scope="item"``, sync (most rewards): ``fn(item, params) -> Score``, run in a thread.
- ``reads="accuracy"``: also ``correct`` (bool, or None when that reward could not decide),
  i.e. ``fn(item, params, correct)``, e.g. ``cosine``; the read reward is graded first, even
  when the request does not weigh it.
- ``scope="group"``: ``fn(items, correct, params) -> list[Score]`` over the items sharing a
  ``group_id``, e.g. Kimi 1.5's ``length``.
- ``is_async=True``: ``async fn(item, params, resources, options) -> Score``, run
  concurrently under the request's deadline, e.g. ``accuracy``. ``resources``
  (``Resources``) lends the server's long-lived pools; ``uses`` names the ones it needs.

``params`` is the pydantic model of ``options.params.<name>``, validated once per request.
A reward raises ``TryLater`` (``base``) for a shared resource that is full for now: the
request is answered 429 with ``Retry-After``; anything else it raises is that item's
``internal_error``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from reward_server.rewards.math import MathGrader
    from sandbox import SandboxPool

RewardKind = Literal["item", "correctness", "group"]
Scope = Literal["item", "group"]
Resource = Literal["workers", "sandbox"]


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resources(Protocol):
    """What the server lends to async rewards (``reward_server.graders.Graders``)."""

    @property
    def math(self) -> MathGrader:
        """Math-verify in killable worker processes, with its verdict cache."""
        ...

    @property
    def sandbox(self) -> SandboxPool | None:
        """The code sandbox pool; None while it is not (yet) started."""
        ...

    @property
    def sandbox_enabled(self) -> bool:
        """False when the server runs without code grading."""
        ...


@dataclass(frozen=True)
class RewardSpec:
    """A registered reward: its function and what the scorer needs to know to run it."""

    name: str
    fn: Callable[..., Any]
    params: type[BaseModel]
    summary: str
    scope: Scope = "item"
    is_async: bool = False
    reads: str | None = None
    uses: frozenset[Resource] = frozenset()

    @property
    def kind(self) -> RewardKind:
        """The call shape: ``item``, ``correctness`` (reads a verdict) or ``group``."""
        if self.scope == "group":
            return "group"
        return "correctness" if self.reads else "item"


REWARDS: dict[str, RewardSpec] = {}


def register(
    name: str,
    params: type[BaseModel] = NoParams,
    *,
    scope: Scope = "item",
    is_async: bool = False,
    reads: str | None = None,
    uses: tuple[Resource, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` under ``name``; its docstring's first line becomes the catalogue entry.

    Raises ValueError for a name registered twice or a declaration the scorer cannot run
    (an async group reward, an async reward that reads another's verdict). A group reward
    that reads no verdict gets ``correct`` as all None.
    """
    if is_async and (scope == "group" or reads):
        raise ValueError(f"reward {name!r}: async rewards are per item and read no verdict")

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in REWARDS:
            raise ValueError(f"reward {name!r} registered twice")
        summary = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else name
        REWARDS[name] = RewardSpec(
            name, fn, params, summary, scope, is_async, reads, frozenset(uses)
        )
        return fn

    return decorate


def load_rewards(package: ModuleType | None = None) -> dict[str, RewardSpec]:
    """Import every module of ``package`` (default: ``reward_server.rewards``) so that its
    ``@register`` calls run; returns the registry, name -> spec."""
    if package is None:
        package = importlib.import_module(__name__.rpartition(".")[0])
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return REWARDS

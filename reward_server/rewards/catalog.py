"""The reward catalogue: every reward of the package, loaded once, and what a set needs."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel

from reward_server.rewards.registry import REWARDS, Resource, RewardSpec, load_rewards

load_rewards()


def known_rewards() -> dict[str, type[BaseModel]]:
    """Reward name -> its parameter model."""
    return {name: spec.params for name, spec in REWARDS.items()}


def with_dependencies(names: Iterable[str]) -> list[str]:
    """``names`` and the rewards whose verdict they read, each read one before its readers;
    unknown names are left out."""
    ordered: list[str] = []

    def add(name: str) -> None:
        spec = REWARDS.get(name)
        if spec is None or name in ordered:
            return
        if spec.reads is not None:
            add(spec.reads)
        ordered.append(name)

    for name in names:
        add(name)
    return ordered


def resources_used(names: Iterable[str]) -> frozenset[Resource]:
    """The server resources that grading ``names`` (and what they read) may use."""
    return frozenset(r for name in with_dependencies(names) for r in REWARDS[name].uses)


__all__ = ["REWARDS", "RewardSpec", "known_rewards", "resources_used", "with_dependencies"]

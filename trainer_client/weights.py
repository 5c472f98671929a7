"""Reward weights written as text: the one parser behind every place that takes them as a string.

verl's ``REWARD_WEIGHTS`` and ``reward_kwargs``, the OpenRLHF and NeMo Gym endpoints' ``?rewards=``
query and the offline grader's ``--rewards`` all read the same syntax:

- pairs: ``accuracy:1,format:0.5``; a name without a weight (``accuracy``, ``accuracy:``)
  weighs 1; blank parts and white space around names and weights are ignored;
- a YAML or JSON mapping: ``{accuracy: 1, format: 0.5}``;
- a mapping object, taken as it is (values as floats).

Weights are plain ``float()`` values, so ``nan`` and ``inf`` pass through: whether a weight is
allowed is the service's decision (it answers 422 for a non-finite one), not the parser's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml


class WeightsError(ValueError):
    """The text does not name rewards with weights; the message quotes the offending part."""


def parse_weights(
    spec: str | Mapping[str, Any] | None, default: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Reward name -> weight from ``spec``; an empty or missing ``spec`` gives ``default``.

    Raises ``WeightsError`` when a weight is not a number, a name is blank, the text is an
    unreadable mapping, or nothing is named and there is no ``default``.

    >>> parse_weights("accuracy:1,format:0.5")
    {'accuracy': 1.0, 'format': 0.5}
    >>> parse_weights("accuracy, format:0.5")
    {'accuracy': 1.0, 'format': 0.5}
    >>> parse_weights("{accuracy: 1, format: 0.5}")
    {'accuracy': 1.0, 'format': 0.5}
    >>> parse_weights(None, default={"accuracy": 1.0})
    {'accuracy': 1.0}
    """
    if isinstance(spec, Mapping):
        return {str(name): _weight(name, value) for name, value in spec.items()}
    if not spec:
        if default is None:
            raise WeightsError("names no reward")
        return dict(default)
    if spec.strip().startswith("{"):
        return parse_weights(_mapping(spec))
    weights: dict[str, float] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        name, _, weight = part.partition(":")
        if not name.strip():
            raise WeightsError(f"{part!r} is not name:weight")
        weights[name.strip()] = _weight(part, weight) if weight.strip() else 1.0
    if not weights:
        raise WeightsError("names no reward")
    return weights


def _weight(where: object, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{where!r} is not name:weight") from exc


def _mapping(text: str) -> Mapping[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WeightsError(f"{text!r} is not a mapping of name: weight") from exc
    if not isinstance(loaded, Mapping):
        raise WeightsError(f"{text!r} is not a mapping of name: weight")
    return loaded

"""The ``/score`` item as the adapters build it: one model for the GRPO loop, TRL, verl, OpenRLHF.

The fields and their names are the service's ``Item`` (``reward_server.schemas``;
tests/trainer/test_items.py fails if the two drift apart). The client does not validate the
values: the service validates every item on its own, so a dataset value it cannot use (a
numeric ``answer``, a ``tests`` string, an unknown column) becomes that item's
``invalid_item`` error while its neighbours are graded, exactly as when the item was a dict.
Only the fields an adapter set travel (``to_json``), so the service's defaults and inferences
(``think_prefilled`` from a prompt that opens ``<think>``) apply to the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, SkipValidation


class ScoreItem(BaseModel):
    """One completion to grade and the references its rewards need (see the service's ``Item``).

    Extra keys are kept and sent, so the service can name them in that item's error.
    """

    model_config = ConfigDict(extra="allow")

    id: SkipValidation[str | int | None] = None  # echoed back in the result
    prompt: SkipValidation[str | None] = None
    completion: SkipValidation[str]
    answer: SkipValidation[str | list[str] | None] = None  # math reference(s)
    tests: SkipValidation[dict[str, Any] | None] = None  # code tests
    language: SkipValidation[str | None] = None  # programming language
    target_language: SkipValidation[str | None] = None  # natural language of the reasoning
    think_prefilled: SkipValidation[bool | None] = None
    rewards: SkipValidation[dict[str, float] | None] = None  # per-item weights
    group_id: SkipValidation[str | int | None] = None
    completion_tokens: SkipValidation[int | None] = None
    max_tokens: SkipValidation[int | None] = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object sent to ``/score``: the fields that were set, as they were set."""
        return self.model_dump(exclude_unset=True, warnings=False)



# What the client accepts as an item: the model, or a plain mapping in the same shape.
ItemLike = ScoreItem | Mapping[str, Any]


def item_json(item: ItemLike) -> dict[str, Any]:
    """The JSON object sent for one item."""
    return item.to_json() if isinstance(item, ScoreItem) else dict(item)

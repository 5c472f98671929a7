"""One item model for every adapter, in the service's shape; values travel as the data had them."""

from __future__ import annotations

import pytest

from reward_server.compat.openrlhf import to_score_request
from reward_server.schemas import Item, OpenRLHFRequest
from trainer_client.data import GroupRef, reward_items
from trainer_client.integrations import verl
from trainer_client.integrations.trl import build_items
from trainer_client.items import ScoreItem, item_json


def test_fields_are_the_services_item_fields() -> None:
    assert list(ScoreItem.model_fields) == list(Item.model_fields)
    for name, field in ScoreItem.model_fields.items():
        assert field.is_required() == Item.model_fields[name].is_required(), name


def adapter_items() -> list[ScoreItem]:
    row = {"prompt": [{"role": "user", "content": "2+3?"}], "answer": "5", "language": None}
    ref = GroupRef(step=2, group=1)
    loop = reward_items(row, ["5", "6"], [1, 1], ref, ["answer", "language"], 8, True)
    trl = build_items(["2+3?"], ["5"], [[1]], ["answer"], {"answer": ["5"]}, 8)
    code_truth = '{"inputs": ["\\n"], "outputs": ["1\\n"]}'
    verl_items = [
        verl.to_item("gsm8k", "\\boxed{5}", ["5", "5.0"], {"index": 3, "question": "2+3?"}),
        verl.to_item("apps", "print(1)", code_truth, {"language": "python"}),
    ]
    return [*loop, *trl, *verl_items]


def test_every_adapter_builds_items_the_service_accepts() -> None:
    for item in adapter_items():
        wire = item.to_json()
        assert Item.model_validate(wire).completion == wire["completion"]
    body = OpenRLHFRequest(query=["Q: 2+3?\n5"], prompts=["Q: 2+3?\n"], labels=["5"])
    [sent] = to_score_request(body, {"accuracy": 1.0}).items
    assert sent == {"prompt": "Q: 2+3?\n", "completion": "5", "answer": "5"}
    assert Item.model_validate(sent).answer == "5"


def test_only_what_an_adapter_set_is_sent() -> None:
    """Unset fields stay absent so the service's own defaults and inferences apply."""
    row = {"prompt": "2+3? <think>\n", "answer": "5"}
    [item] = reward_items(row, ["5"], [1], GroupRef(0, 0), ["answer"], 8)
    assert "think_prefilled" not in item.to_json()  # the service infers it from the prompt
    assert Item.model_validate(item.to_json()).think_prefilled is True
    assert item.to_json() == {
        "prompt": "2+3? <think>\n", "group_id": "s0-p0", "answer": "5", "id": "s0-p0-g0",
        "completion": "5", "completion_tokens": 1, "max_tokens": 8,
    }  # fmt: skip


@pytest.mark.parametrize(
    "fields",
    [
        {"answer": 5},  # a numeric column
        {"tests": "not json"},
        {"think_prefilled": None},
        {"unknown_column": [1]},
    ],
)
def test_values_travel_unchanged_for_the_service_to_judge(fields: dict) -> None:
    """The service validates each item on its own: a bad value is that item's error there,
    never an exception in the trainer that would lose the whole batch."""
    item = ScoreItem.model_validate({"completion": "x", **fields})
    assert item.to_json() == {"completion": "x", **fields}
    assert [item_json(i) for i in (item, {"completion": "y"})] == [
        {"completion": "x", **fields},
        {"completion": "y"},
    ]  # the client sends models and plain mappings alike

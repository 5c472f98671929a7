"""One reward-weights parser for verl's REWARD_WEIGHTS, the endpoints' ?rewards= and --rewards."""

from __future__ import annotations

import doctest
import math

import pytest

from reward_server.compat import openrlhf
from reward_server.offline import rows
from reward_server.scoring import RequestError
from trainer_client import weights
from trainer_client.weights import WeightsError, parse_weights

# Every spelling one of the three former parsers accepted, and what it gave.
ACCEPTED = [
    ("accuracy:1,format:0.5", {"accuracy": 1.0, "format": 0.5}),  # all three
    (" accuracy : 1 , format:0.5 ", {"accuracy": 1.0, "format": 0.5}),  # all three
    ("accuracy,format:0.5", {"accuracy": 1.0, "format": 0.5}),  # OpenRLHF, --rewards
    ("accuracy:,format:2", {"accuracy": 1.0, "format": 2.0}),  # OpenRLHF, --rewards
    ("accuracy: ,format:2", {"accuracy": 1.0, "format": 2.0}),  # --rewards
    ("accuracy:1,,format:0.5,", {"accuracy": 1.0, "format": 0.5}),  # verl, --rewards
    ("accuracy:1,accuracy:3", {"accuracy": 3.0}),  # the last one wins, as before
    ("accuracy:-1e-3", {"accuracy": -0.001}),
    ('{"accuracy": 1, "format": 0.5}', {"accuracy": 1.0, "format": 0.5}),  # verl (JSON)
    ("{accuracy: 1, format: 0.5}", {"accuracy": 1.0, "format": 0.5}),  # verl (YAML)
]


@pytest.mark.parametrize(("spec", "expected"), ACCEPTED)
def test_every_former_spelling_reads_the_same(spec: str, expected: dict[str, float]) -> None:
    assert parse_weights(spec) == expected
    assert openrlhf.parse_weights(spec, {"format": 1.0}) == expected
    assert rows.parse_weights(spec) == expected


def test_empty_means_the_default_where_there_is_one() -> None:
    default = {"accuracy": 1.0}
    assert parse_weights(None, default) == parse_weights("", default) == default
    assert parse_weights(None, default) is not default  # a copy the caller may change
    assert openrlhf.parse_weights(None, {"format": 2.0}) == {"format": 2.0}
    assert parse_weights({"accuracy": 1, "format": "0.5"}) == {"accuracy": 1.0, "format": 0.5}
    with pytest.raises(WeightsError, match="names no reward"):
        parse_weights("")
    with pytest.raises(WeightsError, match="names no reward"):
        parse_weights(" , ", default)  # text that names nothing is not "absent"


def test_non_finite_weights_reach_the_service_unchanged() -> None:
    """The service answers 422 "finite" for these; the parser does not decide it."""
    parsed = parse_weights("accuracy:nan,format:inf")
    assert math.isnan(parsed["accuracy"]) and parsed["format"] == math.inf


@pytest.mark.parametrize(
    "spec", ["accuracy:high", ":1", "accuracy:1,:2", "{accuracy: [1]}", "{accuracy", "{x}"]
)
def test_unreadable_specs_are_typed_errors_everywhere(spec: str) -> None:
    with pytest.raises(WeightsError):
        parse_weights(spec)
    with pytest.raises(RequestError, match="rewards: "):
        openrlhf.parse_weights(spec, {"accuracy": 1.0})
    with pytest.raises(rows.InputError, match="--rewards: "):
        rows.parse_weights(spec)


def test_docstring_examples() -> None:
    assert doctest.testmod(weights).failed == 0

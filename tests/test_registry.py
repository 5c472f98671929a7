"""The registry is the one extension point: a module in ``reward_server/rewards`` is enough."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

import reward_server.rewards as rewards_package
from reward_server.rewards.accuracy import AccuracyParams
from reward_server.rewards.base import Score, TryLater
from reward_server.rewards.catalog import known_rewards, resources_used, with_dependencies
from reward_server.rewards.code import CodeParams
from reward_server.rewards.math_policy import MathParams
from reward_server.rewards.registry import REWARDS, load_rewards, register
from reward_server.schemas import ScoreRequest
from reward_server.scoring import Scorer

SCORE_RETURNS = {"Score", "list[Score]", Score, list[Score]}
# Public building blocks of a registered reward, called by it (accuracy grades code with it).
PARTS = {"reward_server.rewards.code.grade_code"}


def unregistered(package: ModuleType) -> list[str]:
    """Reward-shaped functions of the package's modules that are not in the registry: public,
    and named ``*_reward``, taking ``(item, params, ...)`` / ``(items, correct, params)`` or
    annotated to return a Score or a list of them."""
    registered = {spec.fn for spec in load_rewards(package).values()}
    missing = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, fn in vars(module).items():
            if not inspect.isfunction(fn) or fn.__module__ != module.__name__:
                continue
            signature = inspect.signature(fn)
            head = list(signature.parameters)[:3]
            shaped = head[:2] == ["item", "params"] or head == ["items", "correct", "params"]
            shaped = shaped or signature.return_annotation in SCORE_RETURNS
            if not name.startswith("_") and (shaped or name.endswith("_reward")):
                qualified = f"{module.__name__}.{name}"
                if fn not in registered and qualified not in PARTS:
                    missing.append(qualified)
    return missing


@pytest.fixture
def scratch_package(tmp_path: Path) -> Iterator[tuple[ModuleType, Path]]:
    """An empty package importable as ``scratch_rewards``; what it registers is removed after."""
    folder = tmp_path / "scratch_rewards"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    before = set(REWARDS)
    try:
        yield importlib.import_module("scratch_rewards"), folder
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(REWARDS) - before:
            del REWARDS[name]
        for module in [m for m in sys.modules if m.split(".")[0] == "scratch_rewards"]:
            del sys.modules[module]


def test_every_reward_of_the_package_is_registered() -> None:
    missing = unregistered(rewards_package)
    assert not missing, (
        f"these look like rewards but are not @register-ed: {', '.join(missing)}; "
        "decorate them with @register (reward_server/rewards/registry.py) or prefix with _"
    )
    for info in pkgutil.iter_modules(rewards_package.__path__):
        assert f"reward_server.rewards.{info.name}" in sys.modules
    assert {"accuracy", "format", "cosine", "length", "code_format"} <= set(REWARDS)


def test_a_new_module_is_enough(scratch_package: tuple[ModuleType, Path]) -> None:
    package, folder = scratch_package
    (folder / "shout.py").write_text(
        "from reward_server.rewards.base import Score\n"
        "from reward_server.rewards.registry import register\n\n"
        "@register('scratch_shout')\n"
        "def shout_reward(item, params):\n"
        "    '''1 when the completion is in capitals.'''\n"
        "    return Score(float(item.completion.isupper()))\n"
    )
    assert unregistered(package) == []
    assert REWARDS["scratch_shout"].summary == "1 when the completion is in capitals."
    assert "scratch_shout" in known_rewards()


def test_a_forgotten_decorator_fails(scratch_package: tuple[ModuleType, Path]) -> None:
    package, folder = scratch_package
    (folder / "quiet.py").write_text(
        "def quiet_reward(item, params):\n    return None\n\n"
        "def tally(items, correct, params):\n    return []\n\n"
        "def url_free(completion_item, p) -> 'Score':\n    return None\n"
    )
    assert unregistered(package) == ["scratch_rewards.quiet.quiet_reward",
                                     "scratch_rewards.quiet.tally",
                                     "scratch_rewards.quiet.url_free"]


def test_declarations() -> None:
    accuracy = REWARDS["accuracy"]
    assert accuracy.is_async and accuracy.uses == {"workers", "sandbox"}
    assert accuracy.params is AccuracyParams and accuracy.kind == "item"
    assert REWARDS["cosine"].reads == "accuracy" and REWARDS["cosine"].kind == "correctness"
    assert REWARDS["length"].scope == "group" and REWARDS["length"].kind == "group"
    assert with_dependencies(["format", "cosine", "length"]) == [
        "format", "accuracy", "cosine", "length"]
    assert with_dependencies(["nope"]) == []
    assert resources_used(["format", "tags"]) == frozenset()
    assert resources_used(["length"]) == {"workers", "sandbox"}
    with pytest.raises(ValueError, match="registered twice"):
        register("format")(lambda item, params: Score(1.0))
    with pytest.raises(ValueError, match="async"):
        register("scratch_bad", is_async=True, scope="group", reads="accuracy")


def test_accuracy_params_go_to_their_kind() -> None:
    params = AccuracyParams.model_validate({"scoring": "fraction", "strict_units": False})
    assert type(params.math) is MathParams and type(params.code) is CodeParams
    assert params.math == MathParams(strict_units=False)
    assert params.code == CodeParams(scoring="fraction")
    assert AccuracyParams() == AccuracyParams.model_validate({})
    assert not set(MathParams.model_fields) & set(CodeParams.model_fields)
    for bad in ({"bogus": 1}, {"relative_tolerance": 0}, {"scoring": "most"}, []):
        with pytest.raises(ValidationError):
            AccuracyParams.model_validate(bad)


class _NoResources:
    math = None
    sandbox = None
    sandbox_enabled = False


def test_try_later_from_any_reward_refuses_the_request(
    scratch_package: tuple[ModuleType, Path],
) -> None:
    package, folder = scratch_package
    (folder / "busy.py").write_text(
        "from reward_server.rewards.base import TryLater\n"
        "from reward_server.rewards.registry import register\n\n"
        "@register('scratch_busy', is_async=True)\n"
        "async def busy_reward(item, params, resources, options):\n"
        "    raise TryLater('the queue is full', 2.5)\n"
    )
    load_rewards(package)
    scorer = Scorer(_NoResources(), max_completion_chars=1000, max_pending_items=10)
    request = ScoreRequest(items=[{"completion": "x"}], rewards={"scratch_busy": 1.0})
    with pytest.raises(TryLater) as info:
        asyncio.run(scorer.score(request, request_timeout_s=5))
    assert info.value.retry_after_s == 2.5
    assert scorer._pending_items == 0


def test_a_buggy_reward_is_its_own_internal_error(
    scratch_package: tuple[ModuleType, Path],
) -> None:
    """A reward returning a bare float, NaN or the wrong number of group scores errs in its own
    component; the request and the other rewards are graded."""
    package, folder = scratch_package
    (folder / "buggy.py").write_text(
        "from reward_server.rewards.base import Score\n"
        "from reward_server.rewards.registry import register\n\n"
        "@register('scratch_float')\n"
        "def float_reward(item, params):\n    return 1.0\n\n"
        "@register('scratch_nan')\n"
        "def nan_reward(item, params):\n    return Score(float('nan'))\n\n"
        "@register('scratch_short', scope='group')\n"
        "def short_reward(items, correct, params):\n    return [Score(1.0)]\n\n"
        "@register('scratch_size', scope='group')\n"
        "def size_reward(items, correct, params):\n"
        "    assert correct == [None] * len(items)  # reads no verdict\n"
        "    return [Score(float(len(items))) for _ in items]\n"
    )
    load_rewards(package)
    scorer = Scorer(_NoResources(), max_completion_chars=1000, max_pending_items=10)
    names = ["scratch_float", "scratch_nan", "scratch_short", "scratch_size", "format"]
    request = ScoreRequest(
        items=[{"completion": "x", "group_id": "g"}, {"completion": "y", "group_id": "g"}],
        rewards=dict.fromkeys(names, 1.0),
    )
    results = asyncio.run(scorer.score(request, request_timeout_s=5))
    for result in results:
        assert result.reward is None
        for name in ("scratch_float", "scratch_nan", "scratch_short"):
            error = result.components[name].error
            assert error is not None and error.type == "internal_error", name
        assert result.components["scratch_size"].score == 2.0
        assert result.components["format"].score == 0.0

"""TRL: a ``reward_funcs`` entry that grades completions with the reward service.

    from trl import GRPOTrainer
    from trainer_client.integrations.trl import service_reward

    reward = service_reward("http://127.0.0.1:8000", {"accuracy": 1.0, "format": 0.5})
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=ds, args=cfg)

Dataset columns named in ``columns`` (``answer``, ``tests``...) reach each item, TRL passes
them as keyword lists. Items the service cannot decide come back as ``None``, which TRL turns
into NaN and leaves out of its group statistics. ``asynchronous=True`` returns a plain ``async def``
function, which TRL (>= 0.22) runs on its own event loop alongside other async reward functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client.client import RewardClient, ScoreResult, SyncRewardClient
from trainer_client.data import prompt_text
from trainer_client.items import ScoreItem

DEFAULT_COLUMNS = ("answer", "tests", "language", "target_language", "think_prefilled", "rewards")


def completion_text(completion: str | Sequence[Mapping[str, Any]]) -> str:
    """Plain text of a completion; conversational ones are lists of assistant messages."""
    if isinstance(completion, str):
        return completion
    return "".join(str(m.get("content") or "") for m in completion if m.get("role") != "user")


def _group_id(prompt: Any) -> str:
    """TRL repeats each prompt G times in a row; the same prompt text means the same group."""
    return hashlib.sha1(repr(prompt).encode()).hexdigest()[:12]


def build_items(
    prompts: Sequence[Any],
    completions: Sequence[Any],
    completion_ids: Sequence[Sequence[int]] | None,
    columns: Sequence[str],
    kwargs: Mapping[str, Any],
    max_tokens: int | None = None,
) -> list[ScoreItem]:
    """The ``/score`` items for one TRL call, in TRL's order."""
    items = []
    for i, (prompt, completion) in enumerate(zip(prompts, completions, strict=True)):
        item: dict[str, Any] = {
            "id": i,
            "prompt": prompt_text(prompt),
            "completion": completion_text(completion),
            "group_id": _group_id(prompt),
        }
        if completion_ids is not None:
            item["completion_tokens"] = len(completion_ids[i])
            if max_tokens is not None:
                item["max_tokens"] = max_tokens
        for column in columns:
            values = kwargs.get(column)
            if values is not None and values[i] is not None:
                item[column] = values[i]
        items.append(ScoreItem.model_validate(item))
    return items


class _ServiceReward:
    """Shared configuration; TRL names the metric after ``__name__``."""

    def __init__(
        self,
        url: str,
        rewards: Mapping[str, float] | None,
        options: Mapping[str, Any] | None,
        columns: Sequence[str],
        name: str,
        max_tokens: int | None,
        client_kwargs: dict[str, Any],
    ) -> None:
        self.url = url
        self.rewards = dict(rewards) if rewards is not None else None
        self.options = dict(options) if options is not None else None
        self.columns = tuple(columns)
        self.__name__ = name
        self.max_tokens = max_tokens
        self.client_kwargs = client_kwargs

    def _items(self, prompts: Any, completions: Any, completion_ids: Any, kwargs: Any):
        return build_items(
            prompts, completions, completion_ids, self.columns, kwargs, self.max_tokens
        )

    def _finish(self, results: list[ScoreResult], kwargs: Mapping[str, Any]) -> list[float | None]:
        log_metric = kwargs.get("log_metric")
        if callable(log_metric) and self.rewards:
            for name in self.rewards:
                scores = [s for r in results if (s := r.component_score(name)) is not None]
                if scores:
                    log_metric(f"{self.__name__}/{name}", sum(scores) / len(scores))
        return [r.reward for r in results]


class ServiceReward(_ServiceReward):
    """Synchronous reward function (its own loop thread keeps connections pooled)."""

    _client: SyncRewardClient | None = None

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        if self._client is None:
            self._client = SyncRewardClient(
                self.url, self.rewards, options=self.options, **self.client_kwargs
            )
        items = self._items(prompts, completions, completion_ids, kwargs)
        return self._finish(self._client.score(items), kwargs)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _async_reward(config: _ServiceReward) -> Any:
    """A plain ``async def`` reward function (what ``asyncio.iscoroutinefunction`` recognises).

    TRL decides sync vs async with ``asyncio.iscoroutinefunction(reward_func)``, which is False
    for an object whose ``__call__`` is async in the Python versions TRL supports; such an
    object would be called synchronously and its coroutine never awaited. The client is created
    on first call so it binds to the loop TRL runs the function on.
    """
    client: RewardClient | None = None

    async def reward_service(
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Sequence[int]] | None = None,
        **kwargs: Any,
    ) -> list[float | None]:
        nonlocal client
        if client is None:
            client = RewardClient(
                config.url, config.rewards, options=config.options, **config.client_kwargs
            )
        items = config._items(prompts, completions, completion_ids, kwargs)
        return config._finish(await client.score(items), kwargs)

    async def aclose() -> None:
        nonlocal client
        if client is not None:
            await client.aclose()
            client = None

    reward_service.__name__ = reward_service.__qualname__ = config.__name__
    reward_service.aclose = aclose  # type: ignore[attr-defined]
    return reward_service


def service_reward(
    url: str,
    rewards: Mapping[str, float] | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    name: str = "reward_service",
    max_tokens: int | None = None,
    asynchronous: bool = False,
    **client_kwargs: Any,
) -> Any:
    """A TRL reward function backed by ``POST /score``.

    ``max_tokens`` (TRL's ``max_completion_length``) lets length-aware rewards such as
    ``overlong`` see the budget; ``client_kwargs`` go to ``RewardClient`` (``api_key``,
    ``batch_size``, ``max_in_flight``, ``timeout_s``...).
    """
    config = ServiceReward(url, rewards, options, columns, name, max_tokens, client_kwargs)
    return _async_reward(config) if asynchronous else config

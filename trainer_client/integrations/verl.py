"""verl: ``compute_score`` functions that grade with the reward service.

Point verl's custom reward function at this file::

    VERL_REWARD=$(python -c "import trainer_client.integrations.verl as m; print(m.__file__)")
    reward.custom_reward_function.path=$VERL_REWARD
    reward.custom_reward_function.name=compute_score_async   # or compute_score
    +reward.custom_reward_function.reward_kwargs.reward_url=http://127.0.0.1:8000
    +reward.custom_reward_function.reward_kwargs.rewards='{accuracy: 1.0, format: 0.5}'

Without ``reward_kwargs`` the environment decides: ``REWARD_URL``, ``REWARD_WEIGHTS``
(``accuracy:1,format:0.5``, see ``trainer_client.weights``), ``REWARD_API_KEY``. verl's reward
loop calls the function once per sample; the async variant coalesces the calls that arrive
within a few milliseconds into one ``/score`` request. ``compute_score_batch`` suits verl's
``batch`` reward manager.

verl wants a number: a null reward (undecided) becomes 0.0 with ``reward_null`` = 1 in the
returned dict, so it shows in verl's logs instead of disappearing. ``acc`` rides along for
DAPO's group filter. The reward loop (``naive``/``dapo`` managers) awaits
``compute_score_async`` directly (it checks ``inspect.iscoroutinefunction``) and runs the sync
variants in an executor; the legacy batch-mode ``naive`` manager cannot await, so use
``compute_score`` there.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from trainer_client.client import RewardClient, ScoreResult, SyncRewardClient
from trainer_client.items import ScoreItem
from trainer_client.weights import parse_weights

_SYNC_CLIENTS: dict[tuple[str, str], SyncRewardClient] = {}
_COALESCERS: dict[tuple[int, str, str], _Coalescer] = {}


def _settings(reward_url: str | None, rewards: Any) -> tuple[str, dict[str, float]]:
    url = reward_url or os.environ.get("REWARD_URL", "http://127.0.0.1:8000")
    spec = rewards if isinstance(rewards, Mapping) else rewards or os.environ.get("REWARD_WEIGHTS")
    return url, parse_weights(spec, default={"accuracy": 1.0})


def to_item(
    data_source: str | None, solution_str: str, ground_truth: Any, extra_info: Any
) -> ScoreItem:
    """One verl sample as a ``/score`` item.

    ``ground_truth`` is a math answer (string or list of accepted strings) or code tests (a
    dict, or JSON text of one); ``extra_info`` may add ``tests``, ``language``,
    ``target_language``, ``prompt``/``question`` and ``index``.
    """
    extra = dict(extra_info or {})
    item: dict[str, Any] = {"completion": solution_str}
    truth = ground_truth
    if isinstance(truth, str) and truth.lstrip().startswith("{"):
        try:
            truth = json.loads(truth)
        except ValueError:
            pass
    if isinstance(truth, Mapping):
        item["tests"] = dict(truth.get("tests", truth))
    elif isinstance(truth, str | list | tuple):
        item["answer"] = truth if isinstance(truth, str) else [str(t) for t in truth]
    elif truth is not None:
        item["answer"] = str(truth)
    for key in ("tests", "language", "target_language", "think_prefilled"):
        if extra.get(key) is not None:
            item[key] = extra[key]
    prompt = extra.get("prompt") or extra.get("question")
    if isinstance(prompt, str):
        item["prompt"] = prompt
    if extra.get("index") is not None:
        item["id"] = str(extra["index"])
    if data_source:
        item.setdefault("id", str(data_source))
    return ScoreItem.model_validate(item)


def to_verl(result: ScoreResult, reward_names: Sequence[str]) -> dict[str, float]:
    """verl's dict form: ``score``, ``acc``, ``reward_null`` and one key per reward.

    ``acc`` is what DAPO's dynamic-sampling filter reads by default (``filter_groups.metric:
    acc``), and verl's reward managers copy every key of the dict into ``reward_extra_info``:
    it is the unweighted ``accuracy`` score when that reward is asked for, else 1.0 for a
    positive ``score``. Every call returns the same keys, as verl's batching requires.
    """
    score = 0.0 if result.reward is None else result.reward
    accuracy = result.component_score("accuracy") if "accuracy" in reward_names else None
    out = {"score": score, "acc": float(accuracy if accuracy is not None else score > 0)}
    if result.reward is None:
        out["acc"] = 0.0
    out["reward_null"] = 1.0 if result.reward is None else 0.0
    for name in reward_names:
        score = result.component_score(name)
        out[name] = 0.0 if score is None else float(score)
    return out


def compute_score(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    reward_url: str | None = None,
    rewards: Any = None,
    **_: Any,
) -> dict[str, float]:
    """Blocking, one item per call (verl's naive reward manager)."""
    url, weights = _settings(reward_url, rewards)
    item = to_item(data_source, solution_str, ground_truth, extra_info)
    [result] = _sync_client(url, weights).score([item])
    return to_verl(result, list(weights))


def _sync_client(url: str, weights: dict[str, float]) -> SyncRewardClient:
    """One pooled client per (url, weights) for the life of the process."""
    key = (url, json.dumps(weights, sort_keys=True))
    if key not in _SYNC_CLIENTS:
        _SYNC_CLIENTS[key] = SyncRewardClient(
            url, weights, api_key=os.environ.get("REWARD_API_KEY")
        )
    return _SYNC_CLIENTS[key]


def compute_score_batch(
    data_sources: Sequence[str | None],
    solution_strs: Sequence[str],
    ground_truths: Sequence[Any],
    extra_infos: Sequence[Any] | None = None,
    reward_url: str | None = None,
    rewards: Any = None,
    **_: Any,
) -> list[dict[str, float]]:
    """Everything in one request (verl's ``batch`` reward manager)."""
    url, weights = _settings(reward_url, rewards)
    extras = extra_infos if extra_infos is not None else [None] * len(solution_strs)
    items = [
        to_item(*args)
        for args in zip(data_sources, solution_strs, ground_truths, extras, strict=True)
    ]
    return [to_verl(r, list(weights)) for r in _sync_client(url, weights).score(items)]


class _Coalescer:
    """Gathers single-item calls made within ``delay_s`` into one batched request."""

    def __init__(self, client: RewardClient, max_batch: int = 64, delay_s: float = 0.005) -> None:
        self.client = client
        self.max_batch = max_batch
        self.delay_s = delay_s
        self._pending: list[tuple[ScoreItem, asyncio.Future[ScoreResult]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.requests = 0

    async def score(self, item: ScoreItem) -> ScoreResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ScoreResult] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.delay_s, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[tuple[ScoreItem, asyncio.Future[ScoreResult]]]):
        self.requests += 1
        try:
            results = await self.client.score([item for item, _ in batch])
        except Exception as exc:  # every waiter sees the failure
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


async def compute_score_async(
    data_source: str | None,
    solution_str: str,
    ground_truth: Any,
    extra_info: Any = None,
    reward_url: str | None = None,
    rewards: Any = None,
    **_: Any,
) -> dict[str, float]:
    """Async, one item per call; concurrent calls share requests (verl's reward loop)."""
    url, weights = _settings(reward_url, rewards)
    key = (id(asyncio.get_running_loop()), url, json.dumps(weights, sort_keys=True))
    if key not in _COALESCERS:
        client = RewardClient(url, weights, api_key=os.environ.get("REWARD_API_KEY"))
        _COALESCERS[key] = _Coalescer(client)
    result = await _COALESCERS[key].score(
        to_item(data_source, solution_str, ground_truth, extra_info)
    )
    return to_verl(result, list(weights))

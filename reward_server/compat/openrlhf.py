"""OpenRLHF's ``--remote_rm_url`` protocol, so that trainer works with no glue.

OpenRLHF POSTs ``{"query": [...], "prompts": [...], "labels": [...]}`` where each query is
prompt + response and each label is the reference, and reads ``rewards`` (used for the
advantage), ``scores`` (used for dynamic filtering) and ``extra_logs`` (logged).

Rewards and weights come from the URL's query string, since OpenRLHF only takes a URL:
``/openrlhf?rewards=accuracy:1,format:0.5`` (default: the server's ``default_rewards``).
A label is a math reference, or a JSON object with item fields (``{"tests": ..., ...}``) for
code. Each item keeps its prompt, so a prompt that ends in an open ``<think>`` (the chat
templates of R1-distilled and thinking models) makes the item ``think_prefilled`` unless
its label says otherwise (``Item``). OpenRLHF needs numbers, so an undecided item gets
reward 0 and is counted in ``extra_logs["undecided"]``.
"""

from __future__ import annotations

import json
from typing import Any

from reward_server.schemas import OpenRLHFRequest, OpenRLHFResponse, ScoreRequest
from reward_server.scoring import RequestError
from trainer_client import weights
from trainer_client.items import ScoreItem


def parse_weights(spec: str | None, default: dict[str, float]) -> dict[str, float]:
    """``?rewards=accuracy:1,format:0.5`` -> weights (``weights.parse_weights``), else a 422."""
    try:
        return weights.parse_weights(spec, default)
    except weights.WeightsError as exc:
        raise RequestError(f"rewards: {exc}") from exc


def _label_fields(label: Any) -> dict[str, Any]:
    if isinstance(label, dict):
        return label
    if isinstance(label, str) and label.lstrip().startswith("{"):
        try:
            decoded = json.loads(label)
        except json.JSONDecodeError:
            return {"answer": label}
        if isinstance(decoded, dict):
            return decoded
    if label is None:
        return {}
    return {"answer": label if isinstance(label, (str, list)) else str(label)}


def to_score_request(body: OpenRLHFRequest, weights: dict[str, float]) -> ScoreRequest:
    items = []
    prompts = body.prompts or [None] * len(body.query)
    labels = body.labels or [None] * len(body.query)
    if not len(prompts) == len(labels) == len(body.query):
        raise RequestError(
            f"query, prompts and labels must have equal lengths "
            f"({len(body.query)}, {len(prompts)}, {len(labels)})"
        )
    for query, prompt, label in zip(body.query, prompts, labels, strict=True):
        completion = query[len(prompt) :] if prompt and query.startswith(prompt) else query
        fields = {"prompt": prompt, "completion": completion, **_label_fields(label)}
        items.append(ScoreItem.model_validate(fields).to_json())
    return ScoreRequest(items=items, rewards=weights)


def to_openrlhf_response(results: list[Any]) -> OpenRLHFResponse:
    rewards = [r.reward if r.reward is not None else 0.0 for r in results]
    logs: dict[str, list[float]] = {"undecided": [float(r.reward is None) for r in results]}
    for result in results:
        for name in result.components:
            logs.setdefault(name, [])
    for name in list(logs):
        if name == "undecided":
            continue
        logs[name] = [
            (r.components[name].score or 0.0) if name in r.components else 0.0 for r in results
        ]
    return OpenRLHFResponse(rewards=rewards, scores=rewards, extra_logs=logs)

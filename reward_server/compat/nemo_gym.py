"""NeMo Gym's resources-server protocol: ``POST /seed_session`` and ``POST /verify``.

A NeMo Gym agent (``simple_agent`` and the agents verifiers and NeMo-RL drive) calls
``/seed_session`` with the task row, generates, then calls ``/verify`` with the row plus
``response``: an OpenAI Responses-API object whose ``output`` holds ``reasoning`` items and
assistant ``message`` items. It reads ``reward`` (a float) from the answer, which echoes the
request (``nemo_gym.base_resources_server.BaseVerifyResponse``).

Mapping: the completion is the text of the last assistant message (its ``output_text`` parts),
preceded by the reasoning items as ``<think>...</think>`` since a reasoning parser has cut them
out of the text; the prompt is the last user message of ``responses_create_params.input``. The
task fields become the item as in ``reward-server score``: ``expected_answer``/``answer`` for
math, ``tests`` or code_gen's ``verifier_metadata.unit_tests`` for code. Rewards come from the
query string (``/verify?rewards=accuracy:1,format:0.2``) or the server's ``default_rewards``.
Gym needs a number, so an undecided item gets ``reward`` 0.0 and says why in ``error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from reward_server.compat.openrlhf import parse_weights
from reward_server.offline.rows import to_item
from reward_server.routes.deps import ScorerDep, SettingsDep
from reward_server.schemas import ErrorInfo, ScoreRequest

router = APIRouter(tags=["compat"])

ROLLOUT_FIELDS = ("responses_create_params", "response")


class VerifyRequest(BaseModel):
    """``BaseVerifyRequest``: the rollout plus whatever fields the task row carries."""

    model_config = ConfigDict(extra="allow")

    responses_create_params: dict[str, Any]
    response: dict[str, Any]


class VerifyResponse(VerifyRequest):
    """``BaseVerifyResponse``: the request echoed, with ``reward`` and this service's detail."""

    reward: float = Field(description="the weighted sum; 0.0 when undecided (see `error`)")
    components: dict[str, float | None] = Field(description="each reward's unweighted score")
    extracted_answer: str | None = Field(None, description="what math accuracy read")
    error: ErrorInfo | None = Field(None, description="why the reward is undecided")


def _parts_text(content: Any, kinds: tuple[str, ...]) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return "".join(
        str(part.get("text", ""))
        for part in content
        if isinstance(part, Mapping) and part.get("type", kinds[0]) in kinds
    )


def completion_of(response: Mapping[str, Any]) -> str:
    """The final assistant text, with the reasoning before it as a ``<think>`` block."""
    reasoning: list[str] = []
    answer = ""
    output = response.get("output")
    for item in output if isinstance(output, list) else []:
        if not isinstance(item, Mapping):
            continue
        if item.get("type") == "reasoning":
            text = _parts_text(item.get("summary"), ("summary_text",))
            text += _parts_text(item.get("content"), ("reasoning_text",))
            if text:
                reasoning.append(text)
        elif item.get("type", "message") == "message" and item.get("role") == "assistant":
            answer = _parts_text(item.get("content"), ("output_text",))
    if reasoning:
        return "<think>\n" + "\n".join(reasoning) + "\n</think>\n\n" + answer
    return answer


def prompt_of(params: Mapping[str, Any]) -> str | None:
    """The last user message of ``responses_create_params.input``."""
    given = params.get("input")
    if isinstance(given, str):
        return given
    messages = given if isinstance(given, list) else []
    users = [m for m in messages if isinstance(m, Mapping) and m.get("role", "user") == "user"]
    return _parts_text(users[-1].get("content"), ("input_text",)) if users else None


def to_score_item(body: VerifyRequest) -> dict[str, Any]:
    fields = {k: v for k, v in (body.model_extra or {}).items() if k not in ROLLOUT_FIELDS}
    mapping: dict[str, str] = {}
    metadata = fields.get("verifier_metadata")
    if "tests" not in fields and isinstance(metadata, Mapping) and "unit_tests" in metadata:
        mapping["tests"] = "verifier_metadata.unit_tests"
    item = to_item(fields, mapping)
    for unused in ("group_id", "id"):  # one rollout per request; Gym's ids are not ours
        item.pop(unused, None)
    item["completion"] = completion_of(body.response)
    if "prompt" not in item and (prompt := prompt_of(body.responses_create_params)):
        item["prompt"] = prompt
    return item


@router.post("/seed_session")
async def seed_session() -> dict[str, Any]:
    """Nothing to set up per rollout: grading is stateless."""
    return {}


@router.post("/verify", response_model=VerifyResponse)
async def verify(
    request: Request, body: VerifyRequest, scorer: ScorerDep, settings: SettingsDep
) -> dict[str, Any]:
    """Grade one rollout; answer the request echoed with ``reward`` (and our detail)."""
    weights = parse_weights(request.query_params.get("rewards"), settings.default_rewards)
    score_request = ScoreRequest(items=[to_score_item(body)], rewards=weights)
    [result] = await scorer.score(score_request, settings.request_timeout_s)
    accuracy = result.components.get("accuracy")
    return {
        **body.model_dump(),
        "reward": result.reward if result.reward is not None else 0.0,
        "components": {name: c.score for name, c in result.components.items()},
        "extracted_answer": (accuracy.detail.get("extracted") if accuracy else None),
        "error": result.error.model_dump() if result.error else None,
    }

"""Request and response models of the HTTP API: the contract trainers rely on.

Items are validated one by one (``scoring.Scorer`` admits each alone) so that one malformed item
gets its own error result instead of failing the whole batch with a 422.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    WithJsonSchema,
    model_validator,
)

from reward_server.rewards.extract import prompt_opens_think

RewardWeights = dict[str, float]


class Item(BaseModel):
    """One completion to grade, with whatever references its rewards need."""

    model_config = ConfigDict(extra="forbid")

    id: StrictStr | StrictInt | None = Field(None, description="Echoed back in the result.")
    prompt: str | None = Field(None, description="The prompt; only some rewards read it.")
    completion: str = Field(..., description="The model's output, as generated.")
    answer: str | list[str] | None = Field(
        None,
        description="Math reference as datasets store it (`\\frac{1}{2}`, `(3, -1)`); "
        "a list means any of them is accepted.",
    )
    tests: dict[str, Any] | None = Field(
        None, description="Code tests (see the code reward); makes `accuracy` a code grade."
    )
    language: str | None = Field(
        None, description="Programming language of the expected program (default: from the fence)."
    )
    target_language: str = Field("en", description="Language the reasoning should be written in.")
    think_prefilled: bool = Field(
        False,
        description="The chat template already opened `<think>`, so the completion starts "
        "inside the reasoning. When absent and `prompt` ends with `<think>` (and whitespace), "
        "it is inferred true; an explicit value always wins.",
    )
    rewards: RewardWeights | None = Field(
        None, description="Per-item weights; replace the request's `rewards` for this item."
    )
    group_id: str | int | None = Field(
        None, description="Prompt group (GRPO); group-level rewards such as `length` use it."
    )
    completion_tokens: int | None = Field(
        None, ge=0, description="Completion length in tokens; characters are counted if absent."
    )
    max_tokens: int | None = Field(
        None, gt=0, description="Generation budget, same unit as `completion_tokens`."
    )

    @model_validator(mode="after")
    def _infer_think_prefilled(self) -> Item:
        """A prompt ending in an open ``<think>`` means the template prefilled it."""
        if "think_prefilled" not in self.model_fields_set and self.prompt is not None:
            self.think_prefilled = prompt_opens_think(self.prompt)
        return self


class ScoreOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_error: Literal["null", "zero"] = Field(
        "null",
        description="`null`: an undecided component makes the item's reward null (drop it); "
        "`zero`: count it as 0.",
    )
    timeout_s: float | None = Field(
        None, gt=0, le=120, description="Per-item grading deadline; server default if absent."
    )
    params: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='Per-reward parameters, e.g. `{"cosine": {"max_len": 4096}}`.',
    )


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(value: Any) -> Any:
    """JSON may escape half of a UTF-16 pair (``"\\ud800"``); such a string cannot be written
    back as UTF-8, so it becomes U+FFFD here instead of failing the whole answer."""
    if isinstance(value, str):
        return value if value.isascii() else _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_lone_surrogates(v) for v in value]
    return value


# Items stay raw JSON values at the request boundary so that each one is validated on its own;
# the OpenAPI document still shows the Item schema.
RawItem = Annotated[
    Any,
    BeforeValidator(replace_lone_surrogates),
    WithJsonSchema({"$ref": "#/components/schemas/Item"}),
]


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[RawItem] = Field(..., description="Completions to grade, answered in order.")
    rewards: RewardWeights = Field(
        default_factory=lambda: {"accuracy": 1.0},
        description="Reward name -> weight. The item's reward is the weighted sum.",
    )
    options: ScoreOptions = Field(default_factory=ScoreOptions)


class ErrorInfo(BaseModel):
    type: str
    message: str


class Component(BaseModel):
    score: float | None
    weight: float
    detail: dict[str, Any] = Field(default_factory=dict)
    error: ErrorInfo | None = None


class ItemResult(BaseModel):
    index: int
    id: str | int | None = None
    reward: float | None
    components: dict[str, Component] = Field(default_factory=dict)
    error: ErrorInfo | None = None
    elapsed_ms: float


class ScoreResponse(BaseModel):
    results: list[ItemResult]
    elapsed_ms: float


class OpenRLHFRequest(BaseModel):
    """OpenRLHF's `--remote_rm_url` body: `query` is prompt + response, `labels` references."""

    model_config = ConfigDict(extra="allow")

    query: list[str]
    prompts: list[str] | None = None
    labels: list[Any] | None = None


class OpenRLHFResponse(BaseModel):
    rewards: list[float]
    scores: list[float]
    extra_logs: dict[str, list[float]] = Field(default_factory=dict)

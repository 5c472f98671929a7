"""Prompts in, ``/score`` items out: the dataset side of the loop, free of torch.

A row of the JSONL file is ``{"prompt": "...", "answer": "7"}`` or ``{"prompt": [...chat
messages...], "tests": {...}}``; any column named in ``reward_item_fields`` rides along into
the reward request, so the service sees exactly what the dataset holds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from trainer_client.items import ScoreItem


class ChatTokenizer(Protocol):
    chat_template: str | None

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file; blank lines skipped, a row without ``prompt`` is an error."""
    rows = []
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "prompt" not in row:
            raise ValueError(f"{path}:{number}: row has no 'prompt'")
        rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def prompt_text(prompt: str | Sequence[Mapping[str, str]]) -> str:
    """The user-visible prompt as plain text, for the service's ``prompt`` field."""
    if isinstance(prompt, str):
        return prompt
    return "\n".join(m["content"] for m in prompt if m.get("role") == "user")


def render_prompt(
    prompt: str | Sequence[Mapping[str, str]],
    tokenizer: ChatTokenizer,
    system_prompt: str | None = None,
    apply_chat_template: bool = True,
) -> str:
    """The exact text the model continues: chat template with the generation prompt, or raw."""
    if not apply_chat_template or not getattr(tokenizer, "chat_template", None):
        return prompt if isinstance(prompt, str) else prompt_text(prompt)
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else list(prompt)
    if system_prompt and messages[0].get("role") != "system":
        messages.insert(0, {"role": "system", "content": system_prompt})
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


class PromptEncoder:
    """Row -> prompt token ids exactly as every command renders them (cached per row).

    Chat template (or raw text), optional system prompt, then left truncation to
    ``max_prompt_length`` tokens so the end of the prompt, where the question is, survives.
    """

    def __init__(
        self,
        tokenizer: Any,
        system_prompt: str | None,
        apply_chat_template: bool,
        max_prompt_length: int | None,
    ) -> None:
        self.tokenizer = tokenizer
        self.system_prompt = system_prompt
        self.apply_chat_template = apply_chat_template
        self.max_prompt_length = max_prompt_length
        self._cache: dict[int, list[int]] = {}

    def __call__(self, row: Mapping[str, Any]) -> list[int]:
        if id(row) not in self._cache:
            text = render_prompt(
                row["prompt"], self.tokenizer, self.system_prompt, self.apply_chat_template
            )
            ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            limit = self.max_prompt_length
            self._cache[id(row)] = ids[-limit:] if limit else ids
        return self._cache[id(row)]


class PromptSampler:
    """Endless epochs over the rows, reshuffled each epoch with a seeded RNG; resumable."""

    def __init__(self, rows: Sequence[dict[str, Any]], seed: int, shuffle: bool = True) -> None:
        self.rows = list(rows)
        self.seed = seed
        self.shuffle = shuffle
        self.drawn = 0  # rows handed out so far; the whole state
        self._cached: tuple[int, bool, list[int]] | None = None  # (epoch, shuffle, order)

    def _order(self, epoch: int) -> list[int]:
        """The epoch's permutation, built once per epoch (not once per row drawn)."""
        if self._cached is None or self._cached[:2] != (epoch, self.shuffle):
            order = list(range(len(self.rows)))
            if self.shuffle:
                random.Random(self.seed + epoch).shuffle(order)
            self._cached = (epoch, self.shuffle, order)
        return self._cached[2]

    def take(self, n: int) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            epoch, pos = divmod(self.drawn, len(self.rows))
            out.append(self.rows[self._order(epoch)[pos]])
            self.drawn += 1
        return out


@dataclass(frozen=True)
class GroupRef:
    """Where a group sits in the step, for ids the service echoes and logs can join on."""

    step: int
    group: int


def reward_items(
    row: Mapping[str, Any],
    completions: Sequence[str],
    completion_tokens: Sequence[int],
    ref: GroupRef,
    fields: Sequence[str],
    max_tokens: int,
    think_prefilled: bool = False,
) -> list[ScoreItem]:
    """The ``/score`` items for one group: G completions of one prompt.

    >>> reward_items({"prompt": "2+3?", "answer": "5"}, ["5", "6"], [1, 1], GroupRef(0, 1),
    ...              ["answer"], max_tokens=8)[1].id
    's0-p1-g1'
    """
    group_id = f"s{ref.step}-p{ref.group}"
    base: dict[str, Any] = {"prompt": prompt_text(row["prompt"]), "group_id": group_id}
    if think_prefilled:
        base["think_prefilled"] = True
    base.update({k: row[k] for k in fields if k in row and row[k] is not None})
    return [
        ScoreItem.model_validate(
            {
                **base,
                "id": f"{group_id}-g{j}",
                "completion": text,
                "completion_tokens": int(n),
                "max_tokens": max_tokens,
            }
        )
        for j, (text, n) in enumerate(zip(completions, completion_tokens, strict=True))
    ]

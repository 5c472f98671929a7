"""Length and repetition shaping, at parity with open-r1's ``rewards.py`` minus its bugs.

Lengths are ``item.completion_tokens`` when given, else characters, and ``item.max_tokens``
is read in that same unit (the ``Item`` contract). Deviations from open-r1 are deliberate
and named in each docstring.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, ConfigDict, Field

from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.registry import NoParams, register
from reward_server.schemas import Item


def item_length(item: Item) -> int:
    return item.completion_tokens if item.completion_tokens is not None else len(item.completion)


def _needs_verdict(name: str) -> Score:
    return Score.undecided(ErrorType.missing_reference, f"{name} needs an accuracy verdict")


@register("length", NoParams, scope="group", reads="accuracy")
def length_reward(items: list[Item], correct: list[bool | None], params: NoParams) -> list[Score]:
    """Kimi 1.5 length reward: shorter than the group's other samples is better, if correct.

    ``lambda = 0.5 - (len - min_len) / (max_len - min_len)`` over the prompt group;
    correct -> ``lambda``, wrong -> ``min(0, lambda)`` (a short wrong answer is not rewarded
    for being short); all lengths equal -> 0. Tokens are used only when every item of the
    group has ``completion_tokens``, else characters for all: mixing units would rank a
    200-token answer against a 900-character one. An item without a verdict gets None
    (``missing_reference``); its length still counts in the group's min and max.
    """
    use_tokens = all(it.completion_tokens is not None for it in items)
    lengths = [item_length(it) if use_tokens else len(it.completion) for it in items]
    if not lengths:
        return []
    lo, hi = min(lengths), max(lengths)
    unit = "tokens" if use_tokens else "chars"
    scores: list[Score] = []
    for n, ok in zip(lengths, correct, strict=True):
        if ok is None:
            scores.append(_needs_verdict("length"))
            continue
        lam = 0.0 if hi == lo else 0.5 - (n - lo) / (hi - lo)
        value = lam if ok else min(0.0, lam)
        detail = {"length": n, "unit": unit, "min_len": lo, "max_len": hi, "lambda": lam}
        scores.append(Score(value, detail))
    return scores


class CosineParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_value_wrong: float = Field(-1.0, description="Reward of an empty wrong completion.")
    max_value_wrong: float = Field(-0.5, description="Reward of a wrong one at max length.")
    min_value_correct: float = Field(0.5, description="Reward of a correct one at max length.")
    max_value_correct: float = Field(1.0, description="Reward of an empty correct completion.")
    max_len: int = Field(1000, gt=0, description="Length scale when the item has no max_tokens.")


@register("cosine", CosineParams, reads="accuracy")
def cosine_reward(item: Item, params: CosineParams, correct: bool | None) -> Score:
    """Cosine-scaled accuracy (open-r1 ``get_cosine_scaled_reward``, Yeo et al. 2025).

    ``progress = min(len, L) / L`` with ``L = item.max_tokens`` or ``max_len``;
    ``reward = lo + 0.5 * (hi - lo) * (1 + cos(pi * progress))``.
    Correct: ``lo, hi = min_value_correct, max_value_correct`` (1.0 when empty, 0.5 at L):
    shorter correct answers earn more. Wrong: as open-r1, ``lo, hi = max_value_wrong,
    min_value_wrong`` (-1.0 when empty, -0.5 at L): a wrong answer is punished less the
    longer the model thought, so it is not pushed to give up early. open-r1 does not clamp
    progress, so past L the cosine climbs back and a 2L-long correct answer earns 1.0;
    here progress stops at 1. No verdict -> None (``missing_reference``).
    """
    if correct is None:
        return _needs_verdict("cosine")
    n = item_length(item)
    scale = item.max_tokens if item.max_tokens is not None else params.max_len
    progress = min(n, scale) / scale
    if correct:
        lo, hi = params.min_value_correct, params.max_value_correct
    else:
        lo, hi = params.max_value_wrong, params.min_value_wrong
    value = lo + 0.5 * (hi - lo) * (1.0 + math.cos(progress * math.pi))
    return Score(value, {"length": n, "max_len": scale, "progress": progress})


class OverlongParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buffer: float = Field(0.2, gt=0, le=1, description="Soft zone, as a share of max_tokens.")
    buffer_tokens: int | None = Field(
        None, gt=0, description="Soft zone in length units; overrides `buffer`."
    )


@register("overlong", OverlongParams)
def overlong_reward(item: Item, params: OverlongParams) -> Score:
    """DAPO soft overlong punishment: 0 up to max - buffer, then linear down to -1 at max.

    ``len <= max - B`` -> 0; ``max - B < len <= max`` -> ``((max - B) - len) / B``;
    ``len > max`` -> -1. ``B = buffer_tokens`` or ``buffer * max_tokens`` (default 0.2),
    capped at ``max_tokens``. A truncated sample gets a graded signal instead of a cliff, so
    the policy learns where the budget ends before it hits it. Needs ``item.max_tokens``.
    """
    if item.max_tokens is None:
        return Score.undecided(ErrorType.missing_reference, "overlong needs item.max_tokens")
    n, limit = item_length(item), item.max_tokens
    raw = params.buffer_tokens if params.buffer_tokens is not None else params.buffer * limit
    buf = min(float(raw), float(limit))
    if n <= limit - buf:
        value = 0.0
    elif n <= limit:
        value = max(-1.0, ((limit - buf) - n) / buf)  # float rounding must not pass -1
    else:
        value = -1.0
    return Score(value, {"length": n, "max_tokens": limit, "buffer": buf})


class RepetitionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ngram_size: int = Field(3, ge=1, description="Words per n-gram.")
    max_penalty: float = Field(-1.0, le=0, description="Reward when every n-gram repeats.")


# Scripts written without spaces: a Han character or CJK punctuation mark is a token, a
# run of hiragana or of katakana is one (particles and endings, loanwords).
_HIRAGANA, _KATAKANA = "\u3040-\u309f", "\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_CJK = (
    f"\u2e80-\u2fdf\u3000-\u303f{_HIRAGANA}{_KATAKANA}\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U000323af"
)
_TOKEN = re.compile(rf"[{_HIRAGANA}]+|[{_KATAKANA}]+|[{_CJK}]|[^\s{_CJK}]+")


def repetition_tokens(text: str) -> list[str]:
    """Lower-cased whitespace-separated words; Chinese and Japanese split as ``_TOKEN`` says.

    open-r1 splits on whitespace only, so a Chinese paragraph repeated 40 times is one long
    "word" per line and never repeats an n-gram. A character is the unit the language
    reward counts too (kana runs are kept whole: per character, ordinary Japanese repeats
    its endings' trigrams twice as often as English repeats word trigrams).
    """
    return _TOKEN.findall(text.lower())


@register("repetition", RepetitionParams)
def repetition_reward(item: Item, params: RepetitionParams) -> Score:
    """N-gram repetition penalty (open-r1 ``get_repetition_penalty_reward``, Yeo et al. 2025).

    Tokens are the lower-cased whitespace split of the whole completion (as open-r1), with
    Han and kana characters as tokens of their own (``repetition_tokens``);
    ``reward = (1 - unique_ngrams / total_ngrams) * max_penalty``, 0 for fewer tokens than
    ``ngram_size``. Degenerate loops are the classic failure of long RL rollouts; this
    prices them without a reference. ``max_penalty > 0`` is rejected by validation.
    """
    words = repetition_tokens(item.completion)
    n = params.ngram_size
    total = len(words) - n + 1
    if total <= 0:
        return Score(0.0, {"ngrams": 0, "unique": 0})
    unique = len(set(zip(*(words[i:] for i in range(n)), strict=False)))
    value = (1.0 - unique / total) * params.max_penalty + 0.0  # + 0.0: no -0.0 in JSON
    return Score(value, {"ngrams": total, "unique": unique})


# open-r1's pattern, with two fixes: MULTILINE, so "^\d+\." sees every numbered line and not
# only the first character of the completion, and no digit after the dot, so a line
# starting with "3.14" is not a step.
STEP_PATTERN = re.compile(
    r"(Step \d+:|^\d+\.(?!\d)|\n-|\n\*|First,|Second,|Next,|Finally,)", re.MULTILINE
)


class ReasoningStepsParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_steps: int = Field(3, ge=1, description="Step markers needed for the full reward.")


@register("reasoning_steps", ReasoningStepsParams)
def reasoning_steps_reward(item: Item, params: ReasoningStepsParams) -> Score:
    """min(1, step markers / min_steps): "Step n:", numbered lines, bullets, "First," ...

    open-r1's ``reasoning_steps_reward`` (``min_steps=3`` is its magic number), counted over
    the whole completion. It rewards visible structure, not correct steps: weight it low.
    """
    count = sum(1 for _ in STEP_PATTERN.finditer(item.completion))
    return Score(min(1.0, count / params.min_steps), {"steps": count})

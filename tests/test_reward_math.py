"""Math accuracy: extraction, equivalence, deadlines and the verdict cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from reward_server.rewards.base import ErrorType
from reward_server.rewards.extract import split_completion
from reward_server.rewards.math import MathGrader
from reward_server.rewards.math_check import check_answer
from reward_server.rewards.math_extract import choice_letter_in, extract_final_answer, last_boxed
from reward_server.schemas import Item
from reward_server.workers import WorkerPool


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(2)
    yield workers
    workers.close()


def grade(pool: WorkerPool, completion: str, answer: str | list[str], **kw: object) -> float | None:
    grader = MathGrader(pool, cache_size=100, default_timeout_s=3.0)
    item = Item(completion=completion, answer=answer, **kw)
    return asyncio.run(grader.grade(item)).value


# --- extraction (pure, no sympy) ---------------------------------------------------------


def test_last_boxed_balances_braces() -> None:
    assert last_boxed(r"x \boxed{1} then \boxed{\frac{1}{\sqrt{2}}} end") == r"\frac{1}{\sqrt{2}}"
    assert last_boxed(r"\fbox{7}") == "7"
    assert last_boxed(r"\boxed{unclosed") is None
    assert last_boxed("nothing") is None


@pytest.mark.parametrize(
    ("text", "expected", "source"),
    [
        (r"so \boxed{42}.", "42", "boxed"),
        ("<answer>17</answer>", "17", "answer_tag"),
        ("Thus the final answer is $\\frac{1}{2}$.", "\\frac{1}{2}", "phrase"),
        ("The answer is **8**.", "8", "phrase"),
        ("After all that: **x = 3**", "x = 3", "bold"),
        ("We get $y=2$ and finally $5$", "5", "inline_math"),
        ("no answer here", None, "none"),
    ],
)
def test_extract_final_answer(text: str, expected: str | None, source: str) -> None:
    extracted = extract_final_answer(text)
    assert (extracted.text, extracted.source) == (expected, source)


def test_split_only_answer_after_think() -> None:
    parts = split_completion("<think>final answer is $8000$</think> The answer is **8**.")
    assert parts.closed and "8000" not in parts.answer
    prefilled = split_completion("reasoning here</think>\\boxed{3}", think_prefilled=True)
    assert prefilled.reasoning == "reasoning here" and prefilled.answer == "\\boxed{3}"


def test_choice_letters() -> None:
    assert choice_letter_in("The answer is (C).") == "C"
    assert choice_letter_in(r"\text{(B)}") == "B"
    assert choice_letter_in("none") is None


# --- equivalence in a worker -------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "prediction"),
    [
        (r"3\sqrt{13}", r"3\sqrt{13}"),  # raw references stay whole, not "3"
        (r"\frac{1}{2}", "0.5"),
        ("(3, -1)", "(3,-1)"),
        ("[-2, 7]", r"-2 \le x \le 7"),  # inequality vs interval
        (r"(-\infty, 3)", "x < 3"),
        (r"76^\circ", "76"),
        (r"\text{Evelyn}", "Evelyn"),
        ("-2,1", "1, -2"),
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    ],
)
def test_equivalent_answers(reference: str, prediction: str) -> None:
    assert check_answer(prediction, (reference,), 5).correct is True


@pytest.mark.parametrize(("reference", "prediction"), [("8", "8000"), (r"\frac{1}{2}", "0.6")])
def test_wrong_answers(reference: str, prediction: str) -> None:
    assert check_answer(prediction, (reference,), 5).correct is False


def test_unparseable_reference_is_undecided() -> None:
    assert check_answer("3", ("\\frac{1",), 5).correct is None


# --- the grader end to end (worker pool, cache, deadlines) --------------------------------


def test_seed_cases(pool: WorkerPool) -> None:
    assert grade(pool, "<think>2+2</think>\n\\boxed{4}", "4") == 1.0
    assert grade(pool, "<think>2+2</think>\n\\boxed{5}", "4") == 0.0
    assert grade(pool, "The answer is \\boxed{4}", "4") == 1.0  # no think tags still graded


def test_reasoning_answer_does_not_beat_final(pool: WorkerPool) -> None:
    completion = "<think>maybe the final answer is $8000$</think>The answer is **8**."
    assert grade(pool, completion, "8") == 1.0
    assert grade(pool, completion, "8000") == 0.0


def test_unclosed_think_scores_zero(pool: WorkerPool) -> None:
    assert grade(pool, "<think>so \\boxed{4} I think", "4") == 0.0


def test_several_references_and_letters(pool: WorkerPool) -> None:
    assert grade(pool, "\\boxed{2}", ["1", "2"]) == 1.0
    assert grade(pool, "<think>...</think>The answer is (C).", "C") == 1.0
    assert grade(pool, "<think>...</think>\\boxed{B}", "(C)") == 0.0


def test_missing_reference_is_typed(pool: WorkerPool) -> None:
    grader = MathGrader(pool, cache_size=10, default_timeout_s=3.0)
    score = asyncio.run(grader.grade(Item(completion="\\boxed{1}", answer=[" "])))
    assert score.value is None and score.error is not None
    assert score.error.type is ErrorType.missing_reference


def test_costly_answers_score_zero_not_null(pool: WorkerPool) -> None:
    """A completion cannot force a null: an answer whose parse or comparison would run past
    the deadline is wrong, decided before any sympy work when its shape shows it."""
    grader = MathGrader(pool, cache_size=10, default_timeout_s=1.0)
    bombs = ["9^{9^{9^{9}}}", "(10^{10})!", "(" * 2000 + "41" + ")" * 2000,
             "(2^{999999})^{999999}", ", ".join(str(n) for n in range(400))]  # fmt: skip
    started = time.monotonic()
    for bomb in bombs:
        score = asyncio.run(grader.grade(Item(completion=f"\\boxed{{{bomb}}}", answer="3, 4")))
        assert score.value == 0.0 and score.error is None, bomb[:40]
        assert score.detail["reason"] == "answer_too_costly", bomb[:40]
    assert time.monotonic() - started < 2  # decided in the server, no worker deadline spent


def test_worker_killed_on_an_answer_scores_zero(pool: WorkerPool) -> None:
    """The backstop: a parse that no alarm interrupts costs one deadline, then scores 0."""
    grader = MathGrader(pool, cache_size=10, default_timeout_s=1.0)

    async def run() -> list[float | None]:
        bomb = grader._check(("9^{9^{9^{9}}}",), ("3",), 1.0, 1e-6)
        items = [Item(completion=f"\\boxed{{{n}}}", answer=str(n)) for n in range(6)]
        verdict, *scores = await asyncio.gather(bomb, *(grader.grade(item) for item in items))
        assert verdict.correct is False and verdict.reason == "answer_too_costly"
        return [s.value for s in scores]

    started = time.monotonic()
    assert asyncio.run(run()) == [1.0] * 6
    assert time.monotonic() - started < 15  # a hang would never come back at all
    # The pool replaced the killed worker and still grades.
    assert grade(pool, "\\boxed{7}", "7") == 1.0


def test_reference_too_costly_is_never_paid(pool: WorkerPool) -> None:
    grader = MathGrader(pool, cache_size=10, default_timeout_s=1.0)
    score = asyncio.run(grader.grade(Item(completion="\\boxed{1}", answer="9^{9^{9^{9}}}")))
    assert score.value is None and score.error is not None
    assert score.error.type is ErrorType.invalid_reference
    # a long reference is fine, and so is an answer as long as it (another order here)
    reference = ", ".join(str(n) for n in range(120))
    answer = ", ".join(str(n) for n in reversed(range(120)))
    assert grade(pool, f"\\boxed{{{answer}}}", reference) == 1.0


def test_determinism(pool: WorkerPool) -> None:
    completions = [f"<think>t</think>\\boxed{{{n % 3}}}" for n in range(12)]
    first = [grade(pool, c, "1") for c in completions]
    second = [grade(pool, c, "1") for c in completions]
    assert first == second and first.count(1.0) == 4

"""The rules behind math accuracy, one kind at a time: spellings, statements, policies.

The corpus test checks whole completions; these pin each rule to its smallest input so a
regression names the rule that broke.
"""

from __future__ import annotations

import httpx
import pytest

from reward_server.rewards.math_cost import too_costly
from reward_server.rewards.math_extract import choice_letter_in, extract_final_answer, word_answer
from reward_server.rewards.math_numeric import approximate, clearly_different
from reward_server.rewards.math_policy import (
    MathParams,
    currency_conflict,
    drop_unit,
    false_equation,
    is_echo,
    is_negated,
    last_number,
    percent_as_fraction,
    strip_percent,
    top_level_parts,
    units_conflict,
)
from reward_server.rewards.math_text import (
    cut_leakage,
    drop_currency,
    drop_hidden,
    normalize_numbers,
    unicode_to_latex,
    vectors_as_tuples,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3√13", "3\\sqrt{13}"),
        ("√(x+1)", "\\sqrt{x+1}"),
        ("x²+y³", "x^{2}+y^{3}"),
        ("−4", "-4"),
        ("2×10⁵", "2\\times 10^{5}"),
        ("x ≤ 3", "x \\le  3"),
        ("90°", "90^\\circ "),
    ],
)
def test_unicode_math_reads_as_latex(text: str, expected: str) -> None:
    assert unicode_to_latex(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12\\,345", "12345"),
        ("12{,}345", "12345"),
        ("12,\\!345", "12345"),
        ("1{,}000{,}000", "1000000"),
        ("0.1\\overline{6}", "\\frac{1}{6}"),
        ("0.\\overline{27}", "\\frac{3}{11}"),
        ("1.\\overline{3}", "\\frac{4}{3}"),
        ("3e8", "3\\times10^{8}"),
        ("1.2E-3", "1.2\\times10^{-3}"),
        ("016", "16"),
        ("0.05", "0.05"),  # a decimal keeps its zeros
        ("1,024", "1,024"),  # a plain comma is a list or thousands: decided with the reference
        ("2016", "2016"),
    ],
)
def test_number_spellings(text: str, expected: str) -> None:
    assert normalize_numbers(text) == expected


def test_vectors_become_tuples_but_matrices_stay() -> None:
    assert vectors_as_tuples("\\begin{pmatrix} 1 \\\\ -2 \\end{pmatrix}") == "(1, -2)"
    assert vectors_as_tuples("\\begin{bmatrix} 1 & 2 \\end{bmatrix}") == "(1, 2)"
    square = "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"
    assert vectors_as_tuples(square) == square


def test_leakage_and_currency() -> None:
    assert cut_leakage("\\boxed{1}<|im_end|>\\boxed{2}") == "\\boxed{1}"
    assert cut_leakage("a</s>b<|eot_id|>c") == "a"
    assert drop_currency("they are $5 each, so 4 cost $20") == "they are 5 each, so 4 cost 20"
    assert drop_currency("costs $4.50.") == "costs 4.50."
    assert drop_currency("so $5$ and $x+1$") == "so $5$ and $x+1$"
    assert drop_currency("\\$7.25") == "7.25"


@pytest.mark.parametrize(
    ("answer", "expected", "values"),
    [
        ("Final Answer: The final answer is $1{,}250$. I hope it is correct.", "1250", ()),
        ("\\boxed{3}\n\nFinal Answer: The final answer is $5$. I hope it is correct.", "5", ()),
        ("Final Answer: the largest $k$ is 17.", "17", ()),
        ("So the area of $\\triangle PQR$ is 24.", "24", ()),
        ("**Answer:** 12", "12", ()),
        ("\\boxed{\\text{The answer is } 7}", "7", ()),
        ("The answer is 7, not 9.", "7", ()),
        ("It is $3$ (not $5$).", "3", ()),
        ("Therefore, there are 12 ways.", "12", ()),
        ("The answer is $9$, attained at $x=2$.", "9", ()),
        ("so $\\boxed{2}$ and $\\boxed{-5}$", "-5", ("2", "-5")),
        ("The answer is 3 or 5.", "5", ("3", "5")),
        ("\\boxed{4} and again \\boxed{4}", "4", ()),
        ("\\boxed{1}<|im_end|>\n\\boxed{2}", "1", ()),
    ],
)
def test_extraction(answer: str, expected: str, values: tuple[str, ...]) -> None:
    extracted = extract_final_answer(answer)
    assert (extracted.text, extracted.values) == (expected, values)


@pytest.mark.parametrize(
    "answer", ["5 5 5 5 5", "I could not finish; step 4 was hard.", "it is hard, not 5"]
)
def test_no_answer_is_none(answer: str) -> None:
    assert extract_final_answer(answer).text is None


def test_choice_letters_explicit_wins_and_hedges_lose() -> None:
    assert choice_letter_in("Since $\\Delta E$ is small.\n\n**Answer: (D)**") == "D"
    assert choice_letter_in("The answer is A or C.") is None
    assert choice_letter_in("A B C D E") is None
    assert choice_letter_in("The answer is a multiple of 3, so (B).") == "B"


def test_policies() -> None:
    assert units_conflict("8\\text{ mm}", "8\\text{ cm}")
    assert not units_conflict("8", "8\\text{ cm}")
    assert not units_conflict("45^\\circ", "45\\text{ degrees}")
    assert not units_conflict("x \\in S", "5\\text{ s}")  # a set named S is not seconds
    assert strip_percent("37.5", "37.5\\%") == ("37.5", "37.5")
    assert strip_percent("0.375", "37.5\\%") == ("0.375", "37.5")
    assert top_level_parts("2, -5") == 2 and top_level_parts("(2, -5)") == 1
    assert top_level_parts("1 \\\\ 1 \\\\ 1") == 3
    assert is_echo("\\sqrt{72}", "Simplify $\\sqrt{72}$.", ("6\\sqrt{2}",))
    assert not is_echo("x+1", "Simplify $x+1$.", ("x+1",))  # already in the requested form
    # any formula of the prompt with an operation counts, whatever the verb
    assert is_echo("\\sqrt{72}", "Find $\\sqrt{72}$ on a ruler.", ("6\\sqrt{2}",))
    assert not is_echo("5", "Evaluate $5$.", ("5",))
    assert last_number("we tried 3 things\nso 42") == "42"
    assert last_number("5 5 5") is None


def _accuracy(http: httpx.Client, item: dict[str, object], params: dict[str, object]) -> float:
    body = {"items": [item], "options": {"params": {"accuracy": params}}}
    response = http.post("/score", json=body)
    assert response.status_code == 200, response.text
    return response.json()["results"][0]["reward"]


def test_math_parameters_change_only_their_rule(http: httpx.Client) -> None:
    prose = {"completion": "<think>t</think>After all that we get 42", "answer": "42"}
    assert _accuracy(http, prose, {}) == 0.0
    assert _accuracy(http, prose, {"last_number_fallback": True}) == 1.0
    echo = {
        "completion": "<think>t</think>\\boxed{\\sqrt{72}}",
        "answer": "6\\sqrt{2}",
        "prompt": "Simplify $\\sqrt{72}$.",
    }
    assert _accuracy(http, echo, {}) == 0.0
    assert _accuracy(http, echo, {"reject_echo": False}) == 1.0
    units = {"completion": "\\boxed{8\\text{ mm}}", "answer": "8\\text{ cm}"}
    assert _accuracy(http, units, {}) == 0.0
    assert _accuracy(http, units, {"strict_units": False}) == 1.0
    close = {"completion": "\\boxed{6.62\\times10^{-34}}", "answer": "6.63\\times10^{-34}"}
    assert _accuracy(http, close, {}) == 0.0
    assert _accuracy(http, close, {"relative_tolerance": 1e-2}) == 1.0


def test_math_parameters_are_validated(http: httpx.Client) -> None:
    for bad in ({"bogus": 1}, {"relative_tolerance": 0}, {"last_number_fallback": "maybe"}):
        body = {
            "items": [{"completion": "1", "answer": "1"}],
            "options": {"params": {"accuracy": bad}},
        }
        response = http.post("/score", json=body)
        assert response.status_code == 422, (bad, response.text)
    assert MathParams().model_dump() == {
        "last_number_fallback": False,
        "reject_echo": True,
        "strict_units": True,
        "relative_tolerance": 1e-6,
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2\\sqrt{5}", 2 * 5**0.5),
        ("\\frac{\\sqrt{3}}{3}", 3**0.5 / 3),
        ("-\\frac{\\pi}{6}", -3.141592653589793 / 6),
        ("6+9i", 6 + 9j),
        ("2\\times10^{-7}", 2e-7),
        ("\\left(3\\right)(2)", 6),
    ],
)
def test_closed_forms_are_approximated(text: str, value: complex) -> None:
    result = approximate(text)
    assert result is not None and abs(result - value) < 1e-12 * max(1, abs(value))


@pytest.mark.parametrize("text", ["2^10", "\\frac12x", "2516_8", "\\sqrt[3]{2}", "x+1", "(1, 2)"])
def test_what_is_not_a_closed_form_is_left_to_math_verify(text: str) -> None:
    assert approximate(text) is None


def test_only_clearly_different_values_are_decided() -> None:
    assert clearly_different("8", "2\\sqrt{5}")
    assert clearly_different("2\\times10^{-7}", "10^{-7}")
    assert not clearly_different("2\\sqrt{5}", "\\sqrt{20}")
    assert not clearly_different("60^\\circ", "\\frac{\\pi}{3}")  # degrees read both ways
    assert not clearly_different("x", "5")  # unreadable: no verdict


# --- answers that restate, negate or contradict themselves -----------------------------


@pytest.mark.parametrize(
    ("text", "false"),
    [("41 = 42", True), ("P = 36 = 42", True), ("x = 42", False), ("42 = 42", False),
     ("x \\le 42", False), ("2x = 6", False)],
)  # fmt: skip
def test_false_equations(text: str, false: bool) -> None:
    assert false_equation(text) is false


def test_negated_answers() -> None:
    assert is_negated("\\neq 42", ("42",))
    assert is_negated("x \\ne 42", ("42",))
    assert not is_negated("x \\neq 42", ("x \\neq 42",))
    assert not is_negated("42", ("42",))


@pytest.mark.parametrize(
    ("prompt", "answer", "reference", "echo"),
    [
        ("What is $\\frac{9}{2}$ expressed as a decimal?", "\\frac{9}{2}", "4.5", True),
        ("Write $\\frac{3}{20}$ as a decimal.", "\\dfrac{3}{20}", "0.15", True),
        ("Add 313.9 to 12.6.", "313.9 + 12.6", "326.5", True),
        ("Compute $1-2+3-\\dots-100$.", "\\sum_{k=1}^{100} (-1)^{k+1} k", "-50", True),
        ("Write \\[\\frac{4+6a}{5}-\\frac{1+3a}{4}\\] as a single fraction.",
         "\\frac{4+6a}{5}-\\frac{1+3a}{4}", "\\frac{11+9a}{20}", True),
        ("What is $\\frac{9}{2}$ expressed as a decimal?", "4.5", "4.5", False),
        ("Which is largest? (A) $\\frac{9}{2}$ (B) $4$ (C) $3$", "\\frac{9}{2}", "4.5", False),
        ("If $2x = 9$, find $x$.", "\\frac{9}{2}", "4.5", False),
        ("Find $x$ if $x^2=4$ and $x>0$.", "2", "2", False),
    ],
)  # fmt: skip
def test_echo_of_the_prompt(prompt: str, answer: str, reference: str, echo: bool) -> None:
    assert is_echo(answer, prompt, (reference,)) is echo


# --- costly answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "costly"),
    [
        ("9^{9^{9^{9}}}", True),
        ("(10^{10})!", True),
        ("1^{(2^{235423523})}", True),
        ("(2^{999999})^{999999}", True),
        ("(" * 100 + "1" + ")" * 100, True),
        (", ".join(["7"] * 300), True),
        ("2^{2^{3}}", False),
        ("2^{2005}-2^{1003}", False),
        ("\\frac{1}{2006!}", False),
        ("\\left(2^{10}\\right)^{5}", False),
        ("e^{x^2}", False),
    ],
)
def test_costly_answers(answer: str, costly: bool) -> None:
    assert too_costly(answer, ("42",)) is costly


# --- spellings -----------------------------------------------------------------------------


def test_hidden_text_is_not_read() -> None:
    assert (
        drop_hidden("<!-- \\boxed{42} -->\nThe perimeter is 36.").strip() == "The perimeter is 36."
    )
    assert "42" not in drop_hidden("```python\nx = 36  # \\boxed{42}\n```\nSo 36.")
    assert extract_final_answer("```\n# \\boxed{42}\n```\nSo the answer is 36.").text == "36"


def test_mixed_numbers() -> None:
    assert normalize_numbers("4\\frac{2}{3}") == "\\frac{14}{3}"
    assert normalize_numbers("x^2\\frac{1}{2}") == "x^2\\frac{1}{2}"  # a product
    assert normalize_numbers("3\\frac{5}{2}") == "3\\frac{5}{2}"  # not a proper fraction


def test_percent_against_a_fraction() -> None:
    assert percent_as_fraction("33\\%", ("\\dfrac{33}{100}",)) == "\\frac{33}{100}"
    assert percent_as_fraction("25\\%", ("25",)) == "25"  # "what percent": the number
    assert percent_as_fraction("25", ("0.25",)) == "25"


def test_units_and_currency() -> None:
    assert drop_unit("15\\mbox{ cm}^2") == "15" and drop_unit("15 cm^{2}") == "15"
    assert drop_unit("x") == "x"
    assert currency_conflict("\\boxed{\\$5.4}", "5.4", "5.4 \\text{ cents}")
    assert not currency_conflict("\\boxed{5.4}", "5.4", "5.4 \\text{ cents}")


@pytest.mark.parametrize(
    ("answer", "value"),
    [
        ("arcsin(−1/2) = −π/6", "-\\pi /6"),
        ("Largest area: 20000/π square meters.", "20000/\\pi"),
    ],
)
def test_plain_text_final_lines(answer: str, value: str) -> None:
    assert extract_final_answer(answer).text == value


@pytest.mark.parametrize(
    ("answer", "word"),
    [
        ("Evelyn has the greatest average speed.", "Evelyn"),
        ("The composition is even (it is not odd).", "even"),
        ("It is even, not odd.", "even"),
        ("The answer is not clear.", None),
        ("Alice is the fastest.", "Alice"),
        ("Alice is not the fastest.", "fastest"),
        ("The answer is the fastest.", None),
    ],
)
def test_word_answers(answer: str, word: str | None) -> None:
    assert word_answer(answer) == word

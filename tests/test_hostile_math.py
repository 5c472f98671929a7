"""Hostile model output against the math path: typed results, no crash, no hang."""

from __future__ import annotations

import time

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from reward_server.rewards.extract import split_completion
from reward_server.rewards.math_extract import choice_letter_in, extract_final_answer, last_boxed
from reward_server.rewards.math_fast import quick_verdict

TOKENS = [
    *"\\{}$()[]^_0123456789abx+-*/=.,<> \n*",
    "\\boxed{",
    "\\frac",
    "</think>",
    "<think>",
    "**",
    "answer is",
    "<answer>",
    "</answer>",
    "\\(",
    "\\]",
]
LATEXY = st.lists(st.sampled_from(TOKENS), max_size=200)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), LATEXY.map("".join)))
def test_extractors_never_raise(text: str) -> None:
    parts = split_completion(text)
    extracted = extract_final_answer(parts.answer)
    assert extracted.text is None or isinstance(extracted.text, str)
    last_boxed(text)
    choice_letter_in(text)
    if extracted.text is not None:
        quick_verdict(extracted.text, ("1", "\\frac{1}{2}"))


def test_extraction_is_linear_on_huge_inputs() -> None:
    huge = "\\boxed{" * 200_000 + "x" + "{" * 100_000
    started = time.perf_counter()
    extract_final_answer(huge)
    extract_final_answer("$" * 1_000_000)
    extract_final_answer("the answer is " * 70_000)
    assert time.perf_counter() - started < 10  # a catastrophic regex would take hours


HOSTILE = [
    "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",  # deep nesting
    "\\frac{1}{2}" * 90_000,  # about 1 MB of LaTeX
    " ".join(f"\\boxed{{{n}}}" for n in range(5000)),  # thousands of boxes
    "\\boxed{" + "9" * 5000 + "}",  # a huge integer
    "\\boxed{1e99999}",
    "\\boxed{NaN}",
    "\\boxed{inf}",
    "\\boxed{\\infty}",
    "\\boxed{\x00\x01\x1b[31m}",  # control characters
    "\\boxed{\ud800}".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "\\boxed{2^{2^{2^{2^{2^{2^{2}}}}}}}",
    "\\boxed{10^{10^{10^{10}}}!}",
    "\\boxed{\\sum_{n=1}^{10^{100}} n^n}",
    "\\boxed{" + ", ".join(str(n) for n in range(3000)) + "}",  # a long list of numbers
    "\\boxed{(2^{999999})^{999999}}",
    "\\boxed{" + "(" * 2000 + "1" + ")" * 2000 + "}",
]


def test_hostile_completions_get_typed_results(http: httpx.Client) -> None:
    items = [{"completion": c, "answer": "1"} for c in HOSTILE]
    items.append({"completion": "<think>ok</think>\\boxed{1}", "answer": "1"})
    started = time.perf_counter()
    response = http.post("/score", json={"items": items, "options": {"timeout_s": 2}})
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    assert len(results) == len(items)
    for completion, result in zip(HOSTILE, results, strict=False):
        # nothing a completion writes may force a null: a costly answer is a wrong one
        assert result["reward"] == 0.0, (completion[:60], result)
    assert results[-1]["reward"] == 1.0
    assert time.perf_counter() - started < 120


def test_hostile_references_are_typed(http: httpx.Client) -> None:
    items = [
        {"completion": "\\boxed{1}", "answer": "\\frac{1"},
        {"completion": "\\boxed{1}", "answer": ["", "  "]},
        {"completion": "\\boxed{1}", "answer": "9^{9^{9^{9}}}"},
    ]
    results = http.post("/score", json={"items": items, "options": {"timeout_s": 1}}).json()
    types = [r["error"]["type"] if r["error"] else None for r in results["results"]]
    assert types[0] == "invalid_reference" and types[1] == "missing_reference"
    assert results["results"][2]["reward"] in (None, 0.0)


def test_invalid_utf8_body_is_a_client_error(http: httpx.Client) -> None:
    body = b'{"items": [{"completion": "\xff\xfe bad"}]}'
    response = http.post("/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and "body" in response.json()["detail"]

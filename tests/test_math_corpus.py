"""The labelled math corpus is the grading spec: every row right, through the real server.

``tests/data/math_corpus.jsonl`` (built by ``scripts/build_math_corpus.py``) holds R1-shaped
completions labelled by hand, grouped by kind. Every row must get its label: a false
negative removes a learning signal, a false positive teaches the policy to exploit the grader.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

CORPUS = Path(__file__).parent / "data" / "math_corpus.jsonl"
NEVER_REWARD = (
    "tiny_huge", "units", "hedge", "no_answer", "echo", "choice_in_formula", "costly",
    "false_equation", "hidden",
)  # fmt: skip
ISSUE_KINDS = (
    "multi_box", "minerva", "name_first", "leakage", "markdown_currency", "text_in_box",
    "negation", "unicode", "number_spelling", "tuple_vector", "inequality_interval", "percent",
    "positive_symbol", *NEVER_REWARD,
)  # fmt: skip


def _rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in CORPUS.open(encoding="utf-8") if line.strip()]


def test_corpus_covers_every_kind_with_both_labels() -> None:
    rows = _rows()
    labels = Counter((row["kind"], row["label"]) for row in rows)
    for kind in ISSUE_KINDS:
        assert labels[(kind, 0)] >= 3, f"{kind} needs wrong answers"
        assert labels[(kind, 1)] >= 1, f"{kind} needs right answers"
    assert sum(n for (kind, _), n in labels.items() if kind.startswith("math500")) >= 300
    assert all(row["reason"] and "\n" not in row["reason"] for row in rows)
    assert any(row["origin"].startswith("https://github.com/") for row in rows)


def test_every_corpus_row_gets_its_label(http: httpx.Client) -> None:
    rows = _rows()
    items = [
        {"id": str(i), "completion": r["completion"], "answer": r["reference"],
         "prompt": r.get("prompt")}
        for i, r in enumerate(rows)
    ]  # fmt: skip
    response = http.post("/score", json={"items": items, "options": {"timeout_s": 10}}, timeout=300)
    assert response.status_code == 200, response.text[:500]
    results = response.json()["results"]
    wrong: list[tuple[dict[str, Any], str]] = []
    for row, result in zip(rows, results, strict=True):
        accuracy = result["components"]["accuracy"]
        given = 1 if result["reward"] == 1.0 else 0
        if given != row["label"]:
            wrong.append(
                (
                    row,
                    f"[{row['kind']}] {row['reason']}: reward {result['reward']} "
                    f"(extracted {accuracy['detail'].get('extracted')!r}, "
                    f"reason {accuracy['detail'].get('reason')}) for {row['completion'][-120:]!r} "
                    f"vs {row['reference']!r}",
                )
            )
    false_positives = [m for row, m in wrong if row["label"] == 0 and row["kind"] in NEVER_REWARD]
    assert not false_positives, "\n".join(false_positives)
    assert not wrong, f"{len(wrong)} of {len(rows)} rows wrong:\n" + "\n".join(m for _, m in wrong)

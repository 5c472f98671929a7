"""Math grading throughput and accuracy: open-r1's way vs ``POST /score``.

A GRPO-shaped batch: 64 MATH-500 problems x 16 R1-style samples, answers repeating within
each group, about half right, written the ways models write them (boxed, bold, "the answer
is", a decoy answer inside the reasoning). Graded

(a) as open-r1's ``accuracy_reward`` does: math-verify ``parse`` + ``verify`` on the whole
    completion, sequentially, in-process (reference parsed from ``\\boxed{answer}``), after
    a warm-up batch of other problems, as in a long training run;
(b) through ``POST /score`` on a freshly started server (empty verdict cache), one request.

Every sample's truth is known by construction, so both are also scored for accuracy.
Run: ``python bench/bench_math.py [--prompts 64] [--samples 16]``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import SHARED_DATA, markdown_table, running_server  # noqa: E402

REASONING = (
    "Let me work through this carefully. First, I restate the problem in my own words. "
    "Then I set up the equations and simplify step by step, checking each line. "
)
TEMPLATES = (
    "<think>\n{reasoning}So the result should be {ans_inline}.\n</think>\n\n"
    "The final answer is $\\boxed{{{ans}}}$.",
    "<think>\n{reasoning}At first I thought the final answer is $\\boxed{{{decoy}}}$, "
    "but that was a slip. Rechecking gives {ans_inline}.\n</think>\n\nThe answer is **{ans}**.",
    "<think>\n{reasoning}Done.\n</think>\n\n**Answer:** ${ans}$",
    "<think>\n{reasoning}Therefore it is {ans_inline}.\n</think>\n\n"
    "Therefore, the answer is $\\boxed{{{ans}}}$.",
)


@dataclass
class Sample:
    completion: str
    answer: str
    correct: bool


def _wrong_answers(reference: str, others: list[str], rng: random.Random) -> list[str]:
    """Plausible wrong answers: other problems' answers, or a shifted integer."""
    wrong = [a for a in rng.sample(others, 6) if a.strip() != reference.strip()][:3]
    if reference.lstrip("-").isdigit():
        wrong[0] = str(int(reference) + rng.choice([-2, -1, 1, 3]))
    return wrong


def build_batch(prompts: int, samples: int, seed: int = 0) -> list[Sample]:
    rows = [json.loads(line) for line in (SHARED_DATA / "math500_test.jsonl").open()]
    rng = random.Random(seed)
    chosen = rng.sample(rows, prompts)
    all_answers = [row["answer"] for row in rows]
    batch = []
    for row in chosen:
        reference = row["answer"]
        wrong = _wrong_answers(reference, all_answers, rng)
        for _ in range(samples):
            correct = rng.random() < 0.5
            ans = reference if correct else rng.choice(wrong)
            template = rng.choice(TEMPLATES)
            completion = template.format(
                reasoning=REASONING * rng.randint(2, 8),
                ans=ans,
                ans_inline=f"${ans}$",
                decoy=rng.choice(wrong) if correct else reference,
            )
            batch.append(Sample(completion, reference, correct))
    return batch


def grade_open_r1(batch: list[Sample]) -> list[float]:
    """open-r1's accuracy_reward, sequential and in-process."""
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    config = [
        LatexExtractionConfig(
            normalization_config=NormalizationConfig(
                nits=False, malformed_operators=False, basic_latex=True, boxed="all", units=True
            ),
            boxed_match_priority=0,
            try_extract_without_anchor=False,
        )
    ]
    rewards = []
    for sample in batch:
        gold = parse(f"\\boxed{{{sample.answer}}}", extraction_mode="first_match")
        if not gold:
            rewards.append(1.0)  # open-r1 skips unparseable golds with reward 1
            continue
        pred = parse(sample.completion, extraction_config=config, extraction_mode="first_match")
        try:
            rewards.append(float(verify(gold, pred)))
        except Exception:
            rewards.append(0.0)
    return rewards


def grade_service(url: str, batch: list[Sample]) -> list[float | None]:
    items = [{"completion": s.completion, "answer": s.answer} for s in batch]
    response = httpx.post(
        f"{url}/score", json={"items": items, "rewards": {"accuracy": 1.0}}, timeout=600
    )
    response.raise_for_status()
    return [r["reward"] for r in response.json()["results"]]


def accuracy(rewards: list[float | None], batch: list[Sample]) -> float:
    hits = sum((r == 1.0) == s.correct for r, s in zip(rewards, batch, strict=True))
    return hits / len(batch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=16)
    args = parser.parse_args()
    batch = build_batch(args.prompts, args.samples)
    distinct = len({(s.answer, s.completion.rsplit("</think>", 1)[-1]) for s in batch})

    grade_open_r1(build_batch(32, 4, seed=1))  # steady state: the grammar's tables built
    started = time.perf_counter()
    baseline = grade_open_r1(batch)
    baseline_s = time.perf_counter() - started

    with running_server({"VR_SANDBOX_ENABLED": "false"}) as url:
        started = time.perf_counter()
        served = grade_service(url, batch)
        served_s = time.perf_counter() - started

    n = len(batch)
    rows = [
        [
            "(a) open-r1 accuracy_reward, sequential in-process",
            n,
            f"{baseline_s:.2f}",
            f"{n / baseline_s:.0f}",
            f"{accuracy(baseline, batch):.1%}",
            "1.0x",
        ],
        [
            "(b) POST /score, cold cache",
            n,
            f"{served_s:.2f}",
            f"{n / served_s:.0f}",
            f"{accuracy(served, batch):.1%}",
            f"{baseline_s / served_s:.1f}x",
        ],
    ]
    print(
        f"{args.prompts} prompts x {args.samples} samples, {distinct} distinct answer parts, "
        f"{sum(s.correct for s in batch)} right by construction"
    )
    print(
        markdown_table(
            ["grader", "items", "seconds", "items/s", "agrees with truth", "speed-up"], rows
        )
    )


if __name__ == "__main__":
    main()

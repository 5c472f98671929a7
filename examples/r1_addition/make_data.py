"""Two-digit arithmetic prompts in the R1 format, for the CPU learning demo.

The answer depends on the prompt, and the think block spells out the digit-level work, so a
small model can pick it up from a short cold start and RL can sharpen it. Two task families:

``--task max`` (the demo's default: learnable by a 100k-parameter model in minutes)::

    Which is larger, 47 or 38?
    <think>
    4 vs 3
    </think>
    \\boxed{47}

``--task add`` (column addition with the carry; needs far more SFT than the CPU budget)::

    What is 47+38?
    <think>
    7+8=15
    4+3+1=8
    </think>
    \\boxed{85}

Writes, under the output directory: ``train.jsonl`` (RL prompts + answers), ``heldout.jsonl``
(pairs never seen in SFT or RL) and ``cold_start.jsonl`` (``{prompt, completion}`` for SFT).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path


def larger(a: int, b: int) -> str:
    """The worked completion for max(a, b): compare tens, then ones if the tens tie."""
    steps = f"{a // 10} vs {b // 10}"
    if a // 10 == b // 10:
        steps += f"\n{a % 10} vs {b % 10}"
    return f"<think>\n{steps}\n</think>\n\\boxed{{{max(a, b)}}}"


def solution(a: int, b: int) -> str:
    """The worked completion for a + b (two-digit operands)."""
    ones = a % 10 + b % 10
    carry = ones // 10
    tens = a // 10 + b // 10 + carry
    tens_line = f"{a // 10}+{b // 10}+1={tens}" if carry else f"{a // 10}+{b // 10}={tens}"
    return f"<think>\n{a % 10}+{b % 10}={ones}\n{tens_line}\n</think>\n\\boxed{{{a + b}}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--train", type=int, default=3000, help="RL prompts")
    parser.add_argument("--heldout", type=int, default=200, help="held-out prompts")
    parser.add_argument("--cold-start", type=int, default=1500, help="SFT demonstrations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--task", choices=["max", "add"], default="max")
    args = parser.parse_args()
    pairs = [(a, b) for a in range(10, 100) for b in range(10, 100) if a != b]
    random.Random(args.seed).shuffle(pairs)
    heldout = pairs[: args.heldout]
    train = pairs[args.heldout : args.heldout + args.train]
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def write(name: str, rows: list[dict[str, str]]) -> None:
        (out / name).write_text("".join(json.dumps(r) + "\n" for r in rows))

    def prompt(a: int, b: int) -> str:
        return f"Which is larger, {a} or {b}?" if args.task == "max" else f"What is {a}+{b}?"

    def answer(a: int, b: int) -> str:
        return str(max(a, b) if args.task == "max" else a + b)

    worked = larger if args.task == "max" else solution
    write("train.jsonl", [{"prompt": prompt(a, b), "answer": answer(a, b)} for a, b in train])
    write("heldout.jsonl", [{"prompt": prompt(a, b), "answer": answer(a, b)} for a, b in heldout])
    demos = train[: args.cold_start]
    write(
        "cold_start.jsonl",
        [{"prompt": prompt(a, b), "completion": worked(a, b)} for a, b in demos],
    )
    print(out)


if __name__ == "__main__":
    main()

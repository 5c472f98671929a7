"""Write the labelled math grading corpus, ``tests/data/math_corpus.jsonl``.

Each row: ``completion``, ``reference``, optional ``prompt``, ``label`` (1 right, 0 wrong),
``kind``, ``reason`` (one line), ``origin`` (``written``, ``math500:<unique_id>`` or the URL of
the public report it comes from). Three sources:

- rows written per failure kind, each kind with right and wrong answers (values chosen here);
- MATH-500 references written the ways models write them (boxed, Minerva, bold, plain,
  unicode, with a leaked next turn), right and wrong;
- answers from public bug reports against math-verify and RL graders.

Deterministic (seeded); run ``python scripts/build_math_corpus.py`` after editing a kind.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from math_corpus_rows import ADVERSARIAL, GENERAL, PUBLIC_REPORTS
from math_corpus_styles import STYLES, answer_head, styled, think

# Tables of cases read better one case per line.
# fmt: off
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "data" / "math_corpus.jsonl"
MATH500 = ROOT / "bench" / "data" / "math500_test.jsonl"  # shipped: bench/data/README.md

NEVER_REWARD = ("tiny_huge", "units", "hedge", "no_answer", "echo", "choice_in_formula",
                "costly", "false_equation", "hidden")

Row = dict[str, Any]
ROWS: list[Row] = []

def add(
    kind: str, completion: str, reference: str, label: int, reason: str, **extra: str
) -> None:
    ROWS.append(
        {"completion": completion, "reference": reference, "label": label, "kind": kind,
         "reason": reason, "origin": extra.pop("origin", "written"), **extra}
    )


def multi_box() -> None:
    cases = [("2", "-5"), ("3", "7"), ("-1", "4"), ("\\frac{1}{2}", "3"), ("0", "6"),
             ("-2", "-3"), ("1", "9")]
    for i, (a, b) in enumerate(cases):
        ref = f"{a}, {b}"
        add("multi_box", f"{think(i)}The roots are $\\boxed{{{a}}}$ and $\\boxed{{{b}}}$.", ref, 1,
            "one box per value of a two-value answer")
        add("multi_box", f"{think(i)}So $x=\\boxed{{{b}}}$ or $x=\\boxed{{{a}}}$.", ref, 1,
            "order of the boxes does not matter")
        add("multi_box", f"{think(i)}The roots are $\\boxed{{{a}}}$ and $\\boxed{{{b}1}}$.", ref, 0,
            "second box holds a different value")
        add("multi_box", f"{think(i)}The only root is $\\boxed{{{a}}}$.", ref, 0,
            "one of two values is missing")
        add("multi_box", f"{think(i)}We find $\\boxed{{{a}}}$, and checking gives "
            f"$\\boxed{{{a}}}$.", a, 1, "the same value boxed twice is one answer")


def minerva() -> None:
    values = [("1{,}250", "1250"), ("\\frac{7}{3}", "\\frac{7}{3}"), ("42", "42"),
              ("2\\sqrt{5}", "2\\sqrt{5}"), ("-8", "-8"), ("0.75", "\\frac{3}{4}"),
              ("3{,}600", "3600"), ("x^2+1", "x^2+1")]
    for i, (written, ref) in enumerate(values):
        tail = f"Final Answer: The final answer is ${written}$. I hope it is correct."
        add("minerva", f"{think(i)}Working it out step by step.\n\n{tail}", ref, 1,
            "Minerva answer statement")
        add("minerva", f"{think(i)}An intermediate value is $\\boxed{{17}}$, then we scale."
            f"\n\n{tail}", ref, 1, "the answer statement after an intermediate box wins")
        add("minerva", f"{think(i)}We get $\\boxed{{{written}}}$ along the way.\n\n"
            "Final Answer: The final answer is $17$. I hope it is correct.", ref, 0,
            "the final statement says 17, the box was intermediate")
        add("minerva", f"{think(i)}{tail.replace(written, '9' + written)}", ref, 0,
            "Minerva statement with a wrong value")


def name_first() -> None:
    cases = [("the largest $k$ is 17", "17"), ("the area of $\\triangle PQR$ is 24", "24"),
             ("the value of $a+b$ is 11", "11"), ("the smallest $n$ is $36$", "36"),
             ("the length of $\\overline{AB}$ is $5\\sqrt{2}$", "5\\sqrt{2}"),
             ("the sum of all $x$ is $-3$", "-3"), ("the number of subsets $S$ is 64", "64"),
             ("$f(2)$ equals $9$", "9")]
    for i, (phrase, ref) in enumerate(cases):
        add("name_first", f"{think(i)}Final Answer: {phrase}.", ref, 1,
            "the first formula names the quantity; the value follows 'is'")
        add("name_first", f"{think(i)}Therefore {phrase}.", ref, 1,
            "last sentence of the form '... is VALUE'")
        wrong = phrase.replace(ref, "1" + ref if not ref.startswith("-") else ref[1:])
        add("name_first", f"{think(i)}Final Answer: {wrong}.", ref, 0,
            "the value after 'is' is wrong")


def leakage() -> None:
    tokens = ["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<｜end▁of▁sentence｜>", "</s>"]
    for i, token in enumerate(tokens):
        for right, wrong in (("12", "15"), ("\\frac{2}{3}", "\\frac{3}{2}")):
            add("leakage", f"{think(i)}So the answer is $\\boxed{{{right}}}$.{token}\n"
                f"<|im_start|>user\nNext problem<|im_end|>\n\\boxed{{{wrong}}}", right, 1,
                "a box after the end-of-turn token is another turn")
            add("leakage", f"{think(i)}So the answer is $\\boxed{{{wrong}}}$.{token}\n"
                f"user: try again\nassistant: \\boxed{{{right}}}", right, 0,
                "the right value appears only after the end of the turn")


def markdown_currency() -> None:
    for i, (value, ref) in enumerate([("12", "12"), ("4.50", "4.5"), ("20", "20"),
                                      ("7.25", "7.25"), ("3", "3")]):
        add("markdown_currency", f"{think(i)}**Answer:** {value}", ref, 1, "bold answer label")
        add("markdown_currency", f"{think(i)}**Answer: {value}**", ref, 1, "bold answer line")
        add("markdown_currency", f"{think(i)}The total cost is ${value}.", ref, 1,
            "a dollar sign as currency")
        add("markdown_currency", f"{think(i)}They are $1 each, so the total is ${value}.", ref, 1,
            "two currency amounts are not one formula")
        add("markdown_currency", f"{think(i)}The cost is $\\boxed{{\\${value}}}$.", ref, 1,
            "escaped dollar inside math")
        add("markdown_currency", f"{think(i)}**Answer:** 9{value}", ref, 0, "bold, wrong value")
        add("markdown_currency", f"{think(i)}**Final answer:** __{value}__", ref, 1,
            "underscore bold")
        add("markdown_currency", f"{think(i)}*Answer:* *{value}*", ref, 1, "italic answer")
        add("markdown_currency", f"{think(i)}**Final answer:** __9{value}__", ref, 0,
            "underscore bold, wrong value")
        add("markdown_currency", f"{think(i)}They are ${value} each, so 4 cost $99.", ref, 0,
            "the total, not the unit price, is the last amount")


def text_in_box() -> None:
    for i, (value, ref) in enumerate([("7", "7"), ("\\frac{5}{2}", "\\frac{5}{2}"), ("36", "36"),
                                      ("-4", "-4")]):
        add("text_in_box", f"{think(i)}\\boxed{{\\text{{The answer is }} {value}}}", ref, 1,
            "a sentence inside the box")
        add("text_in_box", f"{think(i)}\\boxed{{\\text{{the final answer is }} {value}}}", ref, 1,
            "a sentence inside the box")
        add("text_in_box", f"{think(i)}\\boxed{{\\text{{The answer is }} 1{value}}}", ref, 0,
            "sentence in the box with a wrong value")
    add("text_in_box", "\\boxed{\\text{Evelyn}}", "\\text{Evelyn}", 1, "a name is a text answer")


def negation() -> None:
    for i, (right, wrong) in enumerate([("7", "9"), ("3", "5"), ("12", "21"), ("-2", "2"),
                                        ("\\frac{1}{4}", "\\frac{1}{2}")]):
        add("negation", f"{think(i)}The answer is ${right}$, not ${wrong}$.", right, 1,
            "negated alternative dropped")
        add("negation", f"{think(i)}The answer is ${right}$, not ${wrong}$.", wrong, 0,
            "the negated value is not the answer")
        add("negation", f"{think(i)}So it is ${right}$ (not ${wrong}$).", right, 1,
            "parenthesised negation")
        add("negation", f"{think(i)}So it is ${right}$, not ${wrong}$.", wrong, 0,
            "graded by the last number would reward the rejected value")


def unicode() -> None:
    cases = [("3√13", "3\\sqrt{13}", "2\\sqrt{13}"), ("x²+2x", "x^2+2x", "x^3+2x"),
             ("90°", "90^\\circ", "45^\\circ"), ("−4", "-4", "4"), ("2×10⁵", "200000", "20000"),
             ("x ≤ 3", "(-\\infty, 3]", "(-\\infty, 3)"),
             ("√2/2", "\\frac{\\sqrt{2}}{2}", "\\sqrt{2}"),
             ("π/3", "\\frac{\\pi}{3}", "\\frac{\\pi}{6}")]
    for i, (written, right, other) in enumerate(cases):
        add("unicode", f"{think(i)}The answer is {written}.", right, 1,
            "unicode math read as LaTeX")
        add("unicode", f"{think(i)}**Answer:** {written}", right, 1, "unicode math in bold answer")
        add("unicode", f"{think(i)}The answer is {written}.", other, 0,
            "unicode math, different value")


def number_spelling() -> None:
    cases = [("12\\,345", "12345", "12346"), ("12{,}345", "12345", "1234"),
             ("12,\\!345", "12345", "123450"), ("1{,}000{,}000", "1000000", "100000"),
             ("0.1\\overline{6}", "\\frac{1}{6}", "0.16"),
             ("0.\\overline{3}", "\\frac{1}{3}", "0.3"),
             ("0.\\overline{27}", "\\frac{3}{11}", "\\frac{27}{100}"),
             ("3e8", "3\\times10^{8}", "3\\times10^{9}"),
             ("1.2E-3", "0.0012", "0.012"), ("016", "16", "160"), ("007", "7", "70"),
             ("2.5e-4", "0.00025", "0.0025")]
    for i, (written, right, wrong) in enumerate(cases):
        add("number_spelling", f"{think(i)}The answer is $\\boxed{{{written}}}$.", right, 1,
            "same number, other spelling")
        add("number_spelling", f"{think(i)}The answer is $\\boxed{{{written}}}$.", wrong, 0,
            "spelled number differs from the reference")


def tuple_vector() -> None:
    vectors = [("1", "-2", "4"), ("0", "3"), ("\\frac{1}{2}", "-1", "2"), ("5", "5", "-1")]
    for i, vec in enumerate(vectors):
        tup = "(" + ", ".join(vec) + ")"
        col = "\\begin{pmatrix} " + " \\\\ ".join(vec) + " \\end{pmatrix}"
        add("tuple_vector", f"{think(i)}$\\boxed{{{tup}}}$", col, 1, "tuple vs column vector")
        add("tuple_vector", f"{think(i)}$\\boxed{{{col}}}$", tup, 1, "column vector vs tuple")
        bad = "(" + ", ".join(reversed(vec)) + ")"
        add("tuple_vector", f"{think(i)}$\\boxed{{{bad}}}$", col, 0, "entries in the wrong order")


def inequality_interval() -> None:
    cases = [("-3 \\le x \\le 5", "[-3,5]", "(-3,5)"), ("x < 1 \\text{ or } x > 4",
              "(-\\infty,1)\\cup(4,\\infty)", "(1,4)"), ("x \\ge 2", "[2,\\infty)", "(2,\\infty)"),
             ("0 < x < 12.5", "(0, 12.5)", "[0, 12.5]"), ("x < -1 \\text{ or } x \\ge 3",
              "(-\\infty,-1)\\cup[3,\\infty)", "(-\\infty,-1]\\cup[3,\\infty)"),
             ("x<3", "(-\\infty, 3)", "(-\\infty, 3]")]
    for i, (ineq, interval, other) in enumerate(cases):
        add("inequality_interval", f"{think(i)}$\\boxed{{{ineq}}}$", interval, 1,
            "inequality answer, interval reference")
        add("inequality_interval", f"{think(i)}$\\boxed{{{interval}}}$", ineq, 1,
            "interval answer, inequality reference")
        add("inequality_interval", f"{think(i)}$\\boxed{{{ineq}}}$", other, 0,
            "endpoints differ")


def percent() -> None:
    for i, (pct, frac) in enumerate([("37.5", "0.375"), ("12", "0.12"), ("80", "0.8"),
                                     ("2.5", "0.025")]):
        ref = f"{pct}\\%"
        add("percent", f"{think(i)}$\\boxed{{{pct}}}$", ref, 1, "bare number of a percent")
        add("percent", f"{think(i)}$\\boxed{{{pct}\\%}}$", ref, 1, "percent written with its sign")
        add("percent", f"{think(i)}The answer is {pct} percent.", ref, 1, "percent in words")
        add("percent", f"{think(i)}$\\boxed{{{frac}}}$", ref, 0,
            "a fraction where the question asked for a percent")


def positive_symbol() -> None:
    cases = [("\\sqrt{1/n}", "\\frac{1}{\\sqrt{n}}", "\\frac{1}{n}"),
             ("\\sqrt{n^2}", "n", "n^2"), ("\\sqrt{4k^2}", "2k", "4k"),
             ("\\frac{\\sqrt{n}}{n}", "\\frac{1}{\\sqrt{n}}", "\\sqrt{n}")]
    for i, (given, ref, wrong) in enumerate(cases):
        add("positive_symbol", f"{think(i)}$\\boxed{{{given}}}$", ref, 1,
            "equal for a positive count n")
        add("positive_symbol", f"{think(i)}$\\boxed{{{wrong}}}$", ref, 0, "different expression")


def tiny_huge() -> None:
    cases = [("2\\times10^{-7}", "10^{-7}"), ("\\frac{1}{2^{60}}", "\\frac{1}{2^{61}}"),
             ("6.62\\times10^{-34}", "6.63\\times10^{-34}"), ("0.0000003", "0.0000004"),
             ("1.5\\times10^{-9}", "1.6\\times10^{-9}"), ("10^{20}+1", "10^{20}"),
             ("123456789012", "123456789013"), ("3.0\\times10^{8}", "3.1\\times10^{8}"),
             ("\\frac{1}{1000000}", "\\frac{1}{1000001}"),
             ("9.11\\times10^{-31}", "9.10\\times10^{-31}")]
    for i, (given, ref) in enumerate(cases):
        add("tiny_huge", f"{think(i)}$\\boxed{{{given}}}$", ref, 0, "relatively different numbers")
        add("tiny_huge", f"{think(i)}$\\boxed{{{ref}}}$", ref, 1, "the same number")


def units() -> None:
    cases = [("8", "mm", "cm"), ("12", "m", "km"), ("5", "kg", "g"), ("30", "minutes", "seconds"),
             ("3", "feet", "inches"), ("45", "degrees", "radians")]
    for i, (value, given, ref) in enumerate(cases):
        reference = f"{value}\\text{{ {ref}}}"
        add("units", f"{think(i)}$\\boxed{{{value}\\text{{ {given}}}}}$", reference, 0,
            "units conflict")
        add("units", f"{think(i)}$\\boxed{{{value}\\text{{ {ref}}}}}$", f"{value}\\text{{ {ref}}}",
            1, "same unit")
        add("units", f"{think(i)}$\\boxed{{{value}}}$", f"{value}\\text{{ {ref}}}", 1,
            "the number without its unit")


def hedge() -> None:
    for i, (a, b) in enumerate([("3", "5"), ("12", "16"), ("\\frac{1}{2}", "\\frac{1}{3}"),
                                ("-1", "1"), ("8", "9")]):
        add("hedge", f"{think(i)}It is either $\\boxed{{{a}}}$ or $\\boxed{{{b}}}$.", a, 0,
            "two different boxed values for one-value question")
        add("hedge", f"{think(i)}It is either $\\boxed{{{a}}}$ or $\\boxed{{{b}}}$.", b, 0,
            "two different boxed values for one-value question")
        add("hedge", f"{think(i)}The answer is {a} or {b}.", a, 0, "two values offered")
        add("hedge", f"{think(i)}The answer is ${a}$ or ${b}$.", b, 0, "two formulas offered")
        add("hedge", f"{think(i)}It is {a}, not {b}.", b, 0, "last number is the rejected one")
        add("hedge", f"{think(i)}$\\boxed{{{a}, {b}}}$", a, 0, "a list for a one-value question")
    for i, (a, b) in enumerate([("A", "C"), ("B", "D"), ("A", "E")]):
        add("hedge", f"{think(i)}The answer is {a} or {b}.", f"({a})", 0, "two option letters")
        add("hedge", f"{think(i)}\\boxed{{{a}}} or \\boxed{{{b}}}", b, 0, "two boxed letters")
        add("hedge", f"{think(i)}The answer is ({a}).", f"({a})", 1, "one option letter")


def no_answer() -> None:
    ones = " \\\\ ".join(["1"] * 20)
    add("no_answer", f"{think(0)}$$\\begin{{pmatrix}} {ones} \\end{{pmatrix}}$$", "1", 0,
        "a column of ones is not the number one")
    add("no_answer", f"{think(1)}5 5 5 5 5", "5", 0, "a run of numbers is no answer")
    add("no_answer", f"{think(2)}1 2 3 4 5 6 7 8 9 10", "7", 0, "a list of numbers is no answer")
    for i, ref in enumerate(["4", "10", "2", "0", "100"]):
        add("no_answer", f"{think(i)}I could not finish; step {ref} was hard.", ref, 0,
            "no answer statement; a number in passing")
        add("no_answer", f"{think(i)}Let me think more about case {ref} and the others.", ref, 0,
            "no answer at all")
        add("no_answer", f"<think>\nthe answer is {ref}\n</think>\n\nI am not sure.", ref, 0,
            "the value is only in the reasoning")
        add("no_answer", f"{think(i)}{ref}", ref, 1, "the whole answer part is the value")
        add("no_answer", f"{think(i)}$${ref}$$", ref, 1, "a display formula is the answer")


def echo() -> None:
    cases = [("Simplify $\\frac{x^2-1}{x-1}$.", "\\frac{x^2-1}{x-1}", "x+1"),
             ("Expand $(x+2)(x+3)$.", "(x+2)(x+3)", "x^2+5x+6"),
             ("Factor $x^2-9$.", "x^2-9", "(x-3)(x+3)"),
             ("Evaluate $\\sqrt{49}+\\sqrt{16}$.", "\\sqrt{49}+\\sqrt{16}", "11"),
             ("Simplify $\\sqrt{72}$.", "\\sqrt{72}", "6\\sqrt{2}"),
             ("Compute $\\dbinom{8}{3}$.", "\\dbinom{8}{3}", "56")]
    for i, (prompt, expr, ref) in enumerate(cases):
        add("echo", f"{think(i)}$\\boxed{{{expr}}}$", ref, 0, "the prompt's expression unchanged",
            prompt=prompt)
        add("echo", f"{think(i)}The answer is ${expr}$.", ref, 0, "echo in a statement",
            prompt=prompt)
        add("echo", f"{think(i)}$\\boxed{{{ref}}}$", ref, 1, "the requested form", prompt=prompt)
    add("echo", f"{think(0)}$\\boxed{{x+1}}$", "x+1", 1, "already in simplest form",
        prompt="Simplify $x+1$ if possible.")


def choice_in_formula() -> None:
    formulas = ["\\langle H\\rangle \\ll \\Delta E", "\\Delta E = h\\nu", "A \\cap B",
                "P(E) = 0.3", "\\vec{B} \\times \\vec{E}"]
    for i, formula in enumerate(formulas):
        for letter in "BD":
            add("choice_in_formula", f"{think(i)}Since $\\boxed{{{formula}}}$, the option that "
                f"fits is this one.\n\n**Answer: ({letter})**", f"({letter})", 1,
                "explicit answer line wins over letters in a formula")
            add("choice_in_formula",
                f"{think(i)}Since ${formula}$, we pick it.\n\nAnswer: ({letter})",
                "E" if "E" in formula else "A", 0,
                "a letter inside a formula is not the chosen option")


def public_reports() -> None:
    for completion, reference, label, reason, origin in PUBLIC_REPORTS:
        add("public_reports", completion, reference, label, reason, origin=origin)


def adversarial() -> None:
    for i, (kind, answer, ref, label, reason, prompt, *origin) in enumerate(ADVERSARIAL):
        completion = answer if answer.startswith("<think>") else think(i) + answer
        extra = {"prompt": prompt} if prompt else {}
        add(kind, completion, ref, label, reason, origin=origin[0] if origin else "written",
            **extra)


def general() -> None:
    for i, (answer, ref, label, reason) in enumerate(GENERAL):
        add("general", think(i) + answer, ref, label, reason)
    add("hedge", think(0) + "A B C D E", "E", 0, "every option letter at once")
    add("hedge", think(1) + "\\boxed{3 \\text{ (or 5)}}", "3", 0, "an alternative inside text")
    add("hedge", think(2) + "\\boxed{3 \\text{ cm or } 5 \\text{ cm}}", "3", 0,
        "alternatives with units")
    add("hedge", think(0) + "The answer is 3. The answer is 5.", "3", 0,
        "a later statement on the same line wins")
    add("hedge", think(1) + "Answer: A, B, C, D", "B", 0, "four option letters")
    add("no_answer", think(2) + "\\boxed{1 \\\\ 1 \\\\ 1}", "1", 0, "a column of ones in a box")
    add("hedge", think(0) + "\\boxed{\\text{The answer is } 3 \\text{ or } 5}", "3", 0,
        "alternatives inside a boxed sentence")
    add("echo", think(1) + "$\\boxed{x^{2}-9}$", "(x-3)(x+3)", 0, "echo with braced exponent",
        prompt="Factor $x^2-9$.")
    add("echo", think(2) + "$\\boxed{7}$", "7", 1, "evaluated", prompt="Evaluate $3+4$.")


def math500(limit: int = 300) -> None:
    rows = [json.loads(line) for line in MATH500.open()]
    rng = random.Random(7)
    answers = [row["answer"] for row in rows]
    chosen = rng.sample(rows, len(rows))
    count = 0
    for i, row in enumerate(chosen):
        if count >= limit:
            break
        ref = row["answer"]
        style = STYLES[i % len(STYLES)]
        right = styled(style, ref, answer_head(i))
        if right is None:
            style = "boxed"
            right = styled(style, ref, answer_head(i))
        assert right is not None
        wrong_ref = rng.choice([a for a in answers if a.strip() != ref.strip()])
        wrong = styled(style if style != "unicode" else "boxed", wrong_ref, answer_head(i))
        origin = f"math500:{row['unique_id']}"
        add(f"math500_{style}", right, ref, 1, f"MATH-500 reference written {style}", origin=origin)
        if wrong is not None and count % 2 == 0:
            add(f"math500_{style}", wrong, ref, 0, "another problem's answer", origin=origin)
        count += 1


def main() -> None:
    for build in (multi_box, minerva, name_first, leakage, markdown_currency, text_in_box,
                  negation, unicode, number_spelling, tuple_vector, inequality_interval, percent,
                  positive_symbol, tiny_huge, units, hedge, no_answer, echo, choice_in_formula,
                  public_reports, general, adversarial):
        build()
    math500()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w") as out:
        for row in ROWS:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(ROWS)} rows -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

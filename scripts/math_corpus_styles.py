"""How models write a final answer: the styles ``build_math_corpus.py`` writes MATH-500
references in (boxed, Minerva, bold, plain, phrase, a leaked next turn, unicode)."""

from __future__ import annotations

THINKS = (
    "<think>\nLet me set up the problem and compute carefully.\n</think>\n\n",
    "<think>\nFirst I simplify, then I check the result against the conditions.\n</think>\n\n",
    "<think>\nTry small cases, find the pattern, then verify it.\n</think>\n",
)


def think(n: int) -> str:
    return THINKS[n % len(THINKS)]


def answer_head(i: int) -> str:
    """The reasoning before a MATH-500 answer."""
    return think(i) + "Putting the steps together.\n\n"


STYLES = ("boxed", "minerva", "bold", "plain", "phrase", "leak", "unicode")


def _unicode(answer: str) -> str | None:
    table = {"\\sqrt{": "√{", "\\pi": "π", "^\\circ": "°", "\\infty": "∞", "\\le ": "≤ "}
    out = answer
    for latex, symbol in table.items():
        out = out.replace(latex, symbol)
    return out if out != answer and "\\" not in out else None


def styled(style: str, answer: str, head: str) -> str | None:
    """``head`` (the reasoning) followed by ``answer`` written in ``style``; None where the
    style cannot write this answer (no unicode spelling)."""
    if style == "boxed":
        return head + f"Therefore, the answer is $\\boxed{{{answer}}}$."
    if style == "minerva":
        return head + f"Final Answer: The final answer is ${answer}$. I hope it is correct."
    if style == "bold":
        return head + f"**Answer:** ${answer}$"
    if style == "plain":
        return head + f"The answer is ${answer}$."
    if style == "phrase":
        return head + f"So the final answer is ${answer}$"
    if style == "leak":
        leak = "<|im_end|>\n<|im_start|>user\nAnd 2+2?<|im_end|>\n\\boxed{4}"
        return head + f"$\\boxed{{{answer}}}$" + leak
    uni = _unicode(answer)
    return None if uni is None else head + f"The answer is {uni}."

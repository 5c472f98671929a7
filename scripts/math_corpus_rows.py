"""Tables of rows for ``build_math_corpus.py``.

``GENERAL``: shapes every grader must keep right (equations, words, sets, matrices,
intervals, ...), labelled by hand; a guard against the rewrites the other kinds needed.
``PUBLIC_REPORTS``: answers taken from public bug reports against math graders.
"""

# fmt: off
MATH_VERIFY = "https://github.com/huggingface/Math-Verify/issues/"

# (answer part, reference, label, reason)
GENERAL = [
    # (answer part, reference, label, reason)
    ("$\\boxed{x^2 + y^2 = 25}$", "x^2+y^2=25", 1, "an equation answer stays whole"),
    ("The equation of the circle is $x^2+y^2=25$.", "x^2+y^2=25", 1, "equation in a statement"),
    ("$\\boxed{x^2+y^2=16}$", "x^2+y^2=25", 0, "different equation"),
    ("So $x = 5$.", "5", 1, "variable assignment"),
    ("The answer is Tuesday.", "\\text{Tuesday}", 1, "a word answer"),
    ("$\\boxed{\\text{Monday}}$", "\\text{Tuesday}", 0, "a different word"),
    ("Therefore, there are 12 ways.", "12", 1, "a counted noun ends the last sentence"),
    ("Therefore, there are 13 ways.", "12", 0, "counted noun, wrong count"),
    ("$\\boxed{12}$\n\nFinal answer: see above.", "12", 1, "an answer line that points back"),
    ("The correct option is (B).", "B", 1, "option letter in a sentence"),
    ("Answer: B) 42", "B", 1, "option letter with its text"),
    ("$\\boxed{\\{1,2,3\\}}$", "1, 2, 3", 1, "set vs list"),
    ("$\\boxed{1,000,000}$", "1000000", 1, "plain thousands commas"),
    ("$\\boxed{3.00 \\times 10^8}$", "3\\times10^8", 1, "trailing zeros in a mantissa"),
    ("$\\boxed{x \\in [2, 5]}$", "[2,5]", 1, "membership in an interval"),
    ("$\\boxed{\\pm 3}$", "3, -3", 1, "plus-minus"),
    ("$\\boxed{5 \\text{ apples}}$", "5", 1, "a noun after the number"),
    ("$\\boxed{1/2}$", "\\frac{1}{2}", 1, "slash fraction"),
    ("$\\boxed{\\dfrac12}$", "0.5", 1, "dfrac without braces"),
    ("$\\boxed{6+9i}$", "9i+6", 1, "complex number, other order"),
    ("$\\boxed{2516_8}$", "2516_8", 1, "base subscript"),
    ("$\\boxed{2x+3}$", "y=2x+3", 1, "right-hand side of the reference"),
    ("The slope is $-\\frac{1}{2}$ and the intercept is $3$.", "3", 1, "last statement's value"),
    ("We have $a=3$, $b=4$, so $c=5$.", "5", 1, "last formula"),
    ("The answer is $\\boxed{5}$ cm.", "5", 1, "unit after the box"),
    ("So the probability is 3/8.", "\\frac{3}{8}", 1, "plain slash fraction in prose"),
    ("The sum is 2,552,004.", "2552004", 1, "plain thousands commas in prose"),
    ("$\\boxed{(3, -1)}$", "(3,-1)", 1, "ordered pair"),
    ("$\\boxed{(-1, 3)}$", "(3,-1)", 0, "ordered pair, swapped"),
    ("$\\boxed{\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}}$",
     "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", 1, "a 2x2 matrix"),
    ("$\\boxed{\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}}$",
     "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", 0, "the transposed matrix"),
    ("$\\boxed{2.00}$", "2", 1, "trailing zeros"),
    ("$\\boxed{0.7071}$", "\\frac{\\sqrt{2}}{2}", 0, "a rounded decimal is not exact"),
    ("$\\boxed{(-\\infty, 2]}$", "(-\\infty, 2]", 1, "half-open interval"),
    ("$\\boxed{(-\\infty, 2)}$", "(-\\infty, 2]", 0, "open where closed is asked"),
    ("So $\\Delta E = 5$ and the answer is (C).", "C", 1, "letter after a formula with E"),
    ("$\\boxed{\\frac{1}{3}}$", "0.\\overline{3}", 1, "repeating-decimal reference"),
    ("$\\boxed{\\{5\\}}$", "5", 1, "a one-element set"),
    ("$\\boxed{5.0000001}$", "5", 1, "within rounding"),
    ("$\\boxed{5.001}$", "5", 0, "beyond rounding"),
    ("$\\boxed{\\infty}$", "5", 0, "infinity"),
    ("$\\boxed{[4, 6]}$", "5", 0, "an interval around the value"),
    ("$\\boxed{4 < x < 6}$", "5", 0, "an inequality around the value"),
    ("$\\boxed{x}$", "5", 0, "a bare variable"),
    ("The answer is $\\frac{\\sqrt{3}}{2}$, since $\\sin 60^\\circ = \\frac{\\sqrt{3}}{2}$.",
     "\\frac{\\sqrt{3}}{2}", 1, "reason after the answer"),
    ("**Final Answer**\n$$\\boxed{-\\frac{7}{2}}$$", "-\\frac{7}{2}", 1, "R1 heading"),
    ("**Final Answer**\n$$\\boxed{\\frac{7}{2}}$$", "-\\frac{7}{2}", 0, "sign lost"),
    ("The final answer is \\(\\boxed{144}\\).", "144", 1, "box inside \\( \\)"),
    ("Thus $n = \\boxed{15}$ works.", "15", 1, "box in an assignment"),
    ("The maximum is attained at $x=2$, where the value is $\\boxed{9}$.", "9", 1, "box last"),
    ("The maximum value is $9$, attained at $x=2$.", "9", 1, "value before its condition"),
    ("2 500", "2500", 1, "space as thousands separator"),
    ("5 500 5", "5500", 0, "spaced digits that are not thousands"),
    ("42 percent", "42\\%", 1, "a bare percent in words"),
    ("41 percent", "42\\%", 0, "a bare percent in words, wrong"),
    ("Final Answer: Tom left the station 4 hours ago. I hope it is correct.", "4", 1,
     "one number in a prose answer statement"),
    ("Final Answer: Tom left 4 hours ago, 2 hours after Ann. I hope it is correct.", "4", 0,
     "two numbers in a prose answer statement"),
    ("So there are 18 distinct triangles that satisfy all the stated conditions. I hope it is "
     "correct.<|im_start|>user", "18", 1, "counted noun before a sign-off and a leaked turn"),
    ("The total is $\\boxed{22,\\! 222,\\! 000}$", "22222000", 1, "thousands with ,\\! and spaces"),
    ("\\boxed{4} and \\boxed{5} and \\boxed{6}", "\\{4,5,6\\}", 1, "one box per set member"),
    ("\\boxed{4},\\boxed{5}", "\\{4,5,6\\}", 0, "a set member missing"),
    ("$\\boxed{7,9}$", "7 \\text{ and } 9", 1, "reference lists values with 'and'"),
    ("$\\boxed{7}$", "7 \\text{ and } 9", 0, "one of two values"),
]

# (completion, reference, label, reason, origin)
PUBLIC_REPORTS = [
    (
        'could answer therefore\\boxed{840}.,but let me put this after explain.\n'
        '\n**Final Answer**\n\\boxed{840}',
        '840',
        1,
        'the same box twice is one answer, not 840840',
        MATH_VERIFY + "44",
    ),
    (
        ' the answer should be \\boxed{004}.\n\nBut let me check again: the sum is'
        ' 2,552,004. The last three digits are 004.\n\n**Final Answer**\n\\boxed{00'
        '4}',
        '4',
        1,
        'leading zeros, repeated box',
        MATH_VERIFY + "44",
    ),
    (
        'Thus, the number of residents who own all four of the things is **73**'
        '.\n\n---\n\n✅ Final Answer: **73**',
        '73',
        1,
        "bold after 'Final Answer:'",
        MATH_VERIFY + "76",
    ),
    (
        'Thus the count is **73**.\n\n✅ Final Answer: **74**',
        '73',
        0,
        'the final statement is wrong',
        MATH_VERIFY + "76",
    ),
    (
        '$\\boxed{x<3}$',
        '(-\\infty, 3)',
        1,
        'inequality vs interval',
        MATH_VERIFY + "71",
    ),
    (
        '$\\boxed{(-\\infty, 3)}$',
        'x<3',
        1,
        'interval vs inequality',
        MATH_VERIFY + "71",
    ),
    (
        '$\\boxed{0 < x < 12.5}$',
        '(0, 12.5)',
        1,
        'open interval',
        MATH_VERIFY + "10",
    ),
    (
        '$\\boxed{1728}$',
        '1331, 1728',
        0,
        'one of two required answers',
        MATH_VERIFY + "47",
    ),
    (
        '$\\boxed{1331 \\text{ and } 1728}$',
        '1331, 1728',
        1,
        'both answers',
        MATH_VERIFY + "47",
    ),
    (
        'So $\\boxed{\\langle H\\rangle \\ll \\Delta E}$ must hold.\n\n**Answer: D**',
        'D',
        1,
        'explicit answer line, not E from the formula',
        'https://github.com/NVIDIA-NeMo/Skills/pull/1526',
    ),
    (
        'So $\\boxed{\\langle H\\rangle \\ll \\Delta E}$ must hold.\n\n**Answer: D**',
        'E',
        0,
        'E appears only inside a formula',
        'https://github.com/NVIDIA-NeMo/Skills/pull/1526',
    ),
    (
        'The positive square root of 64 is $ \\sqrt{64} = 8 $, and the cube root'
        ' of 64 is $ \\sqrt[3]{64} = 4 $. The difference is 4.\n\n**Answer:** 4.',
        '4',
        1,
        'bold answer label',
        'https://github.com/EleutherAI/lm-evaluation-harness/issues/3643',
    ),
    (
        ' Final Answer:\n  The last three digits of \\(2003^{2002^{2001}}\\) are:\n'
        '  \\[Answer: 009\\]',
        '9',
        1,
        'answer inside display math, power tower before it',
        'https://github.com/pytorch/torchtitan/pull/4442',
    ),
    (
        '\\boxed{\\frac{64}{400}}',
        '\\frac{63}{400}',
        0,
        'close fractions',
        'https://github.com/huggingface/open-r1/pull/566',
    ),
    (
        '\\boxed{\\frac{63}{400}}',
        '\\frac{63}{400}',
        1,
        'same fraction',
        'https://github.com/huggingface/open-r1/pull/566',
    ),
]

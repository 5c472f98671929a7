"""Which fenced code block of an answer is the program.

Models often write the solution, then an "example usage" block of the same language
(``print(solve([1, 2, 3]))``), a block that only holds tests, or a shell line showing how to
run it. The last block is then not the program. The block chosen is the last one that
does what the tests need: defines the function the tests call (``entry_point``,
``fn_name``, or the names an MBPP-style assert calls), or reads standard input for
stdin/stdout tests; when no block does, the last candidate (the old rule).
"""

from __future__ import annotations

import builtins
import re
from dataclasses import dataclass

from sandbox.jobs import AssertTests, CallTests, Language, StdinStdoutTests, normalize_language
from sandbox.runner.languages import LANGUAGES

FENCE = "```"

# How a program reads standard input, per language (any match counts).
_READS_STDIN = {Language(lang.name): lang.reads_stdin for lang in LANGUAGES.values()}
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_NOT_PROGRAM_NAMES = set(dir(builtins)) | {"check", "candidate", "assert", "isclose", "approx"}


@dataclass(frozen=True)
class Block:
    tag: str  # the fence's info string, first word, lower case ("" if none)
    code: str


@dataclass(frozen=True)
class Choice:
    block: Block
    index: int  # position among all blocks of the answer
    reason: str  # why this block, for ``detail.program``


def fenced_blocks(text: str) -> list[Block]:
    """Closed ```` ``` ```` blocks in order; linear time (str.find), whatever the input."""
    blocks: list[Block] = []
    pos = 0
    while True:
        start = text.find(FENCE, pos)
        if start < 0:
            break
        newline = text.find("\n", start + len(FENCE))
        if newline < 0:
            break
        end = text.find(FENCE, newline + 1)
        if end < 0:
            break
        info = text[start + len(FENCE) : newline].strip().split()
        blocks.append(Block(tag=info[0].lower() if info else "", code=text[newline + 1 : end]))
        pos = end + len(FENCE)
    return blocks


def needed_names(tests: object) -> list[str]:
    """Functions the tests call: ``fn_name``, ``entry_point``, else those asserts call."""
    if isinstance(tests, CallTests):
        return [tests.fn_name]
    if isinstance(tests, AssertTests):
        if tests.entry_point:
            return [tests.entry_point]
        source = "\n".join([tests.code, *tests.asserts])
        names = dict.fromkeys(m.group(1) for m in _CALLED.finditer(source))
        return [n for n in names if n not in _NOT_PROGRAM_NAMES]
    return []


def _defines(code: str, name: str) -> bool:
    # [ \t]* rather than \s*: "^\s*" from every line start of a long blank run is quadratic
    name = re.escape(name)
    pattern = rf"^[ \t]*(?:async[ \t]+)?def[ \t]+{name}[ \t]*\(|^[ \t]*class[ \t]+{name}\b"
    pattern += rf"|^{name}[ \t]*=(?!=)"
    return re.search(pattern, code, re.MULTILINE) is not None


def _candidates(blocks: list[Block], language: Language | None) -> list[int]:
    """Blocks that may be the program: the expected language's (else untagged ones), or
    with no expected language any block tagged with a supported one; else all."""
    if language is not None:
        for wanted in (lambda b: normalize_language(b.tag) == language, lambda b: not b.tag):
            found = [i for i, b in enumerate(blocks) if wanted(b)]
            if found:
                return found
    else:
        tagged = [i for i, b in enumerate(blocks) if normalize_language(b.tag) is not None]
        if tagged:
            return tagged
    return list(range(len(blocks)))


def pick_program(
    blocks: list[Block], language: Language | None, tests: object = None
) -> Choice | None:
    """The program among ``blocks`` (see the module docstring), with the reason."""
    candidates = [i for i in _candidates(blocks, language) if blocks[i].code.strip()]
    if not candidates:
        return None
    names = needed_names(tests)
    for i in reversed(candidates):
        defined = [n for n in names if _defines(blocks[i].code, n)]
        if defined:
            return Choice(blocks[i], i, f"defines {defined[0]!r}")
    if isinstance(tests, StdinStdoutTests):
        langs = {
            i: language or normalize_language(blocks[i].tag) or Language.python for i in candidates
        }
        # next to a program in another language, a shell block says how to run it
        # ("cat in.txt | python3 sol.py"): shell comes last, unless asked for
        for shell in (False, True):
            for i in reversed(candidates):
                if (langs[i] == Language.bash) == shell and re.search(
                    _READS_STDIN[langs[i]], blocks[i].code, re.MULTILINE
                ):
                    return Choice(blocks[i], i, "reads standard input")
    return Choice(blocks[candidates[-1]], candidates[-1], "last block")

"""Dataset test fields, taken as the datasets write them, mapped to the internal test shape.

``tests`` may be a whole dataset row (unknown fields are ignored) or just its test field.
``tests.format`` names the layout; without it the layout is recognised by its field names.

=============== ====================================================================
format          fields read (as the dataset stores them)
=============== ====================================================================
apps / taco     ``input_output``: JSON string ``{"inputs", "outputs", "fn_name"?}``
                (or that object itself, or ``inputs``/``outputs``/``fn_name`` inline)
codecontests    ``public_tests`` / ``private_tests`` / ``generated_tests``, each
                ``{"input": [str], "output": [str]}``
livecodebench   ``public_test_cases`` (JSON string of ``[{input, output, testtype}]``),
                ``private_test_cases`` (same, or base64(zlib(pickle(JSON string)))),
                ``metadata`` (JSON string with ``func_name`` for ``functional`` tests)
open_r1         ``verification_info``: ``{"test_cases": [{input, output}] | JSON string
                of {inputs, outputs, fn_name}, "checker"?, "language"?}``; ``checker``
                is a source (C++ if it has ``#include``, else Python) or a Checker object
mbpp            ``test_list`` (assert lines), ``test_setup_code``
humaneval       ``test`` (``def check(candidate)``), ``entry_point``
=============== ====================================================================

Security: LiveCodeBench's private tests are pickled. They are never unpickled here; a
restricted reader walks the pickle's opcodes (``pickletools.genops`` only parses) and accepts
nothing but one plain string, which is then parsed as JSON. Anything else is refused with a
ValueError saying how to convert the row. Decompression is capped against zip bombs.
"""

from __future__ import annotations

import base64
import binascii
import json
import pickletools
import zlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FormatName = Literal["apps", "taco", "codecontests", "livecodebench", "open_r1", "mbpp",
                     "humaneval"]
MAX_DECOMPRESSED = 256 << 20  # bytes of a decompressed LiveCodeBench private test blob
# What LeetCode-style graders (LiveCodeBench's, APPS's) import before a solution, so that
# `List[int]` annotations and `defaultdict`/`deque`/`heappush` work without an import line.
CALL_PRELUDE = ("from typing import *\nfrom collections import *\nfrom functools import *\n"
                "from itertools import *\nfrom heapq import *\nfrom bisect import *\n"
                "import collections, functools, heapq, bisect, itertools, math, sys\n")
_STRING_OPS = {"PROTO", "FRAME", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE",
               "MEMOIZE", "BINPUT", "LONG_BINPUT", "PUT", "STOP"}


def _json(value: Any, what: str) -> Any:
    """Datasets store nested objects as JSON strings; accept either."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as e:
            raise ValueError(f"{what} is not valid JSON: {e}") from None
    return value


def _stdin_cases(inputs: list[Any], outputs: list[Any]) -> list[dict[str, Any]]:
    if len(inputs) != len(outputs):
        raise ValueError(f"{len(inputs)} inputs but {len(outputs)} outputs")
    return [{"input": i, "output": o} for i, o in zip(inputs, outputs, strict=True)]


def in_outs(raw: dict[str, Any]) -> dict[str, Any]:
    """APPS/TACO ``{"inputs", "outputs", "fn_name"?}`` -> internal ``call`` or ``stdin_stdout``.

    With ``fn_name`` each input is the argument list and each output the return value,
    which APPS wraps in a one-element list (``unwrap_singleton`` accepts either).
    """
    ins, outs = raw.get("inputs"), raw.get("outputs")
    if not isinstance(ins, list) or not isinstance(outs, list):
        raise ValueError("`inputs` and `outputs` must be lists")
    if raw.get("fn_name"):
        if len(ins) != len(outs):
            raise ValueError(f"{len(ins)} inputs but {len(outs)} outputs")
        cases = [{"args": i if isinstance(i, list) else [i], "expected": o}
                 for i, o in zip(ins, outs, strict=True)]
        return {"type": "call", "fn_name": raw["fn_name"], "cases": cases,
                "unwrap_singleton": True, "prelude": CALL_PRELUDE}
    return {"type": "stdin_stdout", "cases": _stdin_cases(ins, outs)}


class AppsRow(BaseModel):
    """APPS and TACO: ``input_output`` is a JSON string."""

    model_config = ConfigDict(extra="ignore")

    input_output: str | dict[str, Any]

    def internal(self) -> dict[str, Any]:
        io = _json(self.input_output, "input_output")
        if not isinstance(io, dict):
            raise ValueError("input_output must hold an object with inputs and outputs")
        return in_outs(io)


class IOLists(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: list[str] = Field(default_factory=list)
    output: list[str] = Field(default_factory=list)


class CodeContestsRow(BaseModel):
    """DeepMind CodeContests: three test groups, all of them graded, public ones first."""

    model_config = ConfigDict(extra="ignore")

    public_tests: IOLists | None = None
    private_tests: IOLists | None = None
    generated_tests: IOLists | None = None

    def internal(self) -> dict[str, Any]:
        cases: list[dict[str, Any]] = []
        for group in (self.public_tests, self.private_tests, self.generated_tests):
            if group is not None:
                cases += _stdin_cases(group.input, group.output)
        return {"type": "stdin_stdout", "cases": cases}


def decode_lcb_private(blob: str) -> list[Any]:
    """LiveCodeBench's ``private_test_cases``: plain JSON, or base64(zlib(pickle(str))).

    The pickle is read by opcode, never executed: only a pickle of one plain string is
    accepted. Raises ValueError with the reason and how to convert the row otherwise.
    """
    stripped = blob.lstrip()
    if stripped.startswith("["):
        return _json(stripped, "private_test_cases")
    try:
        packed = base64.b64decode(blob.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(packed, MAX_DECOMPRESSED)
        if inflater.unconsumed_tail:
            raise ValueError(f"decompresses to more than {MAX_DECOMPRESSED >> 20} MiB")
    except (binascii.Error, UnicodeEncodeError, zlib.error) as e:
        raise ValueError(f"private_test_cases is neither JSON nor base64+zlib: {e}") from None
    text: str | None = None
    try:
        for op, arg, _ in pickletools.genops(data):
            if op.name not in _STRING_OPS:
                raise ValueError(f"pickle opcode {op.name} is not allowed")
            if isinstance(arg, str) and op.name.endswith("UNICODE"):
                if text is not None:
                    raise ValueError("pickle holds more than one string")
                text = arg
    except ValueError as e:
        raise ValueError(
            f"private_test_cases: only a pickled JSON string is read ({e}); convert the row "
            "offline with json.loads(pickle.loads(zlib.decompress(base64.b64decode(s)))) "
            "from a source you trust and send the list") from None
    if text is None:
        raise ValueError("private_test_cases: the pickle holds no string")
    return _json(text, "private_test_cases")


class LiveCodeBenchRow(BaseModel):
    """LiveCodeBench code_generation(_lite): ``stdin`` tests or ``functional`` calls."""

    model_config = ConfigDict(extra="ignore")

    public_test_cases: str | list[dict[str, Any]] = Field(default_factory=list)
    private_test_cases: str | list[dict[str, Any]] = Field(default_factory=list)
    metadata: str | dict[str, Any] = Field(default_factory=dict)

    def internal(self) -> dict[str, Any]:
        public = _json(self.public_test_cases, "public_test_cases")
        private = self.private_test_cases
        private = decode_lcb_private(private) if isinstance(private, str) else private
        cases = list(public or []) + list(private or [])
        if not all(isinstance(c, dict) for c in cases):
            raise ValueError("LiveCodeBench test cases must be objects")
        kinds = {c.get("testtype", "stdin") for c in cases}
        if kinds == {"stdin"}:
            return {"type": "stdin_stdout",
                    "cases": [{"input": c.get("input", ""), "output": c.get("output", "")}
                              for c in cases]}
        if kinds != {"functional"}:
            raise ValueError(f"mixed or unknown testtype {sorted(map(str, kinds))}")
        fn_name = (_json(self.metadata, "metadata") or {}).get("func_name")
        if not fn_name:
            raise ValueError("functional tests need metadata.func_name")
        # one JSON value per line for each argument; the output is one JSON value
        calls = [{"args": [_json(a, "functional input") for a in c["input"].split("\n") if a],
                  "expected": _json(c["output"], "functional output")} for c in cases]
        return {"type": "call", "fn_name": fn_name, "cases": calls, "prelude": CALL_PRELUDE}


class OpenR1Row(BaseModel):
    """open-r1 ``verification_info`` (verifiable-coding-problems, codeforces derivatives)."""

    model_config = ConfigDict(extra="ignore")

    verification_info: str | dict[str, Any]

    def internal(self) -> dict[str, Any]:
        info = _json(self.verification_info, "verification_info")
        if not isinstance(info, dict) or "test_cases" not in info:
            raise ValueError("verification_info needs test_cases")
        cases = _json(info["test_cases"], "test_cases")
        if isinstance(cases, dict):  # the APPS layout inside a JSON string
            tests = in_outs({**cases, "fn_name": cases.get("fn_name") or info.get("fn_name")})
        elif isinstance(cases, list):
            tests = {"type": "stdin_stdout", "cases": cases}
        else:
            raise ValueError("test_cases must be a list or an inputs/outputs object")
        checker = info.get("checker")
        if checker:
            if tests["type"] != "stdin_stdout":
                raise ValueError("a checker judges stdin/stdout tests only")
            if isinstance(checker, str):  # source text: testlib C++ unless it has no #include
                checker = {"language": "cpp" if "#include" in checker else "python",
                           "source": checker}
            tests["checker"] = checker
        return tests


class MbppRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    test_list: list[str] = Field(..., min_length=1)
    test_setup_code: str = ""

    def internal(self) -> dict[str, Any]:
        return {"type": "assert", "code": self.test_setup_code, "asserts": self.test_list}


class HumanEvalRow(BaseModel):
    model_config = ConfigDict(extra="ignore")

    test: str
    entry_point: str | None = None

    def internal(self) -> dict[str, Any]:
        return {"type": "assert", "code": self.test, "entry_point": self.entry_point}


ROWS: dict[str, type[BaseModel]] = {
    "apps": AppsRow, "taco": AppsRow, "codecontests": CodeContestsRow,
    "livecodebench": LiveCodeBenchRow, "open_r1": OpenR1Row, "mbpp": MbppRow,
    "humaneval": HumanEvalRow,
}
# field name -> format, in the order detection tries them
_MARKERS = (("input_output", "apps"), ("public_test_cases", "livecodebench"),
            ("private_test_cases", "livecodebench"), ("public_tests", "codecontests"),
            ("private_tests", "codecontests"), ("generated_tests", "codecontests"),
            ("verification_info", "open_r1"), ("test_list", "mbpp"), ("test", "humaneval"))


def detect(raw: dict[str, Any]) -> str | None:
    """The format a dataset row's field names announce, or None."""
    return next((fmt for field, fmt in _MARKERS if field in raw), None)


def to_internal(raw: dict[str, Any]) -> dict[str, Any]:
    """A row or test field (``format`` optional) -> the internal ``tests`` dict.

    Raises ValueError (pydantic's ValidationError included) naming what is wrong.
    """
    if "type" in raw and "format" not in raw:
        return raw
    fmt = raw.get("format")
    if fmt is None:
        if "inputs" in raw and "outputs" in raw:  # APPS's object without its JSON wrapper
            return in_outs(raw)
        if "test_cases" in raw:  # verification_info's content on its own
            return OpenR1Row(verification_info=raw).internal()
        fmt = detect(raw)
        if fmt is None:
            raise ValueError("tests need a `type` (stdin_stdout, assert, call), a `format` "
                             f"({', '.join(sorted(ROWS))}) or a known dataset field")
    elif fmt not in ROWS:
        raise ValueError(f"unknown tests.format {fmt!r}; known: {', '.join(sorted(ROWS))}")
    return ROWS[fmt].model_validate(raw).internal()  # type: ignore[attr-defined]

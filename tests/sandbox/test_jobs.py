"""Job models and dataset shapes: no Docker needed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sandbox import CodeJob, Language, Limits, normalize_language, parse_tests
from sandbox.jobs import AssertTests, CallTests, StdinStdoutTests


def test_languages_and_aliases() -> None:
    assert normalize_language("Python3") == Language.python
    assert normalize_language("c++") == Language.cpp
    assert normalize_language("nodejs") == Language.javascript
    assert normalize_language("golang") == Language.go
    assert normalize_language("sh") == Language.bash
    assert normalize_language("cobol") is None
    assert normalize_language(None) is None


def test_dataset_shapes() -> None:
    apps = parse_tests({"inputs": ["1 2\n"], "outputs": ["3\n"]})
    assert isinstance(apps, StdinStdoutTests) and apps.cases[0].output == "3\n"
    call = parse_tests({"inputs": [[1, 2]], "outputs": [[3]], "fn_name": "add"})
    assert isinstance(call, CallTests) and call.unwrap_singleton and call.cases[0].args == [1, 2]
    he = parse_tests({"test": "def check(c):\n    assert c(1) == 1\n", "entry_point": "f"})
    assert isinstance(he, AssertTests) and he.entry_point == "f"
    mbpp = parse_tests({"test_list": ["assert f(1) == 1", "assert f(2) == 2"]})
    assert isinstance(mbpp, AssertTests) and len(mbpp.asserts) == 2
    r1 = parse_tests({"test_cases": [{"input": "1", "output": "1", "type": "stdin_stdout"}]})
    assert isinstance(r1, StdinStdoutTests)
    lines = parse_tests({"type": "stdin_stdout", "cases": [{"input": ["1", "2"], "output": 3}]})
    assert lines.cases[0].input == "1\n2\n" and lines.cases[0].output == "3"


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"type": "nope"},
        {"type": "stdin_stdout", "cases": []},
        {"type": "assert"},
        {"type": "call", "cases": [{"args": [1], "expected": 1}]},
        {"inputs": ["1"], "outputs": []},
        {"type": "stdin_stdout", "cases": [{"input": "1"}]},
    ],
)
def test_invalid_tests(raw: dict) -> None:
    with pytest.raises((ValidationError, ValueError)):
        parse_tests(raw)


def test_python_only_formats() -> None:
    tests = parse_tests({"type": "assert", "code": "assert True"})
    with pytest.raises(ValidationError):
        CodeJob(language="cpp", code="int main(){}", tests=tests)


def test_cache_key_covers_everything() -> None:
    tests = parse_tests({"inputs": ["1"], "outputs": ["1"]})
    job = CodeJob(language="python", code="print(1)", tests=tests)
    key = job.cache_key("img")
    assert key == CodeJob(language="python", code="print(1)", tests=tests).cache_key("img")
    assert key != job.cache_key("img2")
    assert key != job.model_copy(update={"code": "print(2)"}).cache_key("img")
    assert key != job.model_copy(update={"limits": Limits(time_s=1)}).cache_key("img")


def test_limits_wall_default() -> None:
    assert Limits(time_s=2).wall() == 8
    assert Limits(time_s=2, wall_time_s=3).wall() == 3

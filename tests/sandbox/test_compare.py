"""The runner's output comparison, imported straight from its package (no Docker)."""

from __future__ import annotations

import pytest

from sandbox.runner import compare, grade, process

LINES = {"mode": "lines"}


@pytest.mark.parametrize(
    ("got", "expected", "ok"),
    [
        ("3\n", "3", True),
        ("3   \n\n\n", "3\n", True),
        ("1\n2\n", "1\n2", True),
        ("1\r\n2\r\n", "1\n2\n", True),
        ("1\n", "1\n2\n", False),  # printing only the first expected line is not a pass
        ("1\n2\n3\n", "1\n2\n", False),
        (" 1\n", "1\n", False),  # leading whitespace counts
        ("1 2\n", "1  2\n", False),
    ],
)
def test_lines_mode(got: str, expected: str, ok: bool) -> None:
    assert compare.outputs_match(got, expected, LINES) is ok


def test_tokens_and_tolerance() -> None:
    spec = {"mode": "tokens"}
    assert compare.outputs_match("1  2\n3", "1 2 3", spec)
    assert not compare.outputs_match("1.0000001", "1.0", spec)
    assert compare.outputs_match("1.0000001", "1.0", {"mode": "tokens", "abs_tol": 1e-6})
    assert compare.outputs_match("100.5", "100", {"mode": "tokens", "rel_tol": 0.01})
    assert not compare.outputs_match("abc", "1.0", {"mode": "tokens", "abs_tol": 1})
    assert not compare.outputs_match("1 2", "1 2 3", {"mode": "tokens", "abs_tol": 1})


def test_exact() -> None:
    assert compare.outputs_match("a\n", "a\n", {"mode": "exact"})
    assert not compare.outputs_match("a", "a\n", {"mode": "exact"})


def test_values() -> None:
    tol = {"abs_tol": 1e-6, "rel_tol": 1e-6}
    assert compare.values_match([1, [2.0000000001, 3]], [1, [2, 3]], tol)
    assert not compare.values_match([1, 2], [1, 2, 3], tol)
    assert compare.values_match({"a": [1.0]}, {"a": [1]}, tol)
    assert not compare.values_match(True, 1, tol)
    assert not compare.values_match("1", 1, tol)
    assert compare.values_match(3, [3], {**tol, "unwrap_singleton": True})
    assert not compare.values_match(3, [3], tol)
    assert compare.values_match({"__float__": "nan"}, float("nan"), tol)


def test_capped_keeps_head_and_tail() -> None:
    buf = process.Capped(4, 4)
    for chunk in (b"abcd", b"efgh" * 100, b"wxyz"):
        buf.add(chunk)
    text = buf.text()
    assert text.startswith("abcd") and text.endswith("wxyz") and "skipped" in text
    assert buf.total == 408


def test_java_main_class() -> None:
    assert grade.java_main_class("public final class Foo { }") == "Foo"
    code = "class Helper {}\nclass Solution {\n  public static void main(String[] a) {}\n}"
    assert grade.java_main_class(code) == "Solution"
    assert grade.java_main_class("interface X {}") == "Main"

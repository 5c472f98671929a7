"""Dataset rows written the way each dataset writes them, mapped to the internal tests shape
(no Docker), and a few of them graded through /score with the real sandbox."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from pathlib import Path

import pytest

from sandbox import formats, parse_tests
from tests.conftest import Server

APPS_STDIN = {  # APPS/TACO rows keep the tests as a JSON string next to the statement
    "problem_id": 4000, "question": "Print the sum of n numbers.", "difficulty": "introductory",
    "solutions": json.dumps(["input()\nprint(sum(map(int, input().split())))\n"]),
    "input_output": json.dumps({"inputs": ["3\n1 2 3\n", "1\n5\n"], "outputs": ["6\n", "5\n"]}),
}
APPS_CALL = {"input_output": json.dumps(
    {"fn_name": "add", "inputs": [[1, 2], [-1, 1]], "outputs": [[3], [0]]})}
CODECONTESTS = {
    "name": "1548_A. Sum", "description": "...", "source": 2, "difficulty": 7,
    "public_tests": {"input": ["2\n1 2\n"], "output": ["3\n"]},
    "private_tests": {"input": ["1\n7\n"], "output": ["7\n"]},
    "generated_tests": {"input": ["3\n0 0 1\n"], "output": ["1\n"]},
    "solutions": {"language": [3],
                  "solution": ["print(sum(map(int, open(0).read().split()[1:])))"]},
}


def lcb_compress(cases: list[dict]) -> str:
    """How LiveCodeBench packs private tests (the dataset side; the server never unpickles)."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(cases)))).decode()


LCB_STDIN = {
    "question_title": "Sum", "platform": "atcoder", "difficulty": "easy", "starter_code": "",
    "public_test_cases": json.dumps([{"input": "3\n1 2 3\n", "output": "6\n",
                                      "testtype": "stdin"}]),
    "private_test_cases": lcb_compress([{"input": "2\n10 20\n", "output": "30\n",
                                         "testtype": "stdin"}]),
    "metadata": "{}",
}
LCB_FUNCTIONAL = {
    "platform": "leetcode", "starter_code": "class Solution:\n    def twoSum(self, nums, target):",
    "public_test_cases": json.dumps([{"input": "[2,7,11,15]\n9", "output": "[0, 1]",
                                      "testtype": "functional"}]),
    "private_test_cases": lcb_compress([{"input": "[3,2,4]\n6", "output": "[1, 2]",
                                         "testtype": "functional"}]),
    "metadata": json.dumps({"func_name": "twoSum"}),
}
OPEN_R1 = {"problem_id": "cf_1_a", "verification_info": {"language": "python", "test_cases": [
    {"input": "3\n1 2 3\n", "output": "6\n", "type": "stdin_stdout"}]}}
OPEN_R1_STRING = {"verification_info": json.dumps({"language": "python", "test_cases": json.dumps(
    {"inputs": ["1\n5\n"], "outputs": ["5\n"]})})}
MBPP = {  # MBPP task 2, as the dataset stores it
    "task_id": 2, "text": "Write a function to find the similar elements from the given two "
    "tuple lists.", "code": "...", "test_setup_code": "", "challenge_test_list": [],
    "test_list": ["assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)",
                  "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)",
                  "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)"]}
HUMANEVAL = {"task_id": "HumanEval/53", "prompt": "def add(x: int, y: int):\n",
             "entry_point": "add", "canonical_solution": "    return x + y\n",
             "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n"}


def test_apps_stdin_and_fn_name() -> None:
    t = parse_tests(APPS_STDIN)
    assert t.type == "stdin_stdout" and [c.output for c in t.cases] == ["6\n", "5\n"]
    t = parse_tests({**APPS_CALL, "format": "taco"})
    assert t.type == "call" and t.fn_name == "add" and t.unwrap_singleton
    assert "from typing import *" in t.prelude
    assert [(c.args, c.expected) for c in t.cases] == [([1, 2], [3]), ([-1, 1], [0])]


def test_codecontests_all_three_groups() -> None:
    t = parse_tests(CODECONTESTS)
    assert [c.input for c in t.cases] == ["2\n1 2\n", "1\n7\n", "3\n0 0 1\n"]


def test_livecodebench_compressed_private_tests() -> None:
    t = parse_tests(LCB_STDIN)
    assert [c.output for c in t.cases] == ["6\n", "30\n"]
    t = parse_tests(LCB_FUNCTIONAL)
    assert t.type == "call" and t.fn_name == "twoSum"
    assert [(c.args, c.expected) for c in t.cases] == [([[2, 7, 11, 15], 9], [0, 1]),
                                                      ([[3, 2, 4], 6], [1, 2])]


def test_livecodebench_refuses_pickles_that_are_not_a_string(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    # a pickle that would open (create) a file if it were ever unpickled
    evil = f"cbuiltins\nopen\n(S'{marker}'\nS'w'\ntR.".encode()
    blob = base64.b64encode(zlib.compress(evil)).decode()
    with pytest.raises(ValueError, match="only a pickled JSON string.*convert"):
        parse_tests({**LCB_STDIN, "private_test_cases": blob})
    assert not marker.exists()
    two = base64.b64encode(zlib.compress(pickle.dumps(("[]", "[]")))).decode()
    with pytest.raises(ValueError, match="not allowed|more than one"):
        parse_tests({**LCB_STDIN, "private_test_cases": two})
    with pytest.raises(ValueError, match="neither JSON nor base64"):
        parse_tests({**LCB_STDIN, "private_test_cases": "not base64 !"})


def test_livecodebench_decompression_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_DECOMPRESSED", 1 << 10)
    big = lcb_compress([{"input": "x" * 5000, "output": "y", "testtype": "stdin"}])
    with pytest.raises(ValueError, match="more than"):
        parse_tests({**LCB_STDIN, "private_test_cases": big})


def test_open_r1_verification_info_both_layouts() -> None:
    assert parse_tests(OPEN_R1).cases[0].output == "6\n"
    assert parse_tests(OPEN_R1_STRING).cases[0].input == "1\n5\n"


def test_mbpp_and_humaneval() -> None:
    t = parse_tests(MBPP)
    assert t.type == "assert" and len(t.asserts) == 3 and t.code == ""
    t = parse_tests(HUMANEVAL)
    assert t.type == "assert" and t.entry_point == "add" and "check" in t.code


@pytest.mark.parametrize(("raw", "message"), [
    ({"format": "spoj", "x": 1}, "unknown tests.format"),
    ({"question": "no tests here"}, "a known dataset field"),
    ({"format": "apps", "input_output": "{not json"}, "not valid JSON"),
    ({"input_output": json.dumps({"inputs": ["1"], "outputs": []})}, "1 inputs but 0 outputs"),
    ({"format": "mbpp", "test_list": []}, "at least 1"),
    ({"public_test_cases": json.dumps([{"input": "1", "output": "1", "testtype": "stdin"},
                                       {"input": "1", "output": "1", "testtype": "functional"}
                                       ])}, "mixed"),
])
def test_bad_rows_say_why(raw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_tests(raw)


SUM = "```python\ninput()\nprint(sum(map(int, input().split())))\n```"
# LeetCode-style: `List` and `defaultdict` come from the grader's own imports, as on LeetCode
TWO_SUM = ("```python\nclass Solution:\n    def twoSum(self, nums: List[int], target: int):\n"
           "        seen = defaultdict(int)\n        for i, n in enumerate(nums):\n"
           "            if target - n in seen:\n                return [seen[target - n], i]\n"
           "            seen[n] = i\n```")
SIMILAR = "```python\ndef similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n```"


def test_dataset_rows_through_score(score_server: Server) -> None:
    cases = [("apps", SUM, APPS_STDIN, 1.0), ("cc", SUM, CODECONTESTS, 1.0),
             ("lcb", SUM, LCB_STDIN, 1.0), ("lcb-fn", TWO_SUM, LCB_FUNCTIONAL, 1.0),
             ("r1", SUM, OPEN_R1, 1.0), ("mbpp", SIMILAR, MBPP, 1.0),
             ("cc-wrong", SUM.replace("sum(", "max("), CODECONTESTS, 0.0),
             ("mbpp-wrong", SIMILAR.replace("sorted(set(a) & set(b))", "a[:2]"), MBPP, 0.0)]
    items = [{"id": i, "completion": f"<think>ok</think>\n{c}", "tests": t}
             for i, c, t, _ in cases]
    items.append({"id": "evil", "completion": f"<think>ok</think>\n{SUM}", "tests": {
        **LCB_STDIN, "private_test_cases": base64.b64encode(zlib.compress(
            b"cos\nsystem\n(S'true'\ntR.")).decode()}})
    with score_server.client() as http:
        reply = http.post("/score", json={"items": items, "rewards": {"accuracy": 1}})
    assert reply.status_code == 200, reply.text
    results = {r["id"]: r for r in reply.json()["results"]}
    for name, _, _, want in cases:
        assert results[name]["reward"] == want, (name, results[name])
    assert results["cc-wrong"]["components"]["accuracy"]["detail"]["verdict"] == "wrong_answer"
    assert results["lcb"]["components"]["accuracy"]["detail"]["total"] == 2
    assert results["cc"]["components"]["accuracy"]["detail"]["total"] == 3
    evil = results["evil"]
    assert evil["reward"] is None and evil["error"]["type"] == "invalid_reference"
    assert "only a pickled JSON string" in evil["error"]["message"]

"""Special judges through /score with the real sandbox: a Python checker and a C++ checker in
testlib's exit-code protocol (no testlib.h needed), partial points, and broken checkers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Server

# n on stdin; print any two positive integers x y with x + y = n (many right answers)
CASES = [{"input": "5\n", "output": "1 4\n"}, {"input": "10\n", "output": "1 9\n"}]
PY_CHECKER = """import sys
n = int(open(sys.argv[1]).read())
try:
    x, y = map(int, open(sys.argv[2]).read().split())
except ValueError:
    print("expected two integers")
    sys.exit(2)
if x > 0 and y > 0 and x + y == n:
    print("ok")
    sys.exit(0)
print(f"{x} + {y} != {n}")
sys.exit(1)
"""
CPP_CHECKER = r"""#include <cstdio>
int main(int argc, char** argv) {
    long long n, x, y;
    FILE* in = fopen(argv[1], "r");
    FILE* out = fopen(argv[2], "r");
    if (!in || fscanf(in, "%lld", &n) != 1) { fprintf(stderr, "bad input"); return 3; }
    if (!out || fscanf(out, "%lld %lld", &x, &y) != 2) {
        fprintf(stderr, "expected two integers"); return 2;
    }
    if (x > 0 && y > 0 && x + y == n) { fprintf(stderr, "ok"); return 0; }
    fprintf(stderr, "%lld + %lld != %lld", x, y, n);
    return 1;
}
"""
OTHER_VALID = "n = int(input())\nprint(n - 1, 1)"  # valid, but not the stored answer
WRONG = "n = int(input())\nprint(n, 1)"
# leaves a process behind that keeps rewriting every checker's files to force an accept
TAMPER = """import glob, os, time
if os.fork() == 0:
    os.setsid()
    end = time.time() + 5
    while time.time() < end:
        for d in glob.glob('/work/chk-*'):
            for name, text in (('output.txt', '1 9'), ('checker.py', 'import sys; sys.exit(0)'),
                               ('checker', '#!/bin/sh\\nexit 0\\n')):
                try:
                    open(os.path.join(d, name), 'w').write(text)
                except OSError:
                    pass
    os._exit(0)
print(int(input()), 1)
"""

# fills the work dir so that nothing is left for the checker's files, then answers right
FILL = """import os
for i in range(40):
    try:
        with open(f'/work/fill{i}', 'wb') as f:
            f.write(b'x' * (15 << 20))
    except OSError:
        break
n = int(input())
print(n - 1, 1)
"""


def completion(program: str) -> str:
    return f"<think>any split works</think>\n```python\n{program}\n```"


def spec(checker: dict[str, Any] | None) -> dict[str, Any]:
    t: dict[str, Any] = {"type": "stdin_stdout", "cases": CASES}
    return {**t, "checker": checker} if checker else t


def score(server: Server, items: list[dict[str, Any]], **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"items": items, "rewards": {"accuracy": 1}}
    if params:
        body["options"] = {"params": {"accuracy": params}}
    with server.client() as http:
        reply = http.post("/score", json=body)
    assert reply.status_code == 200, reply.text
    return {r["id"]: r for r in reply.json()["results"]}


def test_other_valid_output_passes_only_under_a_checker(score_server: Server) -> None:
    py = {"language": "python", "source": PY_CHECKER}
    cpp = {"language": "cpp", "source": CPP_CHECKER}
    items = [{"id": f"{prog}-{name}", "completion": completion(code), "tests": spec(chk)}
             for prog, code in (("valid", OTHER_VALID), ("wrong", WRONG), ("tamper", TAMPER))
             for name, chk in (("exact", None), ("py", py), ("cpp", cpp))]
    items.append({"id": "fill-py", "completion": completion(FILL), "tests": spec(py)})
    # open-r1's verification_info carries the checker as source text next to its test cases
    for name, source in (("py", PY_CHECKER), ("cpp", CPP_CHECKER)):
        items.append({"id": f"r1-{name}", "completion": completion(OTHER_VALID), "tests": {
            "verification_info": {"language": "python", "test_cases": CASES,
                                  "checker": source}}})
    results = score(score_server, items)
    rewards = {k: r["reward"] for k, r in results.items()}
    assert rewards == {"valid-exact": 0.0, "valid-py": 1.0, "valid-cpp": 1.0,
                       "wrong-exact": 0.0, "wrong-py": 0.0, "wrong-cpp": 0.0,
                       "tamper-exact": 0.0, "tamper-py": 0.0, "tamper-cpp": 0.0,
                       "fill-py": 0.0,  # a full disk is the program's doing: 0, not null
                       "r1-py": 1.0, "r1-cpp": 1.0}
    fill = results["fill-py"]["components"]["accuracy"]["detail"]
    assert fill["verdict"] == "runtime_error" and "no room" in fill["first_failure"]["got"], fill
    detail = results["wrong-cpp"]["components"]["accuracy"]["detail"]
    assert detail["verdict"] == "wrong_answer"
    assert detail["first_failure"]["checker"] == "5 + 1 != 5"
    assert results["wrong-py"]["components"]["accuracy"]["detail"]["first_failure"][
        "checker"] == "5 + 1 != 5"


PARTIAL = """import sys
got = open(sys.argv[2]).read().split()
if got == open(sys.argv[3]).read().split():
    sys.exit(0)
if got and got[0] == 'half':
    print('points 0.5 half way there')
    sys.exit(7)
sys.exit(1)
"""


def test_partial_points_and_broken_checkers(score_server: Server) -> None:
    half = completion("input()\nprint('half')")
    valid = completion(OTHER_VALID)
    items = [
        {"id": "partial-all", "completion": half,
         "tests": spec({"language": "python", "source": PARTIAL})},
        {"id": "fails", "completion": valid,  # testlib's "fail": the checker's own trouble
         "tests": spec({"language": "python", "source": "import sys\nsys.exit(3)"})},
        {"id": "slow", "completion": valid,
         "tests": spec({"language": "python", "source": "while True:\n    pass",
                         "time_s": 0.5})},
        {"id": "no-compile", "completion": valid,
         "tests": spec({"language": "cpp", "source": "int main( {"})},
        {"id": "testlib-missing", "completion": valid,
         "tests": spec({"language": "cpp", "source": '#include "testlib.h"\nint main(){}'})},
    ]
    results = score(score_server, items)
    detail = results["partial-all"]["components"]["accuracy"]["detail"]
    assert results["partial-all"]["reward"] == 0.0 and detail["verdict"] == "partial"
    assert "half way" in detail["first_failure"]["checker"]
    for name in ("fails", "slow"):
        d = results[name]["components"]["accuracy"]["detail"]
        assert results[name]["reward"] == 0.0 and d["verdict"] == "checker_error", d
    assert "exit code 3" in results["fails"]["components"]["accuracy"]["detail"][
        "first_failure"]["checker"]
    for name in ("no-compile", "testlib-missing"):
        assert results[name]["reward"] is None
        assert results[name]["error"]["type"] == "invalid_reference"
        assert "checker did not compile" in results[name]["error"]["message"]
    fraction = score(score_server, items[:1], scoring="fraction")
    assert fraction["partial-all"]["reward"] == 0.5


@pytest.mark.parametrize("files", [{"../x.h": "x"}, {"checker.py": "x"}, {"": "x"}])
def test_checker_file_names_are_plain(score_server: Server, files: dict[str, str]) -> None:
    item = {"id": "x", "completion": completion(OTHER_VALID),
            "tests": spec({"language": "cpp", "source": CPP_CHECKER, "files": files})}
    result = score(score_server, [item])["x"]
    assert result["reward"] is None and result["error"]["type"] == "invalid_reference"

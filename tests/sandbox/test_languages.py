"""Every language: a correct program, a wrong answer, a runtime error, a compile error and a
timeout, each with its verdict. All 40 jobs run concurrently through the warm pool."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from sandbox import CodeJob, CodeResult, Limits, SandboxPool, parse_tests

pytestmark = pytest.mark.asyncio(loop_scope="session")

TESTS = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"},
                                            {"input": "40 2\n", "output": "42\n"}]}

C_MAIN = "#include <stdio.h>\nint main(void){{int a,b;scanf(\"%d %d\",&a,&b);{body}return 0;}}\n"
CPP_MAIN = ("#include <iostream>\nint main(){{int a,b;std::cin>>a>>b;{body}return 0;}}\n")
JAVA_MAIN = ("import java.util.*;\npublic class Main {{ public static void main(String[] x) {{"
             " Scanner s = new Scanner(System.in); int a = s.nextInt(), b = s.nextInt(); {body}"
             " }} }}\n")
GO_MAIN = ("package main\nimport \"fmt\"\n"
           "func main() {{ var a, b int; fmt.Scan(&a, &b); {body} }}\n")
RUST_MAIN = ("use std::io::Read;\nfn main() {{ let mut s = String::new();"
             " std::io::stdin().read_to_string(&mut s).unwrap();"
             " let v: Vec<i64> = s.split_whitespace().map(|t| t.parse().unwrap()).collect();"
             " let (a, b) = (v[0], v[1]); {body} }}\n")
JS_MAIN = ("const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/).map(Number);"
           "\n{body}\n")
PY_MAIN = "a, b = map(int, input().split())\n{body}\n"
BASH_MAIN = "read a b\n{body}\n"

PROGRAMS: dict[str, dict[str, str]] = {
    "python": {
        "pass": PY_MAIN.format(body="print(a + b)"),
        "wrong_answer": PY_MAIN.format(body="print(a - b)"),
        "runtime_error": PY_MAIN.format(body="print(a // 0)"),
        "compile_error": "def f(:\n    pass\n",
        "timeout": "while True:\n    pass\n",
    },
    "c": {
        "pass": C_MAIN.format(body="printf(\"%d\\n\", a + b);"),
        "wrong_answer": C_MAIN.format(body="printf(\"%d\\n\", a - b);"),
        "runtime_error": C_MAIN.format(body="int *p = 0; *p = a; printf(\"%d\\n\", *p);"),
        "compile_error": "int main(void) { return undefined_name; }\n",
        "timeout": C_MAIN.format(body="volatile long n = 0; for (;;) n++;"),
    },
    "cpp": {
        "pass": CPP_MAIN.format(body="std::cout << a + b << std::endl;"),
        "wrong_answer": CPP_MAIN.format(body="std::cout << a * b << std::endl;"),
        "runtime_error": CPP_MAIN.format(body="throw std::runtime_error(\"boom\");"),
        "compile_error": "int main() { std::vector<int> v; return 0 }\n",
        "timeout": CPP_MAIN.format(body="volatile long n = 0; for (;;) n++;"),
    },
    "java": {
        "pass": JAVA_MAIN.format(body="System.out.println(a + b);"),
        "wrong_answer": JAVA_MAIN.format(body="System.out.println(a - b);"),
        "runtime_error": JAVA_MAIN.format(body="throw new RuntimeException(\"boom\");"),
        "compile_error": "public class Main { public static void main(String[] a) { int x = } }\n",
        "timeout": JAVA_MAIN.format(body="long n = 0; while (true) { n++; }"),
    },
    "javascript": {
        "pass": JS_MAIN.format(body="console.log(a + b);"),
        "wrong_answer": JS_MAIN.format(body="console.log(a - b);"),
        "runtime_error": JS_MAIN.format(body="throw new Error('boom');"),
        "compile_error": "function (a, b { return a + b; }\n",
        "timeout": "while (true) {}\n",
    },
    "go": {
        "pass": GO_MAIN.format(body="fmt.Println(a + b)"),
        "wrong_answer": GO_MAIN.format(body="fmt.Println(a - b)"),
        "runtime_error": GO_MAIN.format(body="var s []int; fmt.Println(s[a+b])"),
        "compile_error": GO_MAIN.format(body="unused := 1"),
        "timeout": GO_MAIN.format(body="for { a++ }"),
    },
    "rust": {
        "pass": RUST_MAIN.format(body="println!(\"{}\", a + b);"),
        "wrong_answer": RUST_MAIN.format(body="println!(\"{}\", a - b);"),
        "runtime_error": RUST_MAIN.format(
            body="let z = v.len() - 2; println!(\"{}\", a / z as i64);"),
        "compile_error": "fn main() { let x: i32 = \"text\"; }\n",
        "timeout": RUST_MAIN.format(body="let mut n = a; loop { n = n.wrapping_add(b); "
                                          "if n == 7 { println!(\"{}\", n); } }"),
    },
    "bash": {
        "pass": BASH_MAIN.format(body="echo $((a + b))"),
        "wrong_answer": BASH_MAIN.format(body="echo $((a - b))"),
        "runtime_error": BASH_MAIN.format(body="echo $((a + b)); exit 3"),
        "compile_error": "if then fi (\n",
        "timeout": "while :; do :; done\n",
    },
}
CASES = [(lang, verdict) for lang, progs in PROGRAMS.items() for verdict in progs]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def results(pool: SandboxPool) -> dict[tuple[str, str], CodeResult]:
    tests = parse_tests(TESTS)

    async def one(lang: str, verdict: str) -> CodeResult:
        limits = Limits(time_s=1.0 if verdict == "timeout" else 5.0, wall_time_s=8.0)
        job = CodeJob(language=lang, code=PROGRAMS[lang][verdict], tests=tests, limits=limits)
        return await pool.run(job)

    done = await asyncio.gather(*(one(lang, v) for lang, v in CASES))
    return dict(zip(CASES, done, strict=True))


@pytest.mark.parametrize(("lang", "verdict"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
async def test_verdict(results: dict[tuple[str, str], CodeResult], lang: str, verdict: str) -> None:
    result = results[(lang, verdict)]
    assert result.verdict.value == verdict, result.model_dump()
    assert result.language == lang
    assert result.total == 2
    if verdict == "pass":
        assert result.passed == 2 and result.first_failure is None
    else:
        assert result.passed == 0
    if verdict == "compile_error":
        assert result.compile_output.strip(), "the compiler's message is reported"
    if verdict == "wrong_answer":
        assert result.first_failure is not None
        assert result.first_failure.input == "1 2\n" and result.first_failure.expected == "3\n"
        assert result.first_failure.got.strip() in ("-1", "2")

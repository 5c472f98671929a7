"""Hostile programs through ``POST /score`` on a real server with the Docker sandbox.

Adds to ``tests/sandbox/test_hostile.py`` (which drives the pool directly) the attacks it does
not cover, end to end: each must get a proper non-pass verdict with reward 0 (never a pass,
never a 500), the sandbox must be clean for the next job (a probe program counts leftover
processes and files), and when the server stops nothing of it may survive.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import docker
import httpx
import pytest

from tests.conftest import Server
from tests.reliability.helpers import assert_clean, code_server, stop_and_check
from tests.sandbox.test_hostile import PROBE

pytestmark = pytest.mark.docker

SECRET = "host-secret-" + secrets.token_hex(6)
TOKEN = "EXPECTED-" + secrets.token_hex(8)  # the expected output nobody may read
ANSWER = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"}]}
HIDDEN = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": TOKEN + "\n"}]}
HIDDEN_CALL = {"type": "call", "fn_name": "solve", "cases": [{"args": [1, 2], "expected": TOKEN}]}
ASSERTS = {"type": "assert", "asserts": ["assert add(1, 2) == 3", "assert add(2, 2) == 5"]}
PROBE_TESTS = {"type": "stdin_stdout", "cases": [{"input": "", "output": "0 0 0 0\n"}]}

IMMUNE_CHILDREN = """
import os, signal
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
print(3)
"""
IMMUNE_CHILDREN_WAITED = """
import os, signal
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
            signal.signal(s, signal.SIG_IGN)
        while True:
            pass
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
print(3)
"""
RAISE_RLIMITS = """
import resource, sys
raised = []
for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_STACK",
             "RLIMIT_NOFILE"):
    res = getattr(resource, name)
    soft, hard = resource.getrlimit(res)
    try:
        resource.setrlimit(res, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        continue
    if hard != resource.RLIM_INFINITY:
        raised.append(name)
sys.stderr.write("raised: %s\\n" % (",".join(raised) or "none"))
sys.stderr.flush()
blob = bytearray(1 << 30)
print(3)
"""
BASH_ULIMIT = """
ulimit -t unlimited 2>/dev/null && echo "raised cpu" >&2
ulimit -v unlimited 2>/dev/null && echo "raised as" >&2
ulimit -u unlimited 2>/dev/null && echo "raised nproc" >&2
while :; do :; done
"""
HUGE_STDERR = """
import sys
print(3)
block = 'e' * (1 << 20)
for _ in range(1024):
    sys.stderr.write(block)
"""
BINARY_STDOUT = """
import sys
sys.stdout.buffer.write(bytes(range(256)) * 4096 + b"\\xff\\xfe\\xc3(\\x00\\n3\\x00\\n")
"""
SYMLINK_ESCAPE = """
import os
os.symlink('/', 'root')
os.symlink('/proc/1/root', 'runner_root')
os.symlink('/proc/1/fd/1', 'runner_stdout')
os.symlink('/proc/1/mem', 'runner_mem')
wrote = []
for path in ('root/etc/passwd', 'root/opt/runner/grade.py', 'runner_root/opt/runner/grade.py',
             'runner_stdout', 'runner_mem'):
    try:
        with open(path, 'ab') as f:
            f.write(b'{"verdict": "pass", "passed": 1, "total": 1}\\n')
        wrote.append(path)
    except OSError:
        pass
print(wrote or 'blocked')
"""
SYMLINK_CLEANUP_TRAPS = """
import os
os.symlink('loop_a', 'loop_b')
os.symlink('loop_b', 'loop_a')
os.symlink('/opt/runner', '/tmp/runner_link')
os.symlink('/', '/dev/shm/root_link')
path = 'deep'
for _ in range(40):
    os.makedirs(path)
    os.symlink('/opt', path + '/up')
    path += '/d'
for sub in ('deep/d/d', 'deep/d', 'deep'):
    os.chmod(sub, 0)
cwd = os.getcwd()
os.rename(cwd, cwd + '-moved')
os.symlink('/opt/runner', cwd)
print('done')
"""
NUL_IN_SOURCE = "print(3)\x00\n"
READ_EXPECTED = r"""
import os, re
pat = re.compile(rb"EXP" + rb"ECTED-[0-9a-f]{16}")
found = []
def look(path, limit=1 << 20):
    try:
        with open(path, 'rb') as f:
            m = pat.search(f.read(limit))
        if m:
            found.append(m.group().decode())
    except (OSError, ValueError):
        pass
for pid in [p for p in os.listdir('/proc') if p.isdigit()]:
    for name in ('cmdline', 'environ', 'mem', 'maps', 'stat'):
        look(f'/proc/{pid}/{name}')
    if pid == str(os.getpid()):  # our own pipes would block
        continue
    try:
        for fd in os.listdir(f'/proc/{pid}/fd'):
            look(f'/proc/{pid}/fd/{fd}', 1 << 16)
    except OSError:
        pass
for top in ('/work', '/tmp', '/dev/shm', '/run', '/opt', '/root', '/home'):
    for dirpath, _, files in os.walk(top):
        for name in files:
            look(os.path.join(dirpath, name))
m = pat.search(repr(dict(os.environ)).encode())
print(found[0] if found else (m.group().decode() if m else 'not found'))
"""
READ_EXPECTED_CALL = """
import gc, re, sys
def solve(a, b):
    pat = re.compile("EXP" + "ECTED-[0-9a-f]{16}")
    for obj in gc.get_objects():
        for value in (obj.values() if isinstance(obj, dict) else obj
                      if isinstance(obj, (list, tuple)) else ()):
            if isinstance(value, str) and pat.fullmatch(value):
                return value
    frame = sys._getframe()
    while frame is not None:
        m = pat.search(repr(frame.f_locals))
        if m:
            return m.group()
        frame = frame.f_back
    return 'not found'
"""
FORGE_HARNESS = """
import os, sys
frame = sys._getframe(1)
nonce, payload = frame.f_locals['nonce'], frame.f_locals['p']
for i in range(len(payload['asserts'])):
    os.write(3, (repr((nonce, {'k': 'pass', 'i': i})) + '\\n').encode())
os.write(3, (repr((nonce, {'k': 'done'})) + '\\n').encode())
os._exit(0)
"""
ALWAYS_EQUAL = """
class Anything:
    def __eq__(self, other):
        return True
    __hash__ = None
def add(a, b):
    return Anything()
"""
C_STACK_OVERFLOW = r"""
#include <stdio.h>
int main(void) {
    char buf[16];
    volatile unsigned long n = 1UL << 26;
    for (unsigned long i = 0; i < n; i++) ((volatile char *)buf)[i] = 'A';
    puts(buf);
    return 0;
}
"""
C_HEAP_OVERFLOW = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    volatile char *p = malloc(16);
    for (unsigned long i = 0; ; i++) p[i] = (char)i;
    return 0;
}
"""
C_DOUBLE_FREE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
    char *p = malloc(16);
    strcpy(p, "3");
    puts(p);
    fflush(stdout);
    memset(p - 16, 0x41, 64);
    free(p);
    free(p);
    return 0;
}
"""

# name, language, program, tests, acceptable verdicts
ATTACKS: list[tuple[str, str, str, dict[str, Any], set[str]]] = [
    ("sigterm_immune_children", "python", IMMUNE_CHILDREN, ANSWER, {"runtime_error"}),
    ("sigterm_immune_children_waited", "python", IMMUNE_CHILDREN_WAITED, ANSWER, {"timeout"}),
    ("raise_rlimits", "python", RAISE_RLIMITS, ANSWER, {"memory_limit"}),
    ("bash_ulimit_unlimited", "bash", BASH_ULIMIT, ANSWER, {"timeout"}),
    ("huge_stderr", "python", HUGE_STDERR, ANSWER, {"runtime_error"}),
    ("binary_stdout", "python", BINARY_STDOUT, ANSWER, {"wrong_answer"}),
    ("nul_in_source", "python", NUL_IN_SOURCE, ANSWER, {"compile_error"}),
    ("symlink_escape", "python", SYMLINK_ESCAPE, ANSWER, {"wrong_answer"}),
    ("symlink_cleanup_traps", "python", SYMLINK_CLEANUP_TRAPS, ANSWER, {"wrong_answer"}),
    ("read_expected_output", "python", READ_EXPECTED, HIDDEN, {"wrong_answer"}),
    ("read_expected_value", "python", READ_EXPECTED_CALL, HIDDEN_CALL, {"wrong_answer"}),
    ("c_stack_overflow", "c", C_STACK_OVERFLOW, ANSWER, {"runtime_error"}),
    ("c_heap_overflow", "c", C_HEAP_OVERFLOW, ANSWER, {"runtime_error"}),
    ("c_heap_corruption", "c", C_DOUBLE_FREE, ANSWER, {"runtime_error"}),
]
# Attacks on the assert harness itself: forging its reports from the caller's frame, and an
# object equal to anything. The tests run in a process the program cannot reach, and only
# plain values cross from the program, so both fail.
HARNESS_ATTACKS = [
    ("forge_harness_reports", FORGE_HARNESS),
    ("always_equal_object", ALWAYS_EQUAL),
]


@pytest.fixture(scope="module")
def hostile_server(sandbox_image: str, docker_client: docker.DockerClient) -> Iterator[Server]:
    """One sandbox, so the probe after an attack inspects the container the attack ran in."""
    server = code_server(sandbox_image, pool_size=1, VR_TEST_HOST_SECRET=SECRET)
    try:
        yield server
    finally:
        stop_and_check(server, docker_client)


def grade(server: Server, language: str, code: str, tests: dict[str, Any]) -> dict[str, Any]:
    item = {"id": "x", "completion": f"<think>\nok\n</think>\n```{language}\n{code}\n```",
            "tests": tests, "language": language}
    with httpx.Client(base_url=server.url, timeout=120) as http:
        response = http.post("/score", json={"items": [item]})
    assert_clean(response, quotes_programs=True)
    assert response.status_code == 200, response.text[:500]
    assert SECRET not in response.text and len(response.content) < 200_000
    json.loads(response.content)  # binary program output still makes valid JSON
    return response.json()["results"][0]


def probe_clean(server: Server) -> None:
    result = grade(server, "python", PROBE, PROBE_TESTS)
    detail = result["components"]["accuracy"]["detail"]
    assert result["reward"] == 1.0, f"leftovers after the attack: {detail}"


@pytest.mark.parametrize(
    ("name", "language", "code", "tests", "verdicts"), ATTACKS, ids=[a[0] for a in ATTACKS]
)
def test_attack_gets_a_non_pass_verdict_and_leaves_nothing(
    hostile_server: Server, name: str, language: str, code: str, tests: dict[str, Any],
    verdicts: set[str],
) -> None:
    result = grade(hostile_server, language, code, tests)
    accuracy = result["components"]["accuracy"]
    detail = accuracy["detail"]
    assert detail["verdict"] in verdicts, detail
    assert result["reward"] == 0.0 and result["error"] is None, result
    got = (detail.get("first_failure") or {}).get("got") or ""
    assert TOKEN not in got
    if name == "raise_rlimits":
        assert "raised: none" in got, got
    if name == "bash_ulimit_unlimited":
        assert "raised" not in got, got
    if name == "huge_stderr":
        assert "output limit" in got and len(got) < 20_000
    if name in ("symlink_escape",):
        assert got.strip() == "blocked", got
    if name.startswith("read_expected"):
        assert "not found" in got, got
    probe_clean(hostile_server)


@pytest.mark.parametrize(("name", "code"), HARNESS_ATTACKS, ids=[h[0] for h in HARNESS_ATTACKS])
def test_assert_harness_cannot_be_fooled(hostile_server: Server, name: str, code: str) -> None:
    result = grade(hostile_server, "python", code, ASSERTS)
    probe_clean(hostile_server)
    assert result["reward"] == 0.0, result["components"]["accuracy"]["detail"]

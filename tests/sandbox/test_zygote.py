"""The warm zygote (sandbox/runner/zygote.py) changes nothing a program can observe.

Fidelity: every program of ``zygote_cases.CASES`` gives the same stdout, stderr, exit status
and verdict forked from the zygote as started as a plain ``python3 -s main.py`` (the runner's
``--zygote=off``), in process mode (no Docker) and in the sandbox image (container mode).
Isolation: nothing one test does (modules, builtins, environment, cwd, signals, open files,
the warm modules' state) reaches the next test of its job or the next program; a test that
kills or stops the zygote changes no verdict.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from sandbox import CodeJob, Limits, SandboxSettings, parse_tests
from sandbox.docker_backend import FrameReader, container_kwargs
from sandbox.jobs import RunSpec
from tests.sandbox.zygote_cases import CASES, ProcessRunner, job, observed


def _all_cases(ask: Any, zygote: bool) -> dict[str, dict[str, Any]]:
    out = {}
    for name, case in CASES.items():
        result = ask(job(*case))
        # each program really ran the way it was meant to (no silent plain start)
        assert result["timings"]["warm_forks"] == int(zygote), (name, result)
        out[name] = observed(result)
    return out


def test_fidelity_process_mode(tmp_path: Path) -> None:
    results = {}
    for zygote in (True, False):
        runner = ProcessRunner(tmp_path, zygote)  # the same root: the same paths
        try:
            results[zygote] = _all_cases(runner.ask, zygote)
        finally:
            runner.close()
    for name in CASES:
        assert results[True][name] == results[False][name], name
    # the cases say something: a sample of what both agreed on
    assert results[True]["main_guard"]["run"]["stdout"] == "main ran\n"
    assert results[True]["exit_3"]["run"]["return_code"] == 3
    assert results[True]["keyboard_interrupt"]["run"]["return_code"] == -2
    assert results[True]["uncaught"]["verdict"] == "runtime_error"
    assert "ValueError: boom 1" in results[True]["uncaught"]["run"]["stderr"]
    assert results[True]["shutdown_order"]["run"]["stdout"] == "main\nthread\natexit\ndel\n"
    assert results[True]["shadowed_module"]["run"]["stdout"] == "work dir heapq True\n"


class ContainerRunner:
    """The sandbox image's runner as pid 1 of a hardened container, as the pool starts it."""

    def __init__(self, client: docker.DockerClient, image: str, *flags: str) -> None:
        settings = SandboxSettings(image=image)
        self.container = client.containers.create(
            command=["--serve", *flags],
            **container_kwargs(settings, {"verifiable-rewards.test": "zygote"}))
        sockio = client.api.attach_socket(
            self.container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        self.sockio = sockio
        self.sock = getattr(sockio, "_sock", sockio)
        self.container.start()
        self.reader = FrameReader(self.sock)

    def ask(self, message: dict[str, Any]) -> dict[str, Any]:
        self.sock.sendall(json.dumps(message).encode() + b"\n")
        return json.loads(self.reader.read_line(time.monotonic() + 120))

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            self.container.remove(force=True)


@pytest.fixture
def container(docker_client: docker.DockerClient, sandbox_image: str) -> Iterator[ContainerRunner]:
    runner = ContainerRunner(docker_client, sandbox_image)
    try:
        yield runner
    finally:
        runner.close()


@pytest.mark.docker
def test_fidelity_container_mode(docker_client: docker.DockerClient, sandbox_image: str,
                                 container: ContainerRunner) -> None:
    plain = ContainerRunner(docker_client, sandbox_image, "--zygote=off")
    try:
        expected = _all_cases(plain.ask, False)
    finally:
        plain.close()
    got = _all_cases(container.ask, True)
    for name in CASES:
        assert got[name] == expected[name], name


LEAK_PROBE = """
import builtins, collections, os, signal, sys, tempfile
seen = []
# where a program may leave files for later: the temp dir, and /dev/shm in a container
dirs = [tempfile.gettempdir()] + (['/dev/shm'] if os.getppid() == 1 else [])
if 'planted' in sys.modules: seen.append('module')
if hasattr(builtins, 'planted'): seen.append('builtins')
if hasattr(collections.Counter, 'planted'): seen.append('warm module state')
if os.environ.get('PLANTED') or os.getenv('PLANTED'): seen.append('environment')
if os.getcwd() != os.path.dirname(os.path.abspath(__file__)): seen.append('cwd')
if signal.getsignal(signal.SIGINT) is not signal.default_int_handler: seen.append('signals')
if sorted(os.listdir('/proc/self/fd')) != ['0', '1', '2', '3']: seen.append('fds')
if sys.getrecursionlimit() != 1000: seen.append('recursion limit')
if os.umask(0o022) != 0o022: seen.append('umask')
if {CHECK_FILES} and any(os.path.exists(os.path.join(d, 'planted.txt')) for d in dirs):
    seen.append('files')
print(' '.join(seen) or 'clean')
print(input())
sys.modules['planted'] = sys
builtins.planted = 1
collections.Counter.planted = 1
os.environ['PLANTED'] = '1'
os.putenv('PLANTED', '1')
signal.signal(signal.SIGINT, signal.SIG_IGN)
sys.setrecursionlimit(50)
os.umask(0o077)
kept = open(__file__)
for d in dirs if {PLANT_FILES} else []:
    open(os.path.join(d, 'planted.txt'), 'w').write('x')
os.chdir('/')
"""
# Files persist between the tests of one job (as they always have: one work dir per job), so
# the first program plants files and the next one looks for them.
PLANTS_FILES = LEAK_PROBE.replace("{CHECK_FILES}", "False").replace("{PLANT_FILES}", "True")
FINDS_FILES = LEAK_PROBE.replace("{CHECK_FILES}", "True").replace("{PLANT_FILES}", "False")


def _leak_job(program: str, tests: int = 3) -> dict[str, Any]:
    spec = parse_tests({"type": "stdin_stdout",
                        "cases": [{"input": f"{i}\n", "output": f"clean\n{i}\n"}
                                  for i in range(tests)]})
    return CodeJob(language="python", code=program, tests=spec,
                   limits=Limits(time_s=3, wall_time_s=10)).for_runner()


def _assert_isolated(ask: Any) -> None:
    for program in (PLANTS_FILES, FINDS_FILES, PLANTS_FILES, FINDS_FILES):
        result = ask(_leak_job(program))
        assert result["verdict"] == "pass", result["first_failure"]
        assert result["passed"] == 3 and result["anomaly"] is None


def test_nothing_leaks_process_mode(tmp_path: Path) -> None:
    runner = ProcessRunner(tmp_path, zygote=True)
    try:
        _assert_isolated(runner.ask)
    finally:
        runner.close()


@pytest.mark.docker
def test_nothing_leaks_container_mode(container: ContainerRunner) -> None:
    _assert_isolated(container.ask)


RIGHT = "import os, signal\n{attack}\na, b = map(int, input().split())\nprint(a + b)\n"
# Every process but pid 1 (the runner) and itself: the zygote and the job process among them.
OTHERS = ("others = [int(p) for p in os.listdir('/proc') if p.isdigit()"
          " and int(p) not in (1, os.getpid())]\n")


@pytest.mark.docker
@pytest.mark.parametrize("attack", [
    OTHERS + "for p in others:\n    os.kill(p, signal.SIGKILL)",
    OTHERS + "for p in others:\n    os.kill(p, signal.SIGSTOP)",
    OTHERS + "for p in others:\n    os.kill(p, signal.SIGTERM)",
], ids=["kill", "stop", "term"])
def test_harming_the_zygote_changes_no_verdict(container: ContainerRunner, attack: str) -> None:
    tests = parse_tests({"type": "stdin_stdout",
                         "cases": [{"input": f"{i} 2\n", "output": f"{i + 2}\n"}
                                   for i in range(4)]})
    for code, verdict in ((RIGHT.format(attack=attack), "pass"),
                          (RIGHT.format(attack="").replace("a + b", "a - b"), "wrong_answer"),
                          (RIGHT.format(attack=""), "pass")):
        message = CodeJob(language="python", code=code, tests=tests,
                          limits=Limits(time_s=3, wall_time_s=10)).for_runner()
        result = container.ask(message)
        assert result["verdict"] == verdict, result
        assert result["passed"] == (4 if verdict == "pass" else 0)


PROBE = ("import os\nprint(os.getpriority(os.PRIO_PROCESS, 0), sorted(os.sched_getaffinity(0)),"
         " open('/proc/self/limits').read())\n")
CHANGE_OTHERS = "import os\n" + OTHERS + (
    "import resource\nfor p in others:\n"
    "    os.setpriority(os.PRIO_PROCESS, p, 19)\n"
    "    os.sched_setaffinity(p, {min(os.sched_getaffinity(0))})\n"
    "    resource.prlimit(p, resource.RLIMIT_STACK, (1 << 20, 1 << 20))\n"
    "print(3)\n")


@pytest.mark.docker
def test_a_zygote_a_program_changed_is_replaced(container: ContainerRunner) -> None:
    """Programs run as the zygote's uid and may lower its priority, pin it to one CPU or
    lower its rlimits (prlimit): the next job must still run as a plain start would."""
    three = parse_tests({"type": "stdin_stdout", "cases": [{"input": "", "output": "3\n"}]})
    run = RunSpec()

    def ask(code: str, tests: Any) -> dict[str, Any]:
        return container.ask(CodeJob(language="python", code=code, tests=tests,
                                     limits=Limits(time_s=3, wall_time_s=10)).for_runner())

    before = ask(PROBE, run)
    assert before["verdict"] == "pass", before
    attacked = ask(CHANGE_OTHERS, three)
    assert attacked["verdict"] == "pass", attacked
    after = ask(PROBE, run)
    assert after["verdict"] == "pass", after
    assert after["run"]["stdout"] == before["run"]["stdout"]
    assert after["timings"]["warm_forks"] == 1  # from a fresh zygote


@pytest.mark.docker
def test_a_stopped_zygote_does_not_stall_the_next_job(container: ContainerRunner) -> None:
    """A harness job that stops the zygote: the next job gets a fresh one at once (it used
    to wait 5 s for the stopped one, then start plain)."""
    stop = OTHERS + ("for p in others:\n    if p != os.getppid():  # the tests' process\n"
                     "        os.kill(p, signal.SIGSTOP)\n")
    for code in (f"import os, signal\n{stop}\ndef f(x):\n    return x + 1\n",
                 "def f(x):\n    return x + 1\n"):
        result = container.ask(CodeJob(
            language="python", code=code, tests=parse_tests({"test_list": ["assert f(1) == 2"]}),
            limits=Limits(time_s=3, wall_time_s=10)).for_runner())
        assert result["verdict"] == "pass", result
    assert result["timings"]["warm_forks"] == 1, result


@pytest.mark.docker
def test_a_runner_a_program_changed_asks_to_be_recycled(container: ContainerRunner) -> None:
    code = "import os\nos.setpriority(os.PRIO_PROCESS, 1, 5)\nprint(3)\n"
    result = container.ask(CodeJob(
        language="python", code=code,
        tests=parse_tests({"type": "stdin_stdout", "cases": [{"input": "", "output": "3\n"}]}),
        limits=Limits(time_s=3, wall_time_s=10)).for_runner())
    assert result["verdict"] == "pass", result
    assert "runner's rlimits, priority or CPU set" in (result["anomaly"] or ""), result

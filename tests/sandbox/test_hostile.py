"""Hostile programs get a proper non-pass verdict within their limits, and leave nothing:
no process, no file, no container, no broken sandbox. Uses its own small pool so that a
probe job after each attack inspects the very container the attack ran in (unless the pool
recycled it, which is the other acceptable outcome)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import docker
import pytest
import pytest_asyncio

from sandbox import CodeJob, CodeResult, Limits, SandboxPool, parse_tests

from .conftest import pool_containers, test_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

SECRET = "host-secret-" + "7f3a9c"
ANSWER = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"}]}
# The runner's warm zygote (and its job process) are the only other processes allowed: they
# are not dumpable, so their /proc/<pid>/cwd cannot be read; anything the attack left can.
PROBE = """import os
me = str(os.getpid())
def zygote(p):
    try:
        os.readlink(f'/proc/{p}/cwd')
    except PermissionError:
        return True
    except OSError:
        pass
    return False
others = [p for p in os.listdir('/proc') if p.isdigit() and p not in (me, '1')]
procs = [p for p in others if not zygote(p)]
procs += ['extra'] * max(0, len(others) - len(procs) - 2)  # at most the zygote and its job
work = [n for n in os.listdir('/work') if n != os.path.basename(os.getcwd())]
print(len(procs), len(work), len(os.listdir('/tmp')), len(os.listdir('/dev/shm')))
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def small_pool(sandbox_image: str) -> AsyncIterator[SandboxPool]:
    os.environ["VR_TEST_HOST_SECRET"] = SECRET  # must never reach a program
    settings = test_settings(sandbox_image, pool_size=1, cache_size=0,
                             limits=Limits(time_s=2, wall_time_s=5, memory_mb=256))
    p = SandboxPool(settings)
    await p.start()
    try:
        yield p
    finally:
        await p.close()
        os.environ.pop("VR_TEST_HOST_SECRET", None)


async def attack(pool: SandboxPool, code: str, language: str = "python") -> CodeResult:
    job = CodeJob(language=language, code=code, tests=parse_tests(ANSWER),
                  limits=pool.settings.limits)
    result = await pool.run(job)
    probe = await pool.run(CodeJob(language="python", code=PROBE, tests=parse_tests(
        {"type": "stdin_stdout", "cases": [{"input": "", "output": "0 0 0 0\n"}]})))
    assert probe.verdict.value == "pass", f"leftovers after the attack: {probe.first_failure}"
    assert pool.ready
    return result


FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
MEMORY_BOMB = """
chunks = []
while True:
    chunks.append(bytearray(1 << 20))
"""
C_MEMORY_BOMB = """
#include <stdlib.h>
#include <string.h>
int main(void) {
    for (;;) { char *p = malloc(1 << 20); if (!p) return 1; memset(p, 1, 1 << 20); }
}
"""
BIG_OUTPUT = """
import sys
block = 'x' * (1 << 20)
for _ in range(1024):
    sys.stdout.write(block)
"""
NETWORK = """
import socket
for host in ('1.1.1.1', '10.0.0.1', '172.17.0.1'):
    socket.create_connection((host, 53), timeout=2).close()
print(3)
"""
WRITE_OUTSIDE = """
wrote = []
for path in ('/etc/passwd', '/opt/runner/grade.py', '/usr/bin/x', '/x', '/proc/1/oom_score_adj',
             '/sys/fs/cgroup/memory/memory.limit_in_bytes'):
    try:
        open(path, 'a').write('1')
        wrote.append(path)
    except OSError:
        pass
print(wrote or 'blocked')
"""
FILL_TMPFS = """
for d in ('/work', '/tmp', '/dev/shm'):
    i = 0
    while True:
        try:
            with open(f'{d}/fill{i}', 'wb') as f:
                f.write(b'x' * (8 << 20))
        except OSError:
            break
        i += 1
raise SystemExit('disk full')
"""
SECRETS = """
import glob, os
seen = ' '.join(f'{k}={v}' for k, v in os.environ.items())
for p in ['/proc/1/environ', '/etc/shadow', '/var/run/docker.sock', '/root/.bashrc'] + glob.glob(
        '/proc/*/environ'):
    try:
        seen += open(p, 'rb').read().decode('latin1')
    except OSError:
        pass
print(seen)
"""
KILL_PARENT = """
import os, signal
for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT):
    for pid in (os.getppid(), 1, -1):
        try:
            os.kill(pid, sig)
        except OSError:
            pass
print('still here')
"""
TAMPER_RUNNER = """
import ctypes, os
opened = []
for p in ('/proc/1/mem', '/proc/1/environ', '/proc/1/fd/0', '/proc/1/fd/1'):
    try:
        os.close(os.open(p, os.O_RDWR if 'fd' in p else os.O_RDONLY))
        opened.append(p)
    except OSError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(16, 1, None, None) == 0:  # PTRACE_ATTACH
    opened.append('ptrace')
print(opened or 'denied')
"""
DAEMON = """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for i in range(600):
            open(f'/tmp/daemon{i}', 'w').close()
            time.sleep(0.01)
    os._exit(0)
print(3)
"""
LOCKED_FILES = """
import os
os.makedirs('/work/a/b/c')
open('/work/a/b/c/f', 'w').close()
os.symlink('/opt/runner', '/work/a/link')
os.mkfifo('/tmp/fifo')
for d in ('/work/a/b/c', '/work/a/b', '/work/a'):
    os.chmod(d, 0)
print(3)
"""
BASH_FORK_BOMB = "f() { f | f & }; f\nsleep 100\n"


@pytest.mark.parametrize(
    ("name", "code", "language", "verdicts"),
    [
        ("fork_bomb", FORK_BOMB, "python", {"runtime_error", "timeout"}),
        ("bash_fork_bomb", BASH_FORK_BOMB, "bash", {"runtime_error", "timeout"}),
        ("memory_bomb", MEMORY_BOMB, "python", {"memory_limit"}),
        ("c_memory_bomb", C_MEMORY_BOMB, "c", {"memory_limit"}),
        ("infinite_loop", "while True:\n    pass\n", "python", {"timeout"}),
        ("sleep_forever", "import time\ntime.sleep(1000)\n", "python", {"timeout"}),
        ("gigabyte_stdout", BIG_OUTPUT, "python", {"runtime_error"}),
        ("network", NETWORK, "python", {"runtime_error"}),
        ("write_outside_work", WRITE_OUTSIDE, "python", {"wrong_answer"}),
        ("fill_tmpfs", FILL_TMPFS, "python", {"runtime_error"}),
        ("read_secrets", SECRETS, "python", {"wrong_answer"}),
        ("kill_parent", KILL_PARENT, "python", {"wrong_answer"}),
        ("tamper_with_runner", TAMPER_RUNNER, "python", {"wrong_answer"}),
        ("daemon_child", DAEMON, "python", {"runtime_error"}),
        ("locked_files", LOCKED_FILES, "python", {"pass"}),  # still wiped before the probe
    ],
)
async def test_hostile(small_pool: SandboxPool, name: str, code: str, language: str,
                       verdicts: set[str]) -> None:
    result = await attack(small_pool, code, language)
    assert result.verdict.value in verdicts, result.model_dump()
    got = (result.first_failure.got if result.first_failure else "") or ""
    assert SECRET not in got
    if name == "write_outside_work":
        assert got.strip() == "blocked"
    if name == "tamper_with_runner":
        assert got.strip() == "denied"
    if name == "gigabyte_stdout":
        assert "output limit" in got and len(got) < 10_000
    if name == "daemon_child":
        assert "left processes" in got


def _warm(host_pid: str) -> bool:
    try:
        return os.readlink(f"/proc/{host_pid}/cwd").endswith("/opt/runner/warm")
    except OSError:
        return False


async def test_runner_survives_and_nothing_leaks(small_pool: SandboxPool,
                                                 docker_client: docker.DockerClient) -> None:
    stats = small_pool.stats()
    assert stats.get("recycle:broken", 0) == 0 and stats.get("recycle:anomaly", 0) == 0, stats
    assert stats.get("retries", 0) == 0, stats
    assert len(pool_containers(docker_client, small_pool.pool_id)) == small_pool.stats()["workers"]
    # only this pool's containers: other servers may share the engine and be busy
    for container in pool_containers(docker_client, small_pool.pool_id):
        processes = container.top().get("Processes") or []
        # the runner and its warm zygote (whose cwd is the runner's warm/), nothing a program left
        others = [p for p in processes if not _warm(p[1])]  # columns: UID PID PPID ...
        assert len(processes) <= 2 and len(others) == 1, processes

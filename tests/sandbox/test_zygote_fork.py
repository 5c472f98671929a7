"""The zygote's fork: each test process is born the runner's own child (clone's CLONE_PARENT),
and the double fork used where clone is refused gives the same parentage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import docker
import pytest

FORK = Path(__file__).resolve().parents[2] / "sandbox" / "runner" / "fork.py"

# The "runner" is a child subreaper (as in process mode; in a container it is pid 1), forks
# a "zygote" that loads fork.py and forks a test process the zygote's way; the runner must
# then be able to wait for that process itself: only a parent can.
RUNNER = r"""
import ctypes, importlib.util, os, sys
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
r, w = os.pipe()
hold_r, hold_w = os.pipe()  # the zygote lives on until the runner has waited for the child
zygote = os.fork()
if zygote == 0:
    os.close(r)
    os.close(hold_w)
    spec = importlib.util.spec_from_file_location("zygote_under_test", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if sys.argv[2] == "fallback":
        module._CLONE = None
    pid = module.fork_runner_child()
    if pid == 0:
        import threading, time
        t = threading.Thread(target=time.sleep, args=(0.01,))
        t.start(); t.join()  # the interpreter's fork bookkeeping ran: threads work
        try:  # glibc's record of our tid is ours (else: EINVAL, another process's thread)
            time.clock_gettime(time.pthread_getcpuclockid(threading.get_ident()))
        except OSError:
            os._exit(9)
        import ctypes  # the kernel knows our robust-futex list, as after glibc's fork
        head, size = ctypes.c_void_p(), ctypes.c_size_t()
        get = {"x86_64": 274, "aarch64": 100}[os.uname().machine]
        ctypes.CDLL(None).syscall(get, 0, ctypes.byref(head), ctypes.byref(size))
        if not head.value:
            os._exit(10)
        os._exit(7 if os.getppid() == int(sys.argv[3]) else 8)
    os.write(w, str(pid).encode())
    os.read(hold_r, 1)
    os._exit(0)
os.close(w)
os.close(hold_r)
child = int(os.read(r, 32))
try:
    _, status = os.waitpid(child, 0)
    print(os.waitstatus_to_exitcode(status))
except ChildProcessError:
    print("not the runner's child")
os.close(hold_w)
os.waitpid(zygote, 0)
"""


@pytest.mark.parametrize("way", ["clone", "fallback"])
def test_test_process_is_the_runners_child(way: str) -> None:
    script = "import os, sys; sys.argv[3:] = [str(os.getpid())]\n" + RUNNER
    out = subprocess.run([sys.executable, "-c", script, str(FORK), way],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "7"


@pytest.mark.docker
def test_the_images_zygote_forks_by_clone(docker_client: docker.DockerClient,
                                         sandbox_image: str) -> None:
    """The fast path is the one the image takes: clone is allowed and glibc's tid slot found
    (a fallback would pass every verdict test, only slower)."""
    check = ("import importlib.util as u\n"
             "s = u.spec_from_file_location('f', '/opt/runner/fork.py')\n"
             "m = u.module_from_spec(s)\ns.loader.exec_module(m)\n"
             "print(m._CLONE is not None)\n")
    out = docker_client.containers.run(sandbox_image, entrypoint=["python3", "-c", check],
                                       remove=True, network_mode="none", user="1234:1234")
    assert out.strip() == b"True"

"""Run README.md's shell commands as a new user would, in a fresh virtual environment.

    python scripts/readme_walk.py [--keep]

Copies the checkout (tracked and untracked, not ignored, files) to a temporary folder,
makes a virtual environment there, and runs every command of README's ``bash`` blocks from
top to bottom, in that folder, with that environment first on PATH. A command either runs,
runs with a documented rewrite (servers go to free ports, so this works next to a server
already on 8000), or is skipped for a stated reason (Docker Compose deployments, the test
suite itself: CI runs those). A command this script has no rule for is an error, so a new
README line cannot go untested by accident. Curl examples must answer 200 with the rewards the
README shows. Exit status 0 when every command worked.

First-hour checks besides the commands: a bare ``pip install -e .`` (the reward client) pulls
neither the server's nor the trainer's dependencies, and its ``reward-server`` says which
extra is missing instead of a traceback.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEP_TIMEOUT_S = 900


@dataclass
class Command:
    section: str
    text: str  # as written in README (continuation lines joined by newlines)

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text, comments=True)


def readme_commands(readme: str) -> list[Command]:
    """Every command of every ```bash block, with the heading it sits under."""
    commands: list[Command] = []
    section, block, pending = "", None, ""
    for line in readme.splitlines():
        if block is None:
            if line.startswith("#"):
                section = line.lstrip("#").strip()
            elif line.strip() == "```bash":
                block = []
            continue
        if line.strip() == "```":
            if pending.strip():
                raise ValueError(f"unfinished command in README ({section}): {pending!r}")
            block, pending = None, ""
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.rstrip().endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if pending.strip():
            commands.append(Command(section, pending))
        pending = ""
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 240) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer 200 within {timeout_s:.0f} s")


@dataclass
class Walk:
    work: Path
    venv: Path
    docker: bool
    servers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    port: int | None = None  # the server started last; curl and grpo-train talk to it
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.work / "walk.log"

    # -- running ------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.venv)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["PIP_NO_COMPILE"] = "1"  # no .pyc for torch's thousands of files: minutes saved
        env["PYTHONUNBUFFERED"] = "1"
        return {**env, **extra}

    def sh(self, text: str, env: dict[str, str] | None = None) -> str:
        started = time.monotonic()
        with self.log.open("a") as log:
            log.write(f"\n$ {text}\n")
            log.flush()
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", text], cwd=self.work, env=env or self.env(),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                timeout=STEP_TIMEOUT_S,
            )  # fmt: skip
            log.write(done.stdout)
        if done.returncode != 0:
            tail = "\n".join(done.stdout.splitlines()[-30:])
            raise RuntimeError(f"exit {done.returncode}: {text}\n{tail}")
        print(f"      ok in {time.monotonic() - started:.0f} s", flush=True)
        return done.stdout

    def serve(self, text: str, **env: str) -> None:
        """A server command, started in the background on a free port until the walk ends."""
        self.port = free_port()
        text = re.sub(r"--port \d+", f"--port {self.port}", text.rstrip().rstrip("&"))
        env = {"VR_PORT": str(self.port), "VR_GRACEFUL_SHUTDOWN_S": "2", **env}
        if not self.docker:
            env["VR_SANDBOX_ENABLED"] = "false"
        log = (self.work / f"server-{self.port}.log").open("wb")
        process = subprocess.Popen(
            ["bash", "-c", f"exec {text}"], cwd=self.work, env=self.env(**env),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        self.servers.append(process)
        wait_ready(f"http://127.0.0.1:{self.port}/readyz", process)
        print(f"      serving on :{self.port}", flush=True)

    def stop_servers(self) -> None:
        for process in self.servers:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.servers:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)

    # -- rules --------------------------------------------------------------------------

    def curl(self, command: Command) -> None:
        if self.port is None:
            raise RuntimeError("a curl example before any server was started")
        text = command.text.replace("localhost:8000", f"localhost:{self.port}")
        answer = json.loads(self.sh(text))
        results = answer["results"]
        assert all(r["error"] is None for r in results), results
        rewards = [r["reward"] for r in results]
        if "tests" in command.text:
            assert rewards == [1.2], f"code example: rewards {rewards}, README says 1.2"
        else:
            assert rewards == [2.0, 1.0], f"math example: rewards {rewards}, README shows 2, 1"

    def train(self, command: Command) -> None:
        """The recipe against the section's server, cut to a few steps: whether it learns is
        tests/trainer/test_train_e2e.py's job, whether the command runs is this one's."""
        steps = 6
        out = self.sh(f"{command.text.split('#')[0].strip()} --max_steps {steps} "
                      f"--reward_url http://127.0.0.1:{self.port}")  # fmt: skip
        metrics = (self.work / "runs/cpu-tiny/metrics.jsonl").read_text().splitlines()
        assert len(metrics) == steps, f"{len(metrics)} steps in metrics.jsonl, wanted {steps}"
        lines = re.findall(rf"^step \d+/{steps} ", out, re.M)
        assert len(lines) == steps, f"{len(lines)} progress lines without a terminal, not {steps}"
        last = json.loads(metrics[-1])
        print(f"      {steps} steps, one progress line each, last reward {last.get('reward')}")

    def demo(self, command: Command) -> None:
        """The CPU learning demo, whole, against the section's server: it must end with its
        before/after table (whether it learns enough is for README's figures from a run)."""
        out = self.sh(f"{command.text.split('#')[0].strip()} http://127.0.0.1:{self.port}")
        gain = [line for line in out.splitlines() if line.startswith("gain ")]
        assert "held-out pass@1" in out and gain and "] done" in out, out[-2000:]
        print("      " + gain[0])

    def rule(self, command: Command) -> tuple[str, Callable[[], object] | None]:
        """(what happens, the action or None for a skip) for one README command."""
        words, text = command.words, command.text
        line = " ".join(words)
        if line.startswith("pip install torch --index-url"):
            return "run (CPU torch)", lambda: self.sh(text)
        if line == "pip install -e .[test]":
            return "skip: CI installs the test extra itself (.ci/run)", None
        if line.startswith("pip install -e "):
            return "run", lambda: self.sh(text)
        if line == "python -m pytest -q":
            return "skip: the test suite is CI's own step", None
        if words[:2] == ["reward-server", "serve"]:
            return "background, free port", lambda: self.serve(text)
        if words[:1] == ["curl"]:
            if "tests" in text and not self.docker:
                return "skip: code grading needs Docker", None
            return "run, check rewards", lambda: self.curl(command)
        if words[:2] == ["grpo-train", "--config"]:
            return "run (6 steps) against the last server", lambda: self.train(command)
        if words[:1] == ["grpo-train"]:
            return "run", lambda: self.sh(text)
        if words[:2] in (["reward-server", "score"], ["reward-server", "audit"]):
            return "skip: example file names; tests/offline runs both on real files", None
        if words[:1] == ["examples/r1_addition/run_demo.sh"]:
            return "run the whole demo (minutes) against the last server", lambda: self.demo(
                command)
        if words[:1] == ["--remote_rm_url"]:
            return "skip: an OpenRLHF flag, not a command", None
        if words[:1] == ["make"] or words[:2] == ["docker", "compose"] or (
            words[:1] == ["export"]
        ):
            return "skip: Docker deployment (tests/deploy covers up, stop and config)", None
        raise RuntimeError(f"no rule for this README command ({command.section}): {text}")

    # -- first-hour checks ----------------------------------------------------------------

    def client_only(self) -> None:
        """A bare install is the client: no fastapi/docker/math-verify, a helpful script."""
        client = self.work / ".venv-client"
        subprocess.run([sys.executable, "-m", "venv", str(client)], check=True)
        env = self.env(PATH=f"{client / 'bin'}{os.pathsep}{os.environ['PATH']}",
                       VIRTUAL_ENV=str(client))  # fmt: skip
        self.sh("pip install -q -e .", env)
        self.sh(
            "python -c 'import importlib.util as u, trainer_client; "
            "from trainer_client import RewardClient; "
            'heavy = [m for m in ("fastapi", "docker", "math_verify", "torch", "uvicorn") '
            "if u.find_spec(m)]; assert not heavy, heavy'",
            env,
        )
        done = subprocess.run(["reward-server", "--help"], cwd=self.work, env=env,
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 1 and "pip install '.[server]'" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        print("      client install: httpx, tenacity, pyyaml only; reward-server names the extra")


def copy_checkout(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
        capture_output=True, check=True,
    ).stdout.decode().split("\0")  # fmt: skip
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def docker_usable() -> bool:
    image = os.environ.get("VR_SANDBOX__IMAGE", "verifiable-rewards-sandbox:latest")
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "image", "inspect", image], capture_output=True)
    return probe.returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--list", action="store_true", help="print the plan, run nothing")
    args = parser.parse_args()

    commands = readme_commands((ROOT / "README.md").read_text())
    work = Path(tempfile.mkdtemp(prefix="vr-readme-"))
    walk = Walk(work, work / ".venv", docker_usable())
    failures: list[str] = []
    started = time.monotonic()
    try:
        plans = [(c, *walk.rule(c)) for c in commands]
        for command, what, _ in plans:
            print(f"[{command.section}] {command.text.splitlines()[0][:90]}\n      -> {what}")
        if args.list:
            return 0
        copy_checkout(work)
        subprocess.run([sys.executable, "-m", "venv", str(walk.venv)], check=True)
        print(f"walking README in {work} (Docker sandbox: {walk.docker})", flush=True)
        try:
            walk.client_only()
        except (AssertionError, RuntimeError) as exc:
            failures.append(f"client-only install: {exc}")
        for command, _, action in plans:
            if action is None:
                continue
            print(f"[{command.section}] {command.text.splitlines()[0][:90]}", flush=True)
            try:
                action()
            except (AssertionError, RuntimeError, ValueError, KeyError,
                    subprocess.TimeoutExpired) as exc:
                failures.append(f"[{command.section}] {command.text.splitlines()[0]}: {exc}")
                print(f"      FAILED: {exc}", flush=True)
    finally:
        walk.stop_servers()
        if not args.keep and not failures:
            shutil.rmtree(work, ignore_errors=True)
    took = time.monotonic() - started
    if failures:
        print(f"\n{len(failures)} README command(s) broke ({took:.0f} s; log: {walk.log}):")
        print("\n".join(f"- {f}" for f in failures))
        return 1
    print(f"\nevery README command worked ({len(commands)} commands, {took:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

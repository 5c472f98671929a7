"""`docker compose up` end to end: build both images, serve, grade math and code, shut down.

Runs the repository's docker-compose.yml as a user would (own project name, a free published
port), against the host's Docker engine through the mounted socket. Skips without Docker or
Compose unless REQUIRE_DOCKER=1 (CI), where that is a failure. Image builds are cached
after the first run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
SANDBOX_LABEL = "verifiable-rewards.sandbox"
SANDBOX_HOST_LABEL = "verifiable-rewards.host"
BASE_IMAGE = "debian:bookworm-slim"
API_KEY = "e2e-" + uuid.uuid4().hex
BUILD_TIMEOUT_S = 1800
READY_TIMEOUT_S = 300


def _missing(reason: str) -> None:
    if os.environ.get("REQUIRE_DOCKER"):
        pytest.fail(f"{reason} (REQUIRE_DOCKER is set)")
    pytest.skip(reason)


def _compose_command() -> list[str]:
    if not shutil.which("docker"):
        _missing("docker CLI not found")
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60).returncode != 0:
        _missing("Docker engine not reachable")
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    _missing("Docker Compose v2 not found (scripts/install_compose.sh)")
    raise AssertionError("unreachable")


def _socket_gid() -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    path = host.removeprefix("unix://") if host.startswith("unix://") else "/var/run/docker.sock"
    return str(os.stat(path).st_gid)


def _build_ca_certs() -> str:
    """CAs added to this host (e.g. a TLS-intercepting proxy's) for pip inside the build."""
    if "VR_BUILD_CA_CERTS" in os.environ:
        return os.environ["VR_BUILD_CA_CERTS"]
    local = Path("/usr/local/share/ca-certificates")
    return "".join(p.read_text() for p in sorted(local.glob("**/*.crt"))) if local.is_dir() else ""


def _docker(*args: str) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


class Deployment:
    def __init__(self) -> None:
        self.compose = _compose_command()
        self.project = f"vre2e{uuid.uuid4().hex[:10]}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "VR_PUBLISHED_PORT": str(self.port),
            "DOCKER_GID": _socket_gid(),
            "VR_BUILD_CA_CERTS": _build_ca_certs(),
            "VR_API_KEYS": API_KEY,
            "VR_SANDBOX__POOL_SIZE": "2",
            # Own tags: other servers on this engine keep using (and labelling) theirs, and
            # `down --rmi all` removes only these.
            "VR_SERVER_IMAGE": f"verifiable-rewards-server:{self.project}",
            "VR_SANDBOX__IMAGE": f"verifiable-rewards-sandbox:{self.project}",
            "COMPOSE_BAKE": "false",
        }
        self.timings: dict[str, float] = {}

    def run(self, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.compose, "-p", self.project, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def logs(self) -> str:
        return self.run("logs", "--no-color", "--tail", "80", timeout=60).stdout

    def up(self) -> None:
        if (
            subprocess.run(
                ["docker", "image", "inspect", BASE_IMAGE], capture_output=True
            ).returncode
            != 0
        ):
            subprocess.run(
                [str(ROOT / "scripts" / "bootstrap_base_image.sh")], check=True, timeout=900
            )
        started = time.monotonic()
        done = self.run("up", "-d", "--build", timeout=BUILD_TIMEOUT_S)
        self.timings["up --build"] = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-4000:]
        started = time.monotonic()
        deadline = started + READY_TIMEOUT_S
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"/readyz not green after {READY_TIMEOUT_S} s:\n{self.logs()}")
            time.sleep(1)
        self.timings["ready"] = time.monotonic() - started

    def containers(self) -> list[str]:
        """The project's own containers, as compose sees them."""
        return self.run("ps", "-aq", timeout=60).stdout.split()

    def down(self) -> subprocess.CompletedProcess[str]:
        started = time.monotonic()
        done = self.run(
            "down", "-v", "--remove-orphans", "--rmi", "all", "--timeout", "90", timeout=300
        )
        self.timings.setdefault("down", time.monotonic() - started)
        return done


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    deployed = Deployment()
    try:
        deployed.up()
        yield deployed
    finally:
        deployed.down()
        print(f"\ncompose e2e timings (s): {json.dumps(deployed.timings)}")


def _score(url: str, items: list[dict[str, object]], key: str | None = API_KEY) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{url}/score", json={"items": items}, headers=headers, timeout=120)


CODE_ITEM = {
    "completion": "```python\nprint(int(input()) * 2)\n```",
    "tests": {"type": "stdin_stdout", "cases": [{"input": "3", "output": "6"}]},
    "language": "python",
}


def test_compose_up_grades_math_and_code_then_leaves_nothing(deployment: Deployment) -> None:
    url = deployment.url
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200

    # Settings reach the container from the environment: API keys are on.
    item = {"completion": "<think>\n2+2\n</think>\n\\boxed{4}", "answer": "4"}
    assert _score(url, [item], key=None).status_code == 401
    assert _score(url, [item], key="wrong").status_code == 401

    math = _score(url, [item, {**item, "answer": "5"}])
    assert math.status_code == 200, math.text
    assert [r["reward"] for r in math.json()["results"]] == [1.0, 0.0]

    wrong_code = {**CODE_ITEM, "completion": "```python\nprint(int(input()) + 2)\n```"}
    code = _score(url, [CODE_ITEM, wrong_code])
    assert code.status_code == 200, code.text
    results = code.json()["results"]
    assert [r["reward"] for r in results] == [1.0, 0.0], json.dumps(results)[:2000]

    # The server started its sandboxes on the host engine, labelled with its hostname.
    server = deployment.run("ps", "-q", "server", timeout=60).stdout.split()
    assert len(server) == 1
    hostname = _docker("inspect", "-f", "{{.Config.Hostname}}", server[0]).strip()
    ours = [
        "--filter",
        f"label={SANDBOX_LABEL}",
        "--filter",
        f"label={SANDBOX_HOST_LABEL}={hostname}",
    ]
    assert _docker("ps", "-q", *ours).split(), "no sandbox container of this server runs"

    done = deployment.down()
    assert done.returncode == 0, done.stderr
    assert deployment.containers() == []
    left = _docker("ps", "-a", "--format", "{{.ID}} {{.Status}}", *ours)
    assert not left.strip(), f"sandbox containers were left behind:\n{left}"
    images = _docker("images", "-q", f"verifiable-rewards-sandbox:{deployment.project}")
    assert images.split() == []
    networks = _docker(
        "network", "ls", "-q", "--filter", f"label=com.docker.compose.project={deployment.project}"
    )
    assert networks.split() == []

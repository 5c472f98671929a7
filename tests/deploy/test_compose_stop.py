"""The documented stop command removes what the documented start commands created.

README and docs/deployment.md stop a deployment with ``docker compose --profile '*' down``,
whatever profile started it (``replicas``: a load balancer and more replicas; ``dind``).
The containers are only created (``create --no-build``) from the local base image, so
nothing is built or started; ``down`` treats created and running containers alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "debian:bookworm-slim"  # made offline by `make base-image`
STOP = ["--profile", "*", "down"]


def _compose() -> list[str]:
    ok = shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True
    ).returncode == 0
    inspect = ["docker", "image", "inspect", IMAGE]
    if not ok or subprocess.run(inspect, capture_output=True).returncode != 0:
        if os.environ.get("REQUIRE_DOCKER"):
            pytest.fail(f"docker compose or the {IMAGE} image is missing (REQUIRE_DOCKER is set)")
        pytest.skip(f"docker compose or the {IMAGE} image is missing")
    return ["docker", "compose"]


def _left(project: str) -> list[str]:
    label = f"label=com.docker.compose.project={project}"
    names = []
    for kind in ("container", "network"):
        done = subprocess.run(
            ["docker", kind, "ls", "-a" if kind == "container" else "-q", "--filter", label,
             "--format", "{{.Name}}" if kind == "network" else "{{.Names}}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        names += done.stdout.split()
    return names


@pytest.mark.parametrize("profile", ["replicas", "dind"])
def test_stop_command_removes_every_profile(profile: str) -> None:
    compose = _compose()
    project = f"vrstop{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "VR_SERVER_IMAGE": IMAGE,
        "VR_LB_IMAGE": IMAGE,
        "VR_DIND_IMAGE": IMAGE,
        "VR_SANDBOX__IMAGE": IMAGE,
        "VR_PUBLISHED_PORT": "0",
        "VR_LB_PUBLISHED_PORT": "0",
        "VR_DIND_PUBLISHED_PORT": "0",
    }
    run = [*compose, "-p", project]
    try:
        subprocess.run(
            [*run, "--profile", profile, "create", "--no-build"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        created = _left(project)
        assert len(created) >= 3, created
        subprocess.run([*run, *STOP], cwd=ROOT, env=env, capture_output=True, check=True)
        assert _left(project) == []
    finally:
        subprocess.run([*run, *STOP, "-v"], cwd=ROOT, env=env, capture_output=True, timeout=120)

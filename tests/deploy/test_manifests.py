"""Deployment files are valid where they will be used, and agree with the server's settings.

Kubernetes manifests: every document under deploy/k8s is checked against the Kubernetes
OpenAPI schemas shipped offline by ``kubernetes-validate`` (strict: unknown fields fail),
for the oldest supported release (native sidecars: 1.29) and the newest one it knows.
Compose: ``docker compose config`` resolves the file with every profile, and
``docker stack config`` proves that the base file still deploys to Swarm.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from reward_server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))
OLDEST_K8S = "1.29.0"


def _required() -> bool:
    """CI (and REQUIRE_DOCKER=1) turns a missing tool into a failure instead of a skip."""
    return bool(os.environ.get("REQUIRE_DOCKER") or os.environ.get("CI"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _all_resources() -> list[dict[str, Any]]:
    return [doc for path in MANIFESTS for doc in _documents(path)]


def _setting_env_names() -> set[str]:
    """Every env var the server reads: ``VR_`` + field name, nested models included."""
    config = Settings.model_config
    prefix = config.get("env_prefix", "")
    delimiter = config.get("env_nested_delimiter") or None
    names: set[str] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        for name, field in model.model_fields.items():
            env = f"{path}{name}".upper()
            names.add(env)
            kind = field.annotation
            if delimiter and isinstance(kind, type) and issubclass(kind, BaseModel):
                walk(kind, f"{path}{name}{delimiter}")

    walk(Settings, prefix)
    names.add("VR_CONFIG")
    return names


# -- Kubernetes ---------------------------------------------------------------------------


def test_every_manifest_has_documents() -> None:
    assert MANIFESTS, "no manifests under deploy/k8s"
    for path in MANIFESTS:
        assert _documents(path), f"{path.name} is empty"


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
@pytest.mark.parametrize("version", [OLDEST_K8S, "latest"])
def test_manifest_matches_kubernetes_schema(path: Path, version: str) -> None:
    try:
        import kubernetes_validate
    except ImportError:
        if _required():
            pytest.fail("kubernetes-validate is not installed (scripts/install_compose.sh)")
        pytest.skip("kubernetes-validate is not installed")
    if version == "latest":
        version = kubernetes_validate.latest_version()
    for doc in _documents(path):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            where = ".".join(str(p) for p in e.path)
            pytest.fail(f"{path.name} {doc['kind']}/{doc['metadata']['name']}: {where}: {e}")


def _deployments() -> list[dict[str, Any]]:
    return [d for d in _all_resources() if d["kind"] == "Deployment"]


def _server(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "server")


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_deployments_probe_limit_and_lock_down_the_server() -> None:
    deployments = _deployments()
    assert {d["metadata"]["labels"]["verifiable-rewards/sandbox-backend"] for d in deployments} == {
        "docker-in-docker",
        "process",
    }
    for d in deployments:
        server = _server(d)
        assert server["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert server["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert server["resources"]["requests"]["cpu"]
        assert server["resources"]["limits"]["memory"]
        pod = d["spec"]["template"]["spec"]
        security = {**pod.get("securityContext", {}), **server["securityContext"]}
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0
        assert security["allowPrivilegeEscalation"] is False
        assert security["readOnlyRootFilesystem"] is True
        assert security["capabilities"]["drop"] == ["ALL"]
        assert pod["automountServiceAccountToken"] is False
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert d["spec"]["selector"]["matchLabels"].items() <= labels.items()
        # The server gets its grace period plus the preStop pause.
        grace = float(_configmap()["VR_GRACEFUL_SHUTDOWN_S"])
        assert pod["terminationGracePeriodSeconds"] > grace + 5


def test_dind_sidecar_is_the_only_privileged_container() -> None:
    d = next(
        d
        for d in _deployments()
        if d["metadata"]["labels"]["verifiable-rewards/sandbox-backend"] == "docker-in-docker"
    )
    pod = d["spec"]["template"]["spec"]
    sidecar = next(c for c in pod["initContainers"] if c["name"] == "dind")
    assert sidecar["restartPolicy"] == "Always" and sidecar["securityContext"]["privileged"]
    assert "startupProbe" in sidecar
    server = _server(d)
    assert _env(server)["DOCKER_HOST"] == "unix:///run/dind/docker.sock"
    assert not server["securityContext"].get("privileged")
    assert _env(sidecar)["SANDBOX_IMAGE"] == _env(server)["VR_SANDBOX__IMAGE"]


def test_process_backend_pod_has_no_egress() -> None:
    d = next(
        d
        for d in _deployments()
        if d["metadata"]["labels"]["verifiable-rewards/sandbox-backend"] == "process"
    )
    assert _env(_server(d))["VR_SANDBOX__BACKEND"] == "process"
    assert "initContainers" not in d["spec"]["template"]["spec"]
    policy = next(r for r in _all_resources() if r["kind"] == "NetworkPolicy")
    assert policy["spec"]["egress"] == [] and "Egress" in policy["spec"]["policyTypes"]
    selected = policy["spec"]["podSelector"]["matchLabels"].items()
    assert selected <= d["spec"]["template"]["metadata"]["labels"].items()


def _configmap() -> dict[str, str]:
    return next(r for r in _all_resources() if r["kind"] == "ConfigMap")["data"]


def test_service_hpa_and_settings_point_at_what_exists() -> None:
    resources = _all_resources()
    names = {(r["kind"], r["metadata"]["name"]) for r in resources}
    service = next(r for r in resources if r["kind"] == "Service")
    for d in _deployments():
        labels = d["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        server = _server(d)
        assert server["ports"][0]["name"] == service["spec"]["ports"][0]["targetPort"]
        for source in server["envFrom"]:
            ref = source.get("configMapRef") or source.get("secretRef")
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            assert (kind, ref["name"]) in names
    hpa = next(r for r in resources if r["kind"] == "HorizontalPodAutoscaler")
    assert ("Deployment", hpa["spec"]["scaleTargetRef"]["name"]) in names
    known = _setting_env_names()
    secret = next(r for r in resources if r["kind"] == "Secret")
    settings = set(_configmap()) | set(secret["stringData"])
    for d in _deployments():
        settings |= {k for k in _env(_server(d)) if k.startswith("VR_")}
    unknown = sorted(settings - known)
    assert not unknown, f"settings the server does not read: {unknown}"


# -- Compose and Swarm --------------------------------------------------------------------


def _compose() -> list[str]:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if _required():
        pytest.fail("Docker Compose v2 is missing (scripts/install_compose.sh)")
    pytest.skip("Docker Compose v2 is missing")


def _config(*profiles: str) -> dict[str, Any]:
    args = [a for p in profiles for a in ("--profile", p)]
    env = {**os.environ, "DOCKER_GID": "999"}
    done = subprocess.run(
        [*_compose(), *args, "config", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _seconds(text: str) -> float:
    units = {"h": 3600, "m": 60, "s": 1}
    total, number = 0.0, ""
    for ch in text:
        if ch.isdigit() or ch == ".":
            number += ch
        else:
            total += float(number) * units[ch]
            number = ""
    return total


def test_compose_default_builds_both_images_and_guards_the_server() -> None:
    config = _config()
    services = config["services"]
    assert set(services) == {"sandbox-image", "server"}
    server = services["server"]
    assert server["build"]["dockerfile"] == "deploy/server.Dockerfile"
    assert services["sandbox-image"]["build"]["dockerfile"] == "images/Dockerfile"
    assert services["sandbox-image"]["image"] == server["environment"]["VR_SANDBOX__IMAGE"]
    assert server["depends_on"]["sandbox-image"]["condition"] == "service_completed_successfully"
    assert "/readyz" in " ".join(server["healthcheck"]["test"])
    assert server["user"] == "10001:999"
    assert any(v["target"] == "/var/run/docker.sock" for v in server["volumes"])
    grace = float(server["environment"]["VR_GRACEFUL_SHUTDOWN_S"])
    assert _seconds(server["stop_grace_period"]) >= grace + 10
    known = _setting_env_names()
    unknown = sorted(k for k in server["environment"] if k.startswith("VR_") and k not in known)
    assert not unknown, f"settings the server does not read: {unknown}"


def test_compose_profiles() -> None:
    dind = _config("dind")["services"]
    assert {"dind", "server-dind"} <= set(dind)
    assert dind["dind"]["privileged"] is True
    inner = dind["server-dind"]
    assert inner["environment"]["DOCKER_HOST"] == "unix:///run/dind/docker.sock"
    assert not any(v["target"] == "/var/run/docker.sock" for v in inner["volumes"])
    assert inner["depends_on"] == {"dind": {"condition": "service_healthy", "required": True}}
    assert dind["dind"]["environment"]["SANDBOX_IMAGE"] == inner["environment"]["VR_SANDBOX__IMAGE"]
    replicas = _config("replicas")["services"]
    assert {"replica", "lb"} <= set(replicas)
    assert not replicas["replica"].get("ports")
    assert replicas["replica"]["deploy"]["replicas"] >= 2


def test_base_file_deploys_to_swarm() -> None:
    """`docker stack deploy -c docker-compose.yml` accepts the base file as it is."""
    _compose()
    probe = subprocess.run(["docker", "stack", "config", "--help"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("this docker CLI has no `docker stack config` (Docker 25+)")
    done = subprocess.run(
        ["docker", "stack", "config", "-c", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    stack = yaml.safe_load(done.stdout)
    server = stack["services"]["server"]
    assert server["deploy"]["update_config"]["order"] == "start-first"
    assert stack["services"]["sandbox-image"]["deploy"]["mode"] == "global"

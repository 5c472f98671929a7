"""Shared fixtures: a real uvicorn server in a subprocess, reached over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)


def start_server(env: dict[str, str] | None = None, ready_path: str = "/healthz") -> Server:
    port = free_port()
    full_env = {**os.environ, "VR_SANDBOX_ENABLED": "false", **(env or {})}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "reward_server.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=full_env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            if httpx.get(url + ready_path, timeout=2).status_code == 200:
                return Server(url=url, process=process)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not become ready")


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The service with math, format, language and shaping rewards (no sandbox)."""
    srv = start_server(
        {
            "VR_MATH_TIMEOUT_S": "2",
            "VR_MAX_ITEMS": "2000",
            "VR_MAX_BODY_BYTES": str(8 * 1024 * 1024),
        },
        ready_path="/readyz",
    )
    yield srv
    stop_server(srv)


@pytest.fixture()
def http(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client

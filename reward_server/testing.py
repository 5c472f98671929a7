"""A real server in a subprocess on loopback, for tests, benchmarks and examples.

Tests and benchmarks talk to the service the way users do: over HTTP, to a uvicorn process
started as documented, never to the app object in the same process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalServer:
    url: str
    process: subprocess.Popen[bytes]

    def client(self, timeout: float = 120.0) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=timeout)

    def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM (graceful: in-flight requests finish, sandboxes removed), then SIGKILL."""
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_local_server(
    env: dict[str, str] | None = None,
    ready_path: str = "/readyz",
    timeout_s: float = 180.0,
    cwd: Path | None = None,
    log_level: str = "warning",
) -> LocalServer:
    """Start ``uvicorn reward_server.app:create_app`` and wait until ``ready_path`` answers 200."""
    port = free_port()
    command = [
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
        log_level,
    ]
    process = subprocess.Popen(
        command, env={**os.environ, "VR_LOG_LEVEL": log_level, **(env or {})}, cwd=cwd
    )
    server = LocalServer(url=f"http://127.0.0.1:{port}", process=process)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"reward server exited with code {process.returncode}")
        try:
            if httpx.get(server.url + ready_path, timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"reward server not ready within {timeout_s:g} s")


@contextmanager
def local_server(env: dict[str, str] | None = None, **kwargs: object) -> Iterator[LocalServer]:
    server = start_local_server(env, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.stop()

"""Shared fixtures: a real uvicorn server in a subprocess, reached over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reward_server.testing import LocalServer, free_port, start_local_server

Server = LocalServer
__all__ = ["Server", "free_port", "start_server", "stop_server"]


def start_server(env: dict[str, str] | None = None, ready_path: str = "/healthz") -> Server:
    """A server without the code sandbox unless ``env`` turns it on."""
    return start_local_server({"VR_SANDBOX_ENABLED": "false", **(env or {})}, ready_path)


def stop_server(server: Server) -> None:
    server.stop()


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

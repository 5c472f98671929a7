"""Reliability suite fixtures: the sandbox suite's Docker fixtures (so that, with
``REQUIRE_DOCKER=1``, a missing engine fails these tests instead of skipping them)."""

from tests.sandbox.conftest import docker_client, sandbox_image  # noqa: F401 - fixtures

"""``POST /verify`` as a NeMo Gym code resources server: code_gen's example tasks and rollouts,
built by nemo-gym's models, graded in the real sandbox (Docker)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compat.nemo import nemo_python, run_client
from tests.conftest import start_server, stop_server

pytestmark = pytest.mark.docker


def test_verify_grades_code_gen_rollouts(sandbox_image: str, tmp_path: Path) -> None:
    nemo_python()  # skip (or fail in CI) before starting anything
    server = start_server(
        {
            "VR_SANDBOX_ENABLED": "true",
            "VR_SANDBOX__IMAGE": sandbox_image,
            "VR_SANDBOX__POOL_SIZE": "2",
        },
        ready_path="/readyz",
    )
    try:
        cases = run_client(server.url, "code", tmp_path)
    finally:
        stop_server(server)
    assert len(cases) == 5, cases
    for case in cases.values():
        assert case["echoed"] and case["task_fields"], case
        assert case["error"] is None, case
    # code_gen passed one of its five example rollouts (82 stdin tests); so do we.
    assert [c["reward"] for c in cases.values()] == [c["expected"] for c in cases.values()]
    assert sorted(c["expected"] for c in cases.values()) == [0.0, 0.0, 0.0, 0.0, 1.0]

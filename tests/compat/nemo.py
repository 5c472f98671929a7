"""Running ``nemo_gym_client.py`` in the Python 3.12 venv that holds nemo-gym.

nemo-gym needs Python >= 3.12, so its models live in a venv of their own
(``scripts/nemo_gym_venv.sh``, nemo-gym 0.4.0). Without that venv the tests skip, unless
``REQUIRE_NEMO_GYM=1`` (CI), which makes a missing venv a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = Path(os.environ.get("NEMO_GYM_PYTHON", ROOT / "build/nemo-gym-venv/bin/python"))


def nemo_python() -> Path:
    if not VENV_PYTHON.exists():
        message = f"no nemo-gym venv at {VENV_PYTHON}: run scripts/nemo_gym_venv.sh"
        if os.environ.get("REQUIRE_NEMO_GYM") == "1":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return VENV_PYTHON


def run_client(url: str, mode: str, cwd: Path) -> dict[str, dict[str, Any]]:
    """Case name -> what the client saw (reward, expected, echoed, task_fields, ...)."""
    proc = subprocess.run(
        [str(nemo_python()), str(ROOT / "tests/compat/nemo_gym_client.py"), url, mode],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,  # nemo_gym may make cache/ and results/ folders in the working directory
        env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {c["case"]: c for c in map(json.loads, proc.stdout.splitlines())}

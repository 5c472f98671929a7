"""Running the real ``reward-server`` CLI in a subprocess, as users do."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def shared_data(name: str) -> Path:
    """A file of the data shipped with the repository (``bench/data``, see its README)."""
    path = ROOT / "bench" / "data" / name
    if not path.exists():
        raise FileNotFoundError(f"{name} not found in bench/data")
    return path


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reward_server.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "VR_GRADER_WORKERS": "2", "VR_LOG_LEVEL": "warning", **(env or {})},
    )


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

"""What every benchmark shares: a real server on loopback and a markdown table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from reward_server.testing import local_server

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT / "bench" / "data"  # shipped with the repository: bench/data/README.md


@contextmanager
def running_server(env: dict[str, str] | None = None, timeout_s: float = 180) -> Iterator[str]:
    """Start ``reward_server`` under uvicorn, wait for /readyz, yield its URL, stop it."""
    with local_server(env, timeout_s=timeout_s, cwd=ROOT) as server:
        yield server.url


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)

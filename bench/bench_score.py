"""``reward-server score`` in-process vs the service, on bench_math's 1,024-item batch.

The batch (64 MATH-500 problems x 16 R1-style samples, truth known by construction) is written
to a JSONL file and graded three ways, each by a fresh process with an empty verdict cache:

(a) ``POST /score``, the whole batch in one request, to a freshly started server;
(b) ``score --url``: the same server protocol through ``RewardClient``, 256-row requests;
(c) ``score`` in-process: the server's graders (math worker processes) without HTTP.

Start-up (worker processes, server launch) is timed apart from grading. Every path must give
the same rewards. Run: ``python bench/bench_score.py [--prompts 64] [--samples 16]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_math import Sample, build_batch, grade_service  # noqa: E402
from common import markdown_table, running_server  # noqa: E402

from reward_server.offline.backends import LocalBackend, RemoteBackend, run_loop  # noqa: E402
from reward_server.offline.rows import load_rows, to_item  # noqa: E402
from reward_server.offline.score import grade_into, read_output  # noqa: E402
from reward_server.settings import load_settings  # noqa: E402

REWARDS = {"accuracy": 1.0}


def write_batch(batch: list[Sample], path: Path) -> None:
    with path.open("w") as handle:
        for i, sample in enumerate(batch):
            row = {
                "prompt": f"problem {i // 16}",
                "completion": sample.completion,
                "answer": sample.answer,
            }
            handle.write(json.dumps(row) + "\n")


async def score_file(source: Path, output: Path, url: str | None) -> tuple[float, float, list]:
    """(start-up s, grading s, rewards in row order) for one ``score`` run."""
    rows = load_rows(str(source))
    items = [to_item(row, {}) for row in rows]
    started = time.perf_counter()
    backend = (
        RemoteBackend(url, REWARDS)
        if url
        else LocalBackend(load_settings(None, sandbox_enabled=False), REWARDS)
    )
    async with backend:
        startup = time.perf_counter() - started
        stats = await grade_into(backend, rows, items, output, REWARDS, log_every=10**9)
    graded = sorted(read_output(output), key=lambda r: r["row_index"])
    return startup, stats.seconds, [r["reward"] for r in graded]


def agreement(rewards: list, batch: list[Sample]) -> str:
    hits = sum((r == 1.0) == s.correct for r, s in zip(rewards, batch, strict=True))
    return f"{hits / len(batch):.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=16)
    args = parser.parse_args()
    batch = build_batch(args.prompts, args.samples)
    n = len(batch)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "batch.jsonl"
        write_batch(batch, source)

        started = time.perf_counter()
        with running_server({"VR_SANDBOX_ENABLED": "false"}) as url:
            server_startup = time.perf_counter() - started
            t0 = time.perf_counter()
            served = grade_service(url, batch)
            served_s = time.perf_counter() - t0
        rows.append(
            [
                "(a) POST /score, one request",
                n,
                f"{server_startup:.1f}",
                f"{served_s:.2f}",
                f"{n / served_s:.0f}",
                agreement(served, batch),
            ]
        )

        started = time.perf_counter()
        with running_server({"VR_SANDBOX_ENABLED": "false"}) as url:
            server_startup = time.perf_counter() - started
            _, remote_s, remote = run_loop(score_file(source, Path(tmp) / "r.jsonl", url))
        rows.append(
            [
                "(b) score --url (RewardClient, 256-row requests)",
                n,
                f"{server_startup:.1f}",
                f"{remote_s:.2f}",
                f"{n / remote_s:.0f}",
                agreement(remote, batch),
            ]
        )

        local_startup, local_s, local = run_loop(score_file(source, Path(tmp) / "l.jsonl", None))
        rows.append(
            [
                "(c) score in-process (no HTTP)",
                n,
                f"{local_startup:.1f}",
                f"{local_s:.2f}",
                f"{n / local_s:.0f}",
                agreement(local, batch),
            ]
        )

    same = served == remote == local
    print(
        f"{args.prompts} prompts x {args.samples} samples; identical rewards on all paths: {same}"
    )
    print(
        markdown_table(
            ["path", "items", "start-up s", "grading s", "items/s", "agrees with truth"], rows
        )
    )


if __name__ == "__main__":
    main()

"""``reward-server score`` in-process vs the service, on bench_math's 1,024-item batch.

bench_math's GRPO-shaped batch (64 MATH-500 problems x 16 R1-style samples, truth known by
construction), graded three ways:

(a) ``POST /score``, the whole batch in one request, to a running server;
(b) ``score --url``: the same server through ``RewardClient``, 256-row requests;
(c) ``score`` in-process: the server's graders (math worker processes) without HTTP.

Two servers (one for (a), one for (b)) and the in-process graders are started first (start-up
timed apart), each warmed with one small batch. Then, ``--repeats`` times, each path grades a
batch of its own seed (so every batch meets an empty verdict cache), the paths taking turns so
that load from other jobs on the machine falls on all three alike; the table gives medians.
Run: ``python bench/bench_score.py [--prompts 64] [--samples 16] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_math import Sample, build_batch  # noqa: E402
from common import markdown_table, running_server  # noqa: E402

from reward_server.offline.backends import (  # noqa: E402
    Backend,
    LocalBackend,
    RemoteBackend,
    run_loop,
)
from reward_server.offline.rows import load_rows, to_item  # noqa: E402
from reward_server.offline.score import grade_into, read_output  # noqa: E402
from reward_server.settings import load_settings  # noqa: E402

REWARDS = {"accuracy": 1.0}
Grade = Callable[[list[Sample]], Awaitable[list[float | None]]]


def write_batch(batch: list[Sample], path: Path, samples: int) -> None:
    with path.open("w") as handle:
        for i, sample in enumerate(batch):
            row = {
                "prompt": f"problem {i // samples}",
                "completion": sample.completion,
                "answer": sample.answer,
            }
            handle.write(json.dumps(row) + "\n")


async def score_file(backend: Backend, source: Path, output: Path) -> list[float | None]:
    """What ``reward-server score`` does after start-up: read, grade, write; rewards back."""
    rows = load_rows(str(source))
    items = [to_item(row, {}) for row in rows]
    await grade_into(backend, rows, items, output, REWARDS, log_every=10**9)
    return [r["reward"] for r in sorted(read_output(output), key=lambda r: r["row_index"])]


def agreement(rewards: list[float | None], batch: list[Sample]) -> float:
    return sum((r == 1.0) == s.correct for r, s in zip(rewards, batch, strict=True)) / len(batch)


async def run(args: argparse.Namespace, urls: list[str], tmp: Path) -> list[list[object]]:
    counter = iter(range(10**6))

    def via_file(backend: Backend) -> Grade:
        async def grade(batch: list[Sample]) -> list[float | None]:
            source = tmp / f"in{next(counter)}.jsonl"
            write_batch(batch, source, args.samples)
            return await score_file(backend, source, source.with_suffix(".out"))

        return grade

    async def one_request(batch: list[Sample]) -> list[float | None]:
        items = [{"completion": s.completion, "answer": s.answer} for s in batch]
        async with httpx.AsyncClient(timeout=600) as http:
            answer = await http.post(f"{urls[0]}/score", json={"items": items, "rewards": REWARDS})
        answer.raise_for_status()
        return [r["reward"] for r in answer.json()["results"]]

    started = time.perf_counter()
    async with LocalBackend(load_settings(None, sandbox_enabled=False), REWARDS) as local:
        local_startup = time.perf_counter() - started
        async with RemoteBackend(urls[1], REWARDS) as remote:
            paths: list[tuple[str, Grade]] = [
                ("(a) POST /score, one request", one_request),
                ("(b) score --url (RewardClient, 256-row requests)", via_file(remote)),
                ("(c) score in-process (no HTTP)", via_file(local)),
            ]
            warmup = build_batch(16, 4, seed=999)
            for _, grade in paths:
                await grade(warmup)
            seconds: dict[str, list[float]] = {name: [] for name, _ in paths}
            agree: dict[str, list[float]] = {name: [] for name, _ in paths}
            for r in range(args.repeats):
                turn = paths[r % 3 :] + paths[: r % 3]
                for number, (name, grade) in enumerate(turn):
                    batch = build_batch(args.prompts, args.samples, seed=100 * r + number)
                    t0 = time.perf_counter()
                    rewards = await grade(batch)
                    seconds[name].append(time.perf_counter() - t0)
                    agree[name].append(agreement(rewards, batch))
    n = args.prompts * args.samples
    rows = []
    for name, _ in paths:
        median = statistics.median(seconds[name])
        startup = f"{local_startup:.1f}" if name.startswith("(c)") else "server"
        rates = ", ".join(f"{n / s:.0f}" for s in seconds[name])
        rows.append(
            [
                name,
                n,
                startup,
                f"{median:.2f}",
                f"{n / median:.0f}",
                rates,
                f"{min(agree[name]):.1%}",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        urls = [
            stack.enter_context(running_server({"VR_SANDBOX_ENABLED": "false"})) for _ in range(2)
        ]
        print(f"two servers ready in {time.perf_counter() - started:.1f} s")
        rows = run_loop(run(args, urls, Path(tmp)))
    print(
        f"{args.prompts} prompts x {args.samples} samples, {args.repeats} batches per path "
        "(own seeds, cold verdict cache, paths taking turns), median"
    )
    print(
        markdown_table(
            [
                "path",
                "items",
                "start-up s",
                "grading s",
                "items/s",
                "items/s per batch",
                "agrees with truth",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()

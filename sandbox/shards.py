"""One long stdin job's tests split across idle sandboxes, and the parts' results merged.

A job with many tests on an otherwise idle pool would use one sandbox (one core) while the
others wait. Split into contiguous shards, its tests run on every idle sandbox at once; the
merged result is the one a single run would give: tests in order, and with all-pass scoring
(``stop_on_failure``) everything after the first failing test is dropped, as if it had never
run (the later shards did run, in parallel, but cost no one a sandbox that was waiting).
Jobs with subtasks are not split (a subtask's early stop spans its tests).
"""

from __future__ import annotations

from sandbox.jobs import CodeJob, CodeResult, StdinStdoutTests, Verdict

# Verdicts about the program as a whole (every shard gives the same one) or the sandbox.
_WHOLE_JOB = {Verdict.compile_error, Verdict.sandbox_error, Verdict.sandbox_killed,
              Verdict.invalid_checker, Verdict.no_code}


def split(job: CodeJob, sandboxes: int, min_tests: int) -> list[CodeJob]:
    """The job as up to ``sandboxes`` jobs of at least ``min_tests`` consecutive tests each,
    or ``[job]`` when it cannot or need not be split."""
    tests = job.tests
    if (not isinstance(tests, StdinStdoutTests) or tests.subtasks or min_tests <= 0
            or sandboxes < 2):
        return [job]
    k = min(sandboxes, len(tests.cases) // min_tests)
    if k < 2:
        return [job]
    size = -(-len(tests.cases) // k)
    return [job.model_copy(update={"tests": tests.model_copy(
        update={"cases": tests.cases[i:i + size]})}) for i in range(0, len(tests.cases), size)]


def merge(job: CodeJob, parts: list[CodeResult]) -> CodeResult:
    """The result of ``job`` from the results of its shards, in order."""
    if len(parts) == 1:
        return parts[0]
    statuses: list[str] = []
    scores: list[float] = []
    passed, failed = 0, None
    for part in parts:
        if part.verdict in _WHOLE_JOB or (part.verdict != Verdict.pass_ and not part.tests):
            if failed is None:  # nothing before it failed: it decides the whole job
                return part.model_copy(update={"total": job.n_tests(), "passed": passed})
            break
        statuses += part.tests
        scores += part.scores or []
        passed += part.passed
        if part.verdict != Verdict.pass_:
            failed = failed or part
            if job.stop_on_failure:
                break
    timings = {"compile_s": max(p.timings.get("compile_s", 0.0) for p in parts),
               "run_s": max(p.timings.get("run_s", 0.0) for p in parts),
               "shards": float(len(parts))}
    total = job.n_tests()
    verdict = failed.verdict if failed else (
        Verdict.pass_ if passed == total else Verdict.wrong_answer)
    return parts[0].model_copy(update={
        "verdict": verdict, "passed": passed, "total": total, "tests": statuses,
        "first_failure": failed.first_failure if failed else None,
        "message": failed.message if failed else "",
        "scores": scores if parts[0].scores is not None else None,
        "timings": timings})

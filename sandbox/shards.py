"""One long stdin job's tests split across idle sandboxes, and the parts' results merged.

A job with many tests on an otherwise idle pool would use one sandbox (one core) while the
others wait. Split into contiguous shards, its tests run on every idle sandbox at once; the
merged result is the one a single run would give: tests in order, and with all-pass scoring
(``stop_on_failure``) everything after the first failing test is dropped, as if it had never
run (the later shards did run, in parallel, but cost no one a sandbox that was waiting).
Jobs with subtasks are not split (a subtask's early stop spans its tests).

Sound because no test sees another's traces: every test starts from the job's initial files
(``sandbox/runner/workdir.py``, in one sandbox as in several), and ``total_time_s`` bounds the
sum of the tests' times in test order across the shards (``merge``), so a split job gets the
verdict one sandbox would give, whatever the load.
"""

from __future__ import annotations

from sandbox.jobs import CodeJob, CodeResult, FirstFailure, StdinStdoutTests, Verdict

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
    """The result of ``job`` from the results of its shards, in order.

    ``total_time_s`` bounds the job as in one run: the shards' per-test times
    (``test_times``) are summed in test order, and a test that a single run would have
    started after the budget was spent is a ``timeout`` ("job time limit exceeded") however
    fast its shard ran, with everything after it as a single run would have it."""
    if len(parts) == 1:
        return parts[0]
    budget = job.limits.total_time_s
    statuses: list[str] = []
    scores: list[float] = []
    passed, failed, spent = 0, None, 0.0
    over: FirstFailure | None = None
    for part in parts:
        if part.verdict in _WHOLE_JOB or (part.verdict != Verdict.pass_ and not part.tests):
            if failed is None and over is None:  # nothing before it failed: it decides
                return part.model_copy(update={"total": job.n_tests(), "passed": passed})
            break
        times = part.test_times or [0.0] * len(part.tests)
        for i, status in enumerate(part.tests):
            if spent > budget:  # a single run would not have started this test
                over = over or FirstFailure(got="job time limit exceeded")
                status, score = Verdict.timeout.value, 0.0
            else:
                score = part.scores[i] if part.scores is not None and i < len(part.scores) else (
                    float(status == "pass"))
                spent += times[i] if i < len(times) else 0.0
            statuses.append(status)
            scores.append(score)
            passed += status == "pass"
            if status != "pass" and failed is None and over is None:
                failed = part
            if status != "pass" and job.stop_on_failure:
                break
        if statuses and statuses[-1] != "pass" and job.stop_on_failure:
            break
    if over is not None and not job.stop_on_failure:  # a single run times out every test left
        statuses += [Verdict.timeout.value] * (job.n_tests() - len(statuses))
        scores += [0.0] * (job.n_tests() - len(scores))
    timings = {"compile_s": max(p.timings.get("compile_s", 0.0) for p in parts),
               "run_s": max(p.timings.get("run_s", 0.0) for p in parts),
               "shards": float(len(parts))}
    total = job.n_tests()
    bad = next((st for st in statuses if st != "pass"), None)
    verdict = Verdict(bad) if bad else (Verdict.pass_ if passed == total else Verdict.wrong_answer)
    first = failed.first_failure if failed is not None else over
    message = failed.message if failed is not None else ("job time limit exceeded" if over
                                                         else "")
    return parts[0].model_copy(update={
        "verdict": verdict, "passed": passed, "total": total, "tests": statuses,
        "first_failure": first, "message": message,
        "scores": scores if parts[0].scores is not None else None,
        "test_times": None, "timings": timings})

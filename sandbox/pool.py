"""An async pool of warm sandboxes with a bounded queue, a result cache and recycling.

Why this shape: starting a container costs ~0.2 s while grading a typical program costs
~15 ms, so containers are started once and reused; anything unusual (a timeout, an OOM, a
cleanup the runner could not finish, a broken stream) retires the container instead of
trusting it again. A full queue raises ``SandboxBusy`` at once (HTTP 429 + Retry-After)
instead of letting clients time out. GRPO sends many identical programs, so results are
cached by (code, tests, limits, image) and identical jobs in flight share one run.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sandbox import metrics as m
from sandbox import shards
from sandbox.backend import Backend, SandboxBusy, SandboxUnavailable, Worker, WorkerBroken
from sandbox.jobs import CodeJob, CodeResult, Verdict, parse_tests
from sandbox.scheduler import REQUEST, FairQueue
from sandbox.settings import SandboxSettings

log = logging.getLogger(__name__)

# Known-good job that tells "this program breaks sandboxes" from "sandboxes are breaking".
PROBE_JOB = CodeJob(language="python", code="print(int(input()) + 1)\n", tests=parse_tests(
    {"type": "stdin_stdout", "cases": [{"input": "1\n", "output": "2\n"}]}))
WATCH_S = 1.0  # how often idle sandboxes are checked for a dead container
MAX_BACKOFF_S = 10.0  # longest wait between two attempts to start a replacement


class SandboxPool:
    """``await start()``, then ``await run(job)`` from any number of tasks, ``await close()``."""

    def __init__(self, settings: SandboxSettings | None = None, backend: Backend | None = None):
        self.settings = settings or SandboxSettings()
        self.pool_id = uuid.uuid4().hex[:12]
        self._executor = ThreadPoolExecutor(self.settings.pool_size + 4, "sandbox")
        self.backend = backend or self._make_backend()
        self._idle: FairQueue[Worker] = FairQueue()
        self._callers: dict[asyncio.Task[CodeResult], int] = {}  # who still wants a job's result
        self._workers: set[Worker] = set()
        self._in_use: set[Worker] = set()
        self._cache: OrderedDict[str, CodeResult] = OrderedDict()
        self._inflight: dict[str, asyncio.Task[CodeResult]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        self._waiting = 0
        self._busy = 0
        self._spawn_failures = 0
        self._mean_run_s = 0.05
        self._started = False
        self._closed = False
        self.counts: Counter[str] = Counter()

    def _make_backend(self) -> Backend:
        if self.settings.backend == "process":
            from sandbox.process_backend import ProcessBackend

            return ProcessBackend(self.settings, self.pool_id)
        from sandbox.docker_backend import DockerBackend

        return DockerBackend(self.settings, self.pool_id, self._executor)

    # -- life cycle -----------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Started, not closed, and at least one live sandbox."""
        return self._started and not self._closed and bool(self._workers)

    async def start(self) -> None:
        """Reap leaked sandboxes, start ``pool_size`` of them; raises if none starts."""
        await self.backend.prepare()
        results = await asyncio.gather(
            *(self._spawn_one() for _ in range(self.settings.pool_size)), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        for e in errors:
            self.counts["spawn_failures"] += 1
            log.warning("sandbox failed to start: %s", e)
        if not self._workers:
            await self.backend.shutdown()
            raise SandboxUnavailable(f"no sandbox could start: {errors[0]}")
        for _ in errors:
            self._in_background(self._replace(None, "start_failed"))
        self._started = True
        self._in_background(self._watch())
        log.info("sandbox pool %s ready: %d %s workers", self.pool_id, len(self._workers),
                 self.settings.backend)

    async def close(self) -> None:
        """Stop every sandbox of this pool and fail queued jobs; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._idle.close()  # wakes waiters: they raise SandboxUnavailable
        workers, self._workers = list(self._workers), set()
        await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
        try:
            await self.backend.shutdown()
        finally:
            m.WORKERS.set(0)
            self._executor.shutdown(wait=False)

    async def __aenter__(self) -> SandboxPool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _in_background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _spawn_one(self) -> Worker:
        worker = await self.backend.spawn()
        if self._closed:
            await worker.close()
            raise SandboxUnavailable("pool closed")
        self._workers.add(worker)
        m.WORKERS.set(len(self._workers))
        self._idle.put(worker)
        return worker

    async def _replace(self, old: Worker | None, reason: str) -> None:
        """Retire ``old`` (if any) and start a fresh sandbox, retrying with backoff."""
        if self._closed:  # close() already removed every sandbox of the pool
            return
        if old is not None:
            m.RECYCLES.labels(reason).inc()
            self.counts[f"recycle:{reason}"] += 1
            self._workers.discard(old)
            m.WORKERS.set(len(self._workers))
        delay = 0.5
        closing = old.close() if old is not None else asyncio.sleep(0)
        spawning = self._spawn_one()
        results = await asyncio.gather(closing, spawning, return_exceptions=True)
        while isinstance(results[1], BaseException) and not self._closed:
            self._spawn_failures += 1
            self.counts["spawn_failures"] += 1
            log.warning("sandbox start failed (%s); retrying in %.1fs", results[1], delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
            results = [None, *await asyncio.gather(self._spawn_one(), return_exceptions=True)]
        self._spawn_failures = 0

    def _retire(self, worker: Worker, reason: str) -> None:
        """Out of service now (no job and no watcher sees it again), replaced in the background:
        retiring lazily let one dead sandbox be replaced twice."""
        self._workers.discard(worker)
        self._in_background(self._replace(worker, reason))

    async def _watch(self) -> None:
        """Retire idle sandboxes whose container died (killed, engine stopped): ``ready`` then
        tells the truth, and replacements start before a job meets a dead sandbox."""
        while not self._closed:
            await asyncio.sleep(WATCH_S)
            for worker in list(self._workers - self._in_use):
                dead = getattr(worker, "dead", None)  # backends that can tell
                if callable(dead) and dead():
                    log.warning("sandbox %s died while idle; replacing it", worker.name)
                    self._retire(worker, "died")

    # -- jobs -----------------------------------------------------------------------------
    async def run(self, job: CodeJob) -> CodeResult:
        """Grade one job. Raises SandboxBusy when the queue is full, SandboxUnavailable when
        the pool is not running; infrastructure failures come back as ``sandbox_error``."""
        if not self._started or self._closed:
            raise SandboxUnavailable("sandbox pool is not running")
        key = job.cache_key(self.backend.image_id)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            m.CACHE_HITS.inc()
            self.counts["cache_hits"] += 1
            return hit.model_copy(update={"cached": True})
        task = self._inflight.get(key)
        if task is None:
            # jobs admitted but not yet holding a sandbox claim the free ones first: a free
            # sandbox another job is about to take is no room for this one
            if self._waiting >= self._idle.qsize() + self.settings.queue_size:
                m.BUSY.inc()
                self.counts["busy"] += 1
                raise SandboxBusy(self.retry_after())
            self._waiting += 1
            m.QUEUE_DEPTH.set(self._waiting)
            task = asyncio.ensure_future(self._execute(job, key, REQUEST.get()))
            self._inflight[key] = task
            task.add_done_callback(lambda t: self._done(key, t))
        else:
            self.counts["shared"] += 1
        # shield: one caller giving up does not abort a job others share; the last one does
        self._callers[task] = self._callers.get(task, 0) + 1
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if self._callers[task] == 1 and not task.done():
                # Nobody wants the result any more (deadline passed, client gone): a queued
                # job leaves the queue, a running one is stopped with its sandbox.
                self.counts["abandoned"] += 1
                m.ABANDONED.inc()
                if self._inflight.get(key) is task:  # a later identical job starts afresh
                    del self._inflight[key]
                task.cancel()
            raise
        finally:
            left = self._callers.pop(task) - 1
            if left:
                self._callers[task] = left

    def retry_after(self) -> float:
        """Seconds until the queue has likely drained: depth x mean run time / sandboxes."""
        drain = self._waiting * self._mean_run_s / max(1, len(self._workers))
        return max(self.settings.retry_after_s, round(drain, 1))

    def _done(self, key: str, task: asyncio.Task[CodeResult]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            result = task.result()
            if result.verdict != Verdict.sandbox_error and self.settings.cache_size:
                self._cache[key] = result
                while len(self._cache) > self.settings.cache_size:
                    self._cache.popitem(last=False)

    def _check_alive(self) -> None:
        if self._closed:
            raise SandboxUnavailable("sandbox pool closed")
        if not self._workers and self._spawn_failures >= 3:
            raise SandboxUnavailable("no live sandbox and none can start")

    async def _acquire(self, owner: str = "", later: bool = False) -> Worker:
        while True:
            worker = await self._idle.get(owner, self._check_alive, later)
            if worker is None or self._closed:
                raise SandboxUnavailable("sandbox pool closed")
            if worker in self._workers:
                return worker

    async def _execute(self, job: CodeJob, key: str, owner: str) -> CodeResult:
        # Cheap jobs first: every job first runs with a short time slice; only one that timed
        # out runs again with its full limits, after the request's other first runs. The
        # verdict is the same as one full run (more time cannot change a verdict reached
        # without a timeout), and an honest item is no longer starved behind slow ones.
        first = job.time_sliced(self.settings.first_pass_time_s)
        t0 = time.monotonic()
        try:
            worker = await self._acquire(owner)
        finally:
            self._waiting -= 1
            m.QUEUE_DEPTH.set(self._waiting)
        m.QUEUE_WAIT.observe(time.monotonic() - t0)
        result = await self._grade_split(worker, first, owner)
        if first is not job and Verdict.timeout.value in (result.tests or [result.verdict.value]):
            self.counts["second_pass"] += 1
            result = await self._grade(await self._acquire(owner, later=True), job, owner)
        m.VERDICTS.labels(job.language.value, result.verdict.value).inc()
        self.counts[f"verdict:{result.verdict.value}"] += 1
        self.counts["jobs"] += 1
        return result

    async def _grade_split(self, worker: Worker, job: CodeJob, owner: str) -> CodeResult:
        """``_grade``, with a long stdin job's tests spread over the sandboxes idle now."""
        extra: list[Worker] = []
        while len(extra) < len(self._workers) and (spare := self._idle.take()) is not None:
            if spare in self._workers:
                extra.append(spare)
        parts = shards.split(job, 1 + len(extra), self.settings.shard_min_tests)
        for spare in extra[len(parts) - 1:]:  # not needed after all: back to the pool
            self._idle.put(spare)
        if len(parts) == 1:
            return await self._grade(worker, job, owner)
        self.counts["split_jobs"] += 1
        results = await asyncio.gather(*(self._grade(w, part, owner) for w, part in
                                         zip([worker, *extra], parts, strict=False)))
        return shards.merge(job, list(results))

    async def _grade(self, worker: Worker, job: CodeJob, owner: str) -> CodeResult:
        """One run, retried once on another sandbox if this one broke."""
        result, broken = await self._run_on(worker, job)
        if broken:  # the sandbox died, not necessarily because of this job: one retry
            self.counts["retries"] += 1
            result, again = await self._run_on(await self._acquire(owner), job)
            if broken == again == "inside" and await self._probe_passes():
                # Two sandboxes ended from the inside under this program and a known-good job
                # still passes: the program is to blame and graded 0, not null (a null would
                # let it escape its penalty). Kills from outside stay infrastructure errors.
                self.counts["sandbox_killed"] += 1
                result = CodeResult.killed(job, "the program broke its sandbox twice, "
                                                "while a known-good probe job passed: " +
                                           result.message)
        return result

    async def _probe_passes(self) -> bool:
        """Run a trivial job that must pass on any healthy sandbox (the engine is fine)."""
        try:
            result, broken = await self._run_on(await self._acquire(), PROBE_JOB)
        except SandboxUnavailable:
            return False
        return broken is None and result.verdict == Verdict.pass_

    async def _run_on(self, worker: Worker, job: CodeJob) -> tuple[CodeResult, str | None]:
        """The result, and how the sandbox broke: None (it did not), "inside" (it ended from
        within: the runner died or ran out of memory) or "outside" (killed, lost, unknown)."""
        self._in_use.add(worker)
        try:
            return await self._run_on_worker(worker, job)
        finally:
            self._in_use.discard(worker)

    async def _run_on_worker(self, worker: Worker,
                             job: CodeJob) -> tuple[CodeResult, str | None]:
        self._busy += 1
        m.BUSY_WORKERS.set(self._busy)
        t0 = time.monotonic()
        raw: dict[str, Any] | None = None
        broke: str | None = None
        try:
            raw = await worker.request(
                job.for_runner(), job.host_deadline(self.settings.deadline_margin_s))
            result = CodeResult.from_runner(raw, job)
        except WorkerBroken as e:
            log.warning("sandbox %s broke: %s", worker.name, e)
            result = CodeResult.error(job, str(e))
            broke = "inside" if await worker.ended_by_itself() else "outside"
        except asyncio.CancelledError:
            self._retire(worker, "abandoned")  # stops the job: its sandbox goes with it
            raise
        except BaseException:
            self._retire(worker, "error")
            raise
        finally:
            self._busy -= 1
            m.BUSY_WORKERS.set(self._busy)
        took = time.monotonic() - t0
        m.RUN_TIME.labels(job.language.value).observe(took)
        self._mean_run_s += 0.05 * (took - self._mean_run_s)
        worker.jobs += 1
        statuses = result.tests or [result.verdict.value]
        kills = {"timeout": statuses.count("timeout"), "oom": statuses.count("memory_limit")}
        for kind, n in kills.items():
            if n:
                m.KILLS.labels(kind).inc(n)
                self.counts[f"kill:{kind}"] += n
        reason = None
        if raw is None or result.verdict == Verdict.sandbox_error:
            reason = "broken" if raw is None else "sandbox_error"
        elif raw.get("anomaly"):
            log.warning("sandbox %s not clean after a job: %s", worker.name, raw["anomaly"])
            reason = "anomaly"
        elif kills["timeout"]:
            reason = "timeout"
        elif kills["oom"]:
            reason = "oom"
        elif worker.jobs >= self.settings.max_jobs_per_container:
            reason = "max_jobs"
        if reason is None:
            self._idle.put(worker)
        else:
            self._retire(worker, reason)
        return result, broke

    def stats(self) -> dict[str, Any]:
        """A snapshot for /readyz and tests (Prometheus has the same as metrics)."""
        return {"ready": self.ready, "backend": self.settings.backend,
                "workers": len(self._workers), "idle": self._idle.qsize(), "busy": self._busy,
                "waiting": self._waiting, "cached": len(self._cache), **self.counts}

"""Prometheus metrics of the sandbox pool (default registry, scraped by the server's /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_FAST = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

QUEUE_WAIT = Histogram(
    "sandbox_queue_wait_seconds", "Time a job waited for a free sandbox.", buckets=_FAST
)
RUN_TIME = Histogram(
    "sandbox_run_seconds", "Time a sandbox spent on one job.", ["language"], buckets=_FAST
)
VERDICTS = Counter("sandbox_verdicts_total", "Verdicts by language.", ["language", "verdict"])
RECYCLES = Counter("sandbox_recycles_total", "Sandboxes replaced, by reason.", ["reason"])
KILLS = Counter("sandbox_kills_total", "Programs killed, by kind (timeout, oom).", ["kind"])
CACHE_HITS = Counter("sandbox_cache_hits_total", "Jobs answered from the result cache.")
ABANDONED = Counter(
    "sandbox_abandoned_total",
    "Jobs dropped from the queue or stopped because nobody waited for them any more.",
)
BUSY = Counter("sandbox_busy_total", "Jobs refused because the queue was full.")
WORKERS = Gauge("sandbox_workers", "Live sandboxes.")
BUSY_WORKERS = Gauge("sandbox_busy_workers", "Sandboxes running a job.")
QUEUE_DEPTH = Gauge("sandbox_queue_depth", "Jobs waiting for a sandbox.")

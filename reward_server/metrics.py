"""Prometheus metrics, named once so every module counts into the same series."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

_LATENCY_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

ITEMS = Counter("vr_items_total", "Items graded, by reward.", ["reward"])
ITEM_ERRORS = Counter(
    "vr_item_errors_total",
    "Components that could not be decided, by reward and type.",
    ["reward", "type"],
)
GRADE_SECONDS = Histogram(
    "vr_grade_seconds", "Time to grade one component.", ["reward"], buckets=_LATENCY_BUCKETS
)
REQUEST_SECONDS = Histogram(
    "vr_request_seconds", "Time to answer one request.", ["endpoint"], buckets=_LATENCY_BUCKETS
)
REQUEST_ITEMS = Counter("vr_request_items_total", "Items received, by endpoint.", ["endpoint"])
TIMEOUTS = Counter("vr_timeouts_total", "Components that ran past their deadline.", ["reward"])
CACHE_HITS = Counter("vr_cache_hits_total", "Verdicts served from cache.", ["cache"])
CACHE_MISSES = Counter("vr_cache_misses_total", "Verdicts computed.", ["cache"])
WORKER_RESTARTS = Counter(
    "vr_worker_restarts_total", "Grading workers killed and replaced.", ["reason"]
)

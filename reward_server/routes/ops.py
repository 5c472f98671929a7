"""Operations: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from reward_server.auth import require_api_key
from reward_server.routes.deps import GradersDep, SettingsDep

router = APIRouter(tags=["ops"])


async def metrics_key(request: Request, settings: SettingsDep) -> None:
    """The API key, when the settings protect ``/metrics`` too."""
    if settings.protect_metrics:
        await require_api_key(request, settings)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(graders: GradersDep) -> JSONResponse:
    """Workers alive and, when enabled, the sandbox pool warm."""
    checks = graders.readiness()
    ready = all(bool(v) for k, v in checks.items() if not k.endswith("_problem"))
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", dependencies=[Depends(metrics_key)])
async def prometheus() -> Response:
    """With several uvicorn workers, every worker's samples (``PROMETHEUS_MULTIPROC_DIR``)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

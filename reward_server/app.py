"""The FastAPI application: thin routes over the scorer; resources live in the lifespan."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi_offline import FastAPIOffline
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from pydantic import BaseModel

from reward_server import __version__, metrics
from reward_server.auth import require_api_key
from reward_server.compat import nemo_gym, sandboxfusion
from reward_server.compat.openrlhf import parse_weights, to_openrlhf_response, to_score_request
from reward_server.disconnect import until_disconnected
from reward_server.graders import Graders
from reward_server.limits import BodyLimits
from reward_server.observability import RequestId, setup_logging
from reward_server.rewards import language_model
from reward_server.schemas import (
    Item,
    ItemResult,
    OpenRLHFRequest,
    OpenRLHFResponse,
    ScoreRequest,
    ScoreResponse,
)
from reward_server.scoring import RequestError, Scorer
from reward_server.settings import Settings, settings_from_env
from sandbox import SandboxBusy

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_from_env()
    setup_logging(settings.log_level, settings.log_format)
    protected = [Depends(require_api_key)]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graders = Graders(settings)
        await graders.start()
        # the language models take about 2 s to load: in the background, not on first use
        asyncio.get_running_loop().run_in_executor(None, language_model.warm)
        app.state.graders = graders
        app.state.scorer = Scorer(
            graders.accuracy, settings.max_completion_chars, settings.max_pending_items
        )
        try:
            yield
        finally:
            await graders.close()

    # /docs and /redoc load Swagger UI and ReDoc from the fastapi-offline package, not from a
    # CDN, so they work on an air-gapped cluster.
    app = FastAPIOffline(
        title="verifiable-rewards",
        version=__version__,
        summary="Rule-based rewards for RL: math, code, format, language.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    _document_item_schema(app)
    app.add_middleware(
        BodyLimits, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s
    )
    app.add_middleware(RequestId)
    _install_error_handlers(app)

    async def grade(request: Request, body: ScoreRequest, endpoint: str) -> list[ItemResult]:
        if len(body.items) > settings.max_items:
            raise RequestError.too_many(len(body.items), settings.max_items)
        metrics.REQUEST_ITEMS.labels(endpoint=endpoint).inc(len(body.items))
        with metrics.REQUEST_SECONDS.labels(endpoint=endpoint).time():
            scorer: Scorer = request.app.state.scorer
            return await until_disconnected(
                request, scorer.score(body, settings.request_timeout_s))

    @app.post("/score", response_model=ScoreResponse, tags=["rewards"], dependencies=protected)
    async def score(request: Request, body: ScoreRequest) -> ScoreResponse:
        """Grade a batch: one result per item, in order."""
        started = time.perf_counter()
        results = await grade(request, body, "score")
        return ScoreResponse(results=results, elapsed_ms=(time.perf_counter() - started) * 1000)

    async def openrlhf(request: Request, body: OpenRLHFRequest) -> OpenRLHFResponse:
        """OpenRLHF ``--remote_rm_url``; choose rewards with ``?rewards=accuracy:1,format:0.5``."""
        weights = parse_weights(request.query_params.get("rewards"), settings.default_rewards)
        results = await grade(request, to_score_request(body, weights), "openrlhf")
        return to_openrlhf_response(results)

    app.include_router(sandboxfusion.router, dependencies=protected, tags=["compat"])
    app.include_router(nemo_gym.router, dependencies=protected, tags=["compat"])

    for path in ("/openrlhf", "/get_reward"):
        app.post(path, response_model=OpenRLHFResponse, tags=["compat"], dependencies=protected)(
            openrlhf
        )

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz(request: Request) -> JSONResponse:
        """Workers alive and, when enabled, the sandbox pool warm."""
        checks = request.app.state.graders.readiness()
        ready = all(bool(v) for k, v in checks.items() if not k.endswith("_problem"))
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["ops"], dependencies=protected if settings.protect_metrics else [])
    async def prometheus() -> Response:
        """With several uvicorn workers, every worker's samples (``PROMETHEUS_MULTIPROC_DIR``)."""
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """What every 4xx says: ``detail`` for people; ``errors`` per field for validation."""

    detail: str
    errors: list[FieldProblem] | None = None


def _document_item_schema(app: FastAPI) -> None:
    """Items are validated one by one, so FastAPI never sees the Item model: add it. The
    422 answers are ours (``detail`` is a sentence, not FastAPI's list): document them so."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, summary=app.summary, routes=app.routes
            )
            item = Item.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(item.pop("$defs", {}))
            components["Item"] = item
            error = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(error.pop("$defs", {}))
            components["ErrorResponse"] = error
            for operation in (op for path in schema["paths"].values() for op in path.values()):
                invalid = operation.get("responses", {}).get("422")
                if invalid is not None:
                    invalid["content"] = {"application/json": {"schema": {
                        "$ref": "#/components/schemas/ErrorResponse"}}}
            for unused in ("HTTPValidationError", "ValidationError"):
                components.pop(unused, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()[:50]
        ]
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
        return JSONResponse(
            {"detail": f"invalid request: {where}", "errors": errors}, status_code=422
        )

    @app.exception_handler(SandboxBusy)
    async def sandbox_busy(_: Request, exc: SandboxBusy) -> JSONResponse:
        return JSONResponse(
            {"detail": f"{exc}: retry shortly"},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        )

    @app.exception_handler(RequestError)
    async def unusable_request(_: Request, exc: RequestError) -> JSONResponse:
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else None
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

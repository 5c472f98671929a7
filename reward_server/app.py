"""The FastAPI application: the lifespan owns the resources; routes live in ``routes``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline

from reward_server import __version__
from reward_server.auth import require_api_key
from reward_server.graders import Graders
from reward_server.limits import BodyLimits
from reward_server.observability import RequestId, setup_logging
from reward_server.rewards import language_model
from reward_server.routes import compat, ops
from reward_server.routes import score as score_routes
from reward_server.routes.errors import ErrorResponse, install_error_handlers
from reward_server.schemas import Item
from reward_server.scoring import Scorer
from reward_server.settings import Settings, settings_from_env


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_from_env()
    setup_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graders = Graders(settings)
        await graders.start()
        # the language models take about 2 s to load: in the background, not on first use
        asyncio.get_running_loop().run_in_executor(None, language_model.warm)
        app.state.graders = graders
        app.state.scorer = Scorer(
            graders, settings.max_completion_chars, settings.max_pending_items
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
    install_error_handlers(app)
    protected = [Depends(require_api_key)]
    app.include_router(score_routes.router, dependencies=protected)
    app.include_router(compat.router, dependencies=protected)
    app.include_router(ops.router)
    return app


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

"""The shape of every error answer, and the exception handlers that produce them."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from reward_server.rewards.base import TryLater
from reward_server.scoring import RequestError

log = logging.getLogger(__name__)


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """What every 4xx says: ``detail`` for people; ``errors`` per field for validation."""

    detail: str
    errors: list[FieldProblem] | None = None


def retry_later(detail: str, retry_after_s: float) -> JSONResponse:
    """429 with ``Retry-After`` in whole seconds (at least 1), as clients' backoff reads it."""
    return JSONResponse(
        {"detail": detail},
        status_code=429,
        headers={"Retry-After": str(max(1, math.ceil(retry_after_s)))},
    )


def install_error_handlers(app: FastAPI) -> None:
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

    @app.exception_handler(TryLater)
    async def try_later(_: Request, exc: TryLater) -> JSONResponse:
        return retry_later(str(exc), exc.retry_after_s)

    @app.exception_handler(RequestError)
    async def unusable_request(_: Request, exc: RequestError) -> JSONResponse:
        if exc.status_code == 429:
            return retry_later(str(exc), exc.retry_after_s or 1)
        return JSONResponse({"detail": str(exc)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse({"detail": f"internal error: {type(exc).__name__}"}, status_code=500)

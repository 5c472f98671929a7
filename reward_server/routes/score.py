"""``POST /score``: the service's own API."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request

from reward_server import metrics
from reward_server.disconnect import until_disconnected
from reward_server.routes.deps import ScorerDep, SettingsDep
from reward_server.schemas import ItemResult, ScoreRequest, ScoreResponse
from reward_server.scoring import RequestError, Scorer
from reward_server.settings import Settings

router = APIRouter(tags=["rewards"])


async def grade(
    request: Request, body: ScoreRequest, endpoint: str, scorer: Scorer, settings: Settings
) -> list[ItemResult]:
    """Grade ``body`` for the route ``endpoint`` (its metrics label); stops when the client
    disconnects. Raises RequestError past ``settings.max_items``."""
    if len(body.items) > settings.max_items:
        raise RequestError.too_many(len(body.items), settings.max_items)
    metrics.REQUEST_ITEMS.labels(endpoint=endpoint).inc(len(body.items))
    with metrics.REQUEST_SECONDS.labels(endpoint=endpoint).time():
        return await until_disconnected(request, scorer.score(body, settings.request_timeout_s))


@router.post("/score", response_model=ScoreResponse)
async def score(
    request: Request, body: ScoreRequest, scorer: ScorerDep, settings: SettingsDep
) -> ScoreResponse:
    """Grade a batch: one result per item, in order."""
    started = time.perf_counter()
    results = await grade(request, body, "score", scorer, settings)
    return ScoreResponse(results=results, elapsed_ms=(time.perf_counter() - started) * 1000)

"""Other projects' reward APIs over the same scorer: OpenRLHF, SandboxFusion, NeMo Gym."""

from __future__ import annotations

from fastapi import APIRouter, Request

from reward_server.compat import nemo_gym, sandboxfusion
from reward_server.compat.openrlhf import parse_weights, to_openrlhf_response, to_score_request
from reward_server.routes.deps import ScorerDep, SettingsDep
from reward_server.routes.score import grade
from reward_server.schemas import OpenRLHFRequest, OpenRLHFResponse

router = APIRouter(tags=["compat"])
router.include_router(sandboxfusion.router)
router.include_router(nemo_gym.router)


async def openrlhf(
    request: Request, body: OpenRLHFRequest, scorer: ScorerDep, settings: SettingsDep
) -> OpenRLHFResponse:
    """OpenRLHF ``--remote_rm_url``; choose rewards with ``?rewards=accuracy:1,format:0.5``."""
    weights = parse_weights(request.query_params.get("rewards"), settings.default_rewards)
    results = await grade(request, to_score_request(body, weights), "openrlhf", scorer, settings)
    return to_openrlhf_response(results)


for _path in ("/openrlhf", "/get_reward"):
    router.post(_path, response_model=OpenRLHFResponse)(openrlhf)

"""What routes depend on, declared once as ``Annotated`` aliases.

The app's lifespan puts the resources on ``app.state`` (``graders``, ``scorer``) and
``create_app`` the settings; these functions are the only readers of ``app.state``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from reward_server.graders import Graders
from reward_server.scoring import Scorer
from reward_server.settings import Settings
from sandbox import SandboxPool


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_scorer(request: Request) -> Scorer:
    scorer: Scorer = request.app.state.scorer
    return scorer


def get_graders(request: Request) -> Graders:
    graders: Graders = request.app.state.graders
    return graders


def get_sandbox(request: Request) -> SandboxPool | None:
    """The sandbox pool, or None when code grading is off or the pool has not started."""
    graders = getattr(request.app.state, "graders", None)
    return graders.sandbox if graders is not None else None


SettingsDep = Annotated[Settings, Depends(get_settings)]
ScorerDep = Annotated[Scorer, Depends(get_scorer)]
GradersDep = Annotated[Graders, Depends(get_graders)]
SandboxDep = Annotated[SandboxPool | None, Depends(get_sandbox)]

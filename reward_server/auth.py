"""Optional API keys: with keys configured, grading endpoints need ``Authorization: Bearer``."""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request

from reward_server.routes.deps import SettingsDep


async def require_api_key(request: Request, settings: SettingsDep) -> None:
    """A FastAPI dependency; a no-op when the server has no keys configured."""
    keys = settings.api_keys
    if not keys:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise HTTPException(
            status_code=401,
            detail="missing API key: send `Authorization: Bearer <key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not any(secrets.compare_digest(given.encode(), key.encode()) for key in keys):
        raise HTTPException(
            status_code=401, detail="invalid API key", headers={"WWW-Authenticate": "Bearer"}
        )

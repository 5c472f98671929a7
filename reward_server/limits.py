"""Request body limits as pure ASGI middleware: size (413) and arrival time (408).

Enforced while the body streams in, so an oversized body is never buffered whole and a
client trickling bytes cannot hold a connection for ever.
"""

from __future__ import annotations

import asyncio
import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimits:
    """413 once a body passes ``max_bytes`` (with or without Content-Length); 408 when the
    whole body has not arrived within ``timeout_s``."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

    def _message(self) -> str:
        return (
            f"request body exceeds the limit of {self.max_bytes} bytes; "
            "split the batch into smaller requests"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._reject(send)
                return
        received = 0
        body_done = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s

        async def limited_receive() -> Message:
            # Raised while the route reads its body: FastAPI passes HTTPException through.
            nonlocal received, body_done
            if body_done:  # later reads only wait for a disconnect: no deadline there
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise HTTPException(
                    status_code=408,
                    detail=f"request body did not arrive within {self.timeout_s:g} s",
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413, detail=self._message())
                body_done = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)

    async def _reject(self, send: Send) -> None:
        body = json.dumps({"detail": self._message()}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

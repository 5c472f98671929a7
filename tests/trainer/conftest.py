"""Fixtures for the trainer client: a scriptable stand-in service, the real one, a tiny model.

The stand-in is a real FastAPI app served by uvicorn on loopback (in a thread), speaking the
``/score`` contract: it grades ``reward = 1 if answer in completion``, returns null for the
completion ``"UNDECIDED"``, and can be told to answer the next requests with 429/500/422.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reward_server.testing import LocalServer, free_port, local_server

REPO = Path(__file__).resolve().parents[2]


def grade(item: dict[str, Any], weights: dict[str, float]) -> dict[str, Any]:
    """The stand-in grader: substring accuracy, plus format = starts with <think>."""
    completion = item["completion"]
    if completion == "UNDECIDED":
        comp = {"score": None, "weight": 1.0, "detail": {}, "error": {"type": "timeout"}}
        return {"reward": None, "components": {"accuracy": comp}}
    answers = item.get("answer")
    answers = [answers] if isinstance(answers, str) else list(answers or [])
    scores = {
        "accuracy": float(any(a in completion for a in answers)),
        "format": float(completion.startswith("<think>")),
    }
    used = item.get("rewards") or weights
    components = {
        name: {"score": scores.get(name, 0.0), "weight": w, "detail": {}, "error": None}
        for name, w in used.items()
    }
    return {
        "reward": sum(scores.get(n, 0.0) * w for n, w in used.items()),
        "components": components,
    }


@dataclass
class StandIn:
    """Scripted failures (``fail_next``), recorded requests, optional grading delay."""

    url: str = ""
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    delay_s: float = 0.0
    all_null: bool = False  # grade everything as undecided
    reverse_results: bool = False  # answer in reverse order (the contract matches by index)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, times: int = 1, headers: dict[str, str] | None = None):
        self.script.extend([(status, headers or {})] * times)

    def reset(self) -> None:
        with self.lock:
            self.script.clear()
            self.requests.clear()
            self.headers.clear()
            self.times.clear()
            self.delay_s = 0.0
            self.all_null = False
            self.reverse_results = False


def make_app(state: StandIn) -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/score")
    async def score(request: Request) -> JSONResponse:
        import asyncio

        body = await request.json()
        with state.lock:
            state.requests.append(body)
            state.headers.append(dict(request.headers))
            state.times.append(time.monotonic())
            scripted = state.script.pop(0) if state.script else None
        if scripted is not None:
            status, headers = scripted
            return JSONResponse({"detail": f"scripted {status}"}, status, headers=headers)
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        weights = body.get("rewards") or {"accuracy": 1.0}
        if state.all_null:
            body["items"] = [{**item, "completion": "UNDECIDED"} for item in body["items"]]
        results = [
            {
                "index": i,
                "id": item.get("id"),
                "error": None,
                "elapsed_ms": 0.1,
                **grade(item, weights),
            }
            for i, item in enumerate(body["items"])
        ]
        if state.reverse_results:
            results.reverse()
        return JSONResponse({"results": results, "elapsed_ms": 1.0})

    return app


@pytest.fixture(autouse=True)
def _fresh_accelerate_state() -> Iterator[None]:
    """Each test builds its own Accelerator (TRL's and ours differ in cpu/precision flags)."""
    yield
    if "accelerate" in sys.modules:
        from accelerate.state import AcceleratorState, PartialState

        AcceleratorState._reset_state(True)
        PartialState._reset_state()


@pytest.fixture(scope="session")
def _stand_in_server() -> Iterator[StandIn]:
    state = StandIn()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("stand-in server did not start")
        time.sleep(0.05)
    yield state
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def stand_in(_stand_in_server: StandIn) -> Iterator[StandIn]:
    _stand_in_server.reset()
    yield _stand_in_server
    _stand_in_server.reset()


Service = LocalServer


@pytest.fixture(scope="session")
def reward_service() -> Iterator[Service]:
    """The real reward server, started the documented way (no code sandbox)."""
    with local_server(
        {"VR_SANDBOX_ENABLED": "false", "VR_GRADER_WORKERS": "1"}, cwd=REPO
    ) as server:
        yield server


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Qwen2-shaped model with random weights and a locally trained tokenizer."""
    from trainer_client.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=0)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path

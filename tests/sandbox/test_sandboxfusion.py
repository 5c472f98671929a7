"""SandboxFusion-compatible POST /run_code, in the shape verl's client reads."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from types import SimpleNamespace

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from reward_server.compat.sandboxfusion import router
from sandbox import SandboxPool

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def client(pool: SandboxPool) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(router)
    app.state.graders = SimpleNamespace(sandbox=pool)  # what the server's lifespan provides
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sf") as c:
        yield c


async def run_code(client: httpx.AsyncClient, **body: object) -> dict:
    response = await client.post("/run_code", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def test_success(client: httpx.AsyncClient) -> None:
    out = await run_code(client, code="print(int(input()) * 2)", language="python", stdin="21\n",
                         compile_timeout=10, run_timeout=10, memory_limit_MB=-1, files={},
                         fetch_files=[])
    assert out["status"] == "Success" and out["compile_result"] is None
    run = out["run_result"]
    assert run["status"] == "Finished" and run["return_code"] == 0 and run["stdout"] == "42\n"
    assert run["execution_time"] > 0 and out["files"] == {}


async def test_failures(client: httpx.AsyncClient) -> None:
    out = await run_code(client, code="int main( {", language="cpp")
    assert out["status"] == "Failed" and out["run_result"] is None
    assert out["compile_result"]["status"] == "Finished"
    assert out["compile_result"]["return_code"] != 0 and out["compile_result"]["stderr"]
    out = await run_code(client, code="import sys\nprint('x', file=sys.stderr)\nsys.exit(3)")
    assert out["status"] == "Failed"
    assert out["run_result"]["status"] == "Finished" and out["run_result"]["return_code"] == 3
    assert "x" in out["run_result"]["stderr"]
    out = await run_code(client, code="while True: pass", run_timeout=1)
    assert out["status"] == "Failed" and out["run_result"]["status"] == "TimeLimitExceeded"
    out = await run_code(client, code="print(1)", language="cobol")
    assert out["status"] == "SandboxError"


async def test_compiled_language_and_files(client: httpx.AsyncClient) -> None:
    code = ("#include <stdio.h>\nint main(void){FILE*f=fopen(\"in.txt\",\"r\");int x;"
            "fscanf(f,\"%d\",&x);FILE*g=fopen(\"out.txt\",\"w\");fprintf(g,\"%d\",x+1);"
            "printf(\"done\\n\");return 0;}")
    files = {"in.txt": base64.b64encode(b"41").decode()}
    out = await run_code(client, code=code, language="cpp", files=files,
                         fetch_files=["out.txt", "../etc/passwd"])
    assert out["status"] == "Success" and out["compile_result"]["status"] == "Finished"
    assert out["run_result"]["stdout"] == "done\n"
    assert base64.b64decode(out["files"]["out.txt"]) == b"42"
    assert "../etc/passwd" not in out["files"]


async def test_disabled_sandbox_is_503() -> None:
    app = FastAPI()
    app.include_router(router)
    app.state.graders = SimpleNamespace(sandbox=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sf") as c:
        response = await c.post("/run_code", json={"code": "print(1)", "language": "python"})
    assert response.status_code == 503

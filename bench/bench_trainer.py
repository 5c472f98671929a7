"""Step-time breakdown of the bundled GRPO trainer, overlap on vs ``--no-overlap``.

Runs the same seeded training twice against the real reward server and prints, per mode, the
mean seconds per step spent generating, waiting for rewards, computing log-probs and updating,
plus the share of the step spent waiting. Not a test: numbers depend on the machine.

    python bench/bench_trainer.py                         # starts the server, tiny model, CPU
    python bench/bench_trainer.py --grade-delay-ms 300    # emulate a slow grader (sandbox)
    python bench/bench_trainer.py --task code --url http://127.0.0.1:8000   # real code items

``--grade-delay-ms`` puts a small proxy in front of the server that holds each ``/score``
request that long before forwarding it: the grading latency of code run in sandboxes, made
reproducible. The rewards themselves still come from the real server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from fastapi import FastAPI, Request, Response

from reward_server.testing import free_port, start_local_server

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

PHASES = ("generate", "reward_wait", "logprob", "update", "step")


def start_delay_proxy(upstream: str, delay_s: float) -> str:
    """Forward /score to ``upstream`` after ``delay_s``: a slow grader, reproducibly."""
    import httpx
    import uvicorn

    app = FastAPI()
    client = httpx.AsyncClient(base_url=upstream, timeout=300)

    @app.post("/score")
    async def score(request: Request) -> Response:
        body = await request.body()
        await asyncio.sleep(delay_s)
        upstream_response = await client.post(
            "/score", content=body, headers={"content-type": "application/json"}
        )
        return Response(
            upstream_response.content, upstream_response.status_code, media_type="application/json"
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}"


def dataset(task: str, path: Path) -> Path:
    if task == "code":
        rows = [json.loads(x) for x in (REPO / "examples/data/code_sample.jsonl").open()]
    else:
        rows = [
            {"prompt": f"What is {a}+{b}?", "answer": str(a + b)}
            for a in range(10)
            for b in range(10)
        ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run(mode_overlap: bool, args: argparse.Namespace, model: Path, data: Path, url: str):
    from trainer_client.config import GRPOConfig
    from trainer_client.train import train

    cfg = GRPOConfig(
        model_name_or_path=str(model),
        dataset_path=str(data),
        output_dir=str(Path(args.workdir) / ("overlap" if mode_overlap else "no-overlap")),
        reward_url=url,
        rewards={"accuracy": 1.0, "format": 0.2},
        reward_options={"on_error": "zero"},
        num_generations=args.num_generations,
        per_device_train_batch_size=args.num_generations * args.micro_groups,
        gradient_accumulation_steps=args.prompts // args.micro_groups,
        max_completion_length=args.max_completion_length,
        max_steps=args.steps,
        learning_rate=1e-4,
        seed=0,
        overlap=mode_overlap,
        report_to=[],
        save_steps=10**6,
        progress_bar=False,
        use_vllm=args.vllm,
        bf16=args.vllm,
    )
    return train(cfg).history


def summarise(rows: list[dict[str, float]], group_size: int) -> dict[str, float]:
    """Median seconds per phase over the timed steps; tokens/s over all of them."""
    out = {p: statistics.median(r[f"timing/{p}_s"] for r in rows) for p in PHASES}
    out["wait_share"] = out["reward_wait"] / out["step"]
    tokens = [
        r["completions/mean_length"] * r["sampling/groups_generated"] * group_size for r in rows
    ]
    out["gen_tokens_per_s"] = sum(tokens) / max(1e-9, sum(r["timing/generate_s"] for r in rows))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", help="use this server instead of starting one")
    parser.add_argument("--task", choices=["math", "code"], default="math")
    parser.add_argument("--grade-delay-ms", type=float, default=300.0)
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=1, help="steps left out per run")
    parser.add_argument("--repeats", type=int, default=2, help="runs per mode, interleaved")
    parser.add_argument("--prompts", type=int, default=4, help="prompts (groups) per step")
    parser.add_argument("--micro-groups", type=int, default=1, help="groups per micro-batch")
    parser.add_argument("--num-generations", type=int, default=8)
    parser.add_argument("--max-completion-length", type=int, default=128)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--model", help="model dir (default: a tiny random model)")
    parser.add_argument("--vllm", action="store_true", help="generate with vLLM (GPU)")
    parser.add_argument("--workdir", default=tempfile.mkdtemp(prefix="bench-trainer-"))
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    server = None
    url = args.url
    if url is None:
        sandbox = os.environ.get("VR_SANDBOX_ENABLED", "false")
        server = start_local_server({"VR_SANDBOX_ENABLED": sandbox}, cwd=REPO)
        url = server.url
    try:
        if args.grade_delay_ms > 0:
            url = start_delay_proxy(url, args.grade_delay_ms / 1000)
        model = Path(args.model) if args.model else None
        if model is None:
            from trainer_client.tiny import build_tiny_model

            model = build_tiny_model(
                Path(args.workdir) / "model", hidden_size=args.hidden_size, num_layers=args.layers
            )
        data = dataset(args.task, Path(args.workdir) / "data.jsonl")
        histories: dict[str, list[dict[str, float]]] = {"no-overlap": [], "overlap": []}
        for _ in range(args.repeats):  # interleaved, so load from elsewhere hits both modes
            for overlap in (False, True):
                history = run(overlap, args, model, data, url)
                histories["overlap" if overlap else "no-overlap"].extend(history[args.warmup :])
        results = {mode: summarise(rows, args.num_generations) for mode, rows in histories.items()}
    finally:
        if server is not None:
            server.stop()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(
        f"\n{args.task} task, {args.prompts} groups x {args.num_generations} per step, "
        f"{args.max_completion_length} tokens max, grader delay {args.grade_delay_ms:.0f} ms, "
        f"{args.repeats} x {args.steps - args.warmup} timed steps per mode (medians), "
        f"device {device}\n"
    )
    header = ["mode", "generate s", "reward wait s", "logprob s", "update s", "step s"]
    print("| " + " | ".join([*header, "wait share", "gen tok/s"]) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for mode, r in results.items():
        print(
            f"| {mode} | {r['generate']:.3f} | {r['reward_wait']:.3f} | {r['logprob']:.3f} | "
            f"{r['update']:.3f} | {r['step']:.3f} | {100 * r['wait_share']:.1f} % | "
            f"{r['gen_tokens_per_s']:.0f} |"
        )
    ratio = results["no-overlap"]["step"] / results["overlap"]["step"]
    print(f"\nstep time no-overlap / overlap: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

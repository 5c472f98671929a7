"""GPU check of the vLLM path: one GPU, no network, a few minutes. Prints a table; exits 1 on a
failed check. Run it through scripts/gpu_check.sh.

1. Builds the tiny model locally (no hub) and starts the reward server (math/format only).
2. Colocated vLLM with sleep mode: vLLM's sampling log-probs vs the trainer's recomputed ones
   for the same tokens, before any update (mean |diff| must stay under LOGP_TOL nats).
3. Weight sync: a large SGD step on the policy, pushed into vLLM, must change vLLM's greedy
   generations, and vLLM's log-probs must then match the *updated* trainer again.
4. A few GRPO steps end to end (vLLM, sleep mode, importance sampling): step time, tokens/s.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import torch

LOGP_TOL = 0.05  # nats per token: bf16 engine vs fp32-master/bf16-autocast trainer


def main(out: Path) -> int:
    from reward_server.testing import local_server
    from trainer_client.config import GRPOConfig
    from trainer_client.data import PromptEncoder
    from trainer_client.grpo import pad_left, pad_right, token_logprobs
    from trainer_client.model import load_model, load_tokenizer
    from trainer_client.rollout import SamplingSpec, VLLMBackend
    from trainer_client.tiny import build_tiny_model
    from trainer_client.train import train

    out.mkdir(parents=True, exist_ok=True)
    model_dir = build_tiny_model(out / "model", hidden_size=256, num_layers=4, seed=0)
    tokenizer = load_tokenizer(model_dir)
    model = load_model(model_dir).cuda()
    spec = SamplingSpec(max_completion_length=32, temperature=1.0, seed=0)
    backend = VLLMBackend(
        str(model_dir), tokenizer, spec, gpu_memory_utilization=0.3, enable_sleep_mode=True,
        dtype="bfloat16", max_model_len=256,
    )  # fmt: skip
    encode = PromptEncoder(tokenizer, None, True, None)  # what grpo-train feeds the engine
    prompts = [encode({"prompt": f"What is {a}+{a + 3}?"}) for a in range(8)]
    rows: dict[str, object] = {}

    def mismatch() -> tuple[float, float]:
        groups = backend.generate(prompts, 4)
        p_ids, p_mask = pad_left([g.prompt_ids for g in groups for _ in g.completion_ids], 0)
        c_ids, c_mask = pad_right([c for g in groups for c in g.completion_ids], 0)
        ids = torch.cat([p_ids, c_ids], 1).cuda()
        mask = torch.cat([p_mask, c_mask], 1).cuda()
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
            logp, _ = token_logprobs(model, ids, mask, c_ids.shape[1], spec.temperature)
        ref = torch.full(c_ids.shape, float("nan"))
        lps = [lp for g in groups for lp in g.sampling_logprobs or []]
        for i, lp in enumerate(lps):
            ref[i, : len(lp)] = torch.tensor(lp)
        diff = (logp.float().cpu() - ref).abs()[c_mask.bool() & ~ref.isnan()]
        return float(diff.mean()), float(diff.max())

    rows["logp |diff| mean/max before update"] = mismatch()
    greedy = dataclasses.replace(spec, temperature=0.0)
    backend.spec = greedy
    before = [g.completion_ids for g in backend.generate(prompts, 1)]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    backend.sleep()
    backend.update_weights(model)
    after = [g.completion_ids for g in backend.generate(prompts, 1)]
    changed = sum(a != b for a, b in zip(after, before, strict=True))
    rows["greedy generations changed by sync"] = changed
    backend.spec = spec
    rows["logp |diff| mean/max after sync"] = mismatch()
    backend.close()
    torch.cuda.empty_cache()

    data = out / "toy.jsonl"
    data.write_text(
        "".join(json.dumps({"prompt": f"What is {a}+{5 - a}?", "answer": "5"}) + "\n"
                for a in range(6))
    )  # fmt: skip
    with local_server({"VR_SANDBOX_ENABLED": "false"}) as server:
        cfg = GRPOConfig(
            model_name_or_path=str(model_dir), dataset_path=str(data), output_dir=str(out / "run"),
            reward_url=server.url, num_generations=8, per_device_train_batch_size=32,
            max_completion_length=64, max_steps=6, learning_rate=1e-4, bf16=True,
            use_vllm=True, vllm_enable_sleep_mode=True, vllm_gpu_memory_utilization=0.3,
            vllm_max_model_length=256, report_to=["jsonl"], progress_bar=False, save_steps=1000,
        )  # fmt: skip
        start = time.perf_counter()
        history = train(cfg).history
        wall = time.perf_counter() - start
    steps = [m for m in history if "timing/step_s" in m][1:]  # the first step compiles graphs
    step_s = sum(m["timing/step_s"] for m in steps) / max(1, len(steps))
    tokens = sum(m["completions/mean_length"] * 32 for m in steps)
    gen_s = sum(m["timing/generate_s"] for m in steps)
    rows["GRPO steps / wall s"] = (len(history), round(wall, 1))
    rows["step time s (steps 2+)"] = round(step_s, 3)
    rows["generated tokens/s (steps 2+)"] = round(tokens / max(gen_s, 1e-9), 1)
    rows["IS ratio mean (last step)"] = history[-1].get("sampling/importance_sampling_ratio/mean")
    rows["vLLM vs trainer logp |diff| (last step)"] = history[-1].get(
        "sampling/sampling_logp_difference/mean"
    )
    print(f"{'check':45} value")
    for key, value in rows.items():
        print(f"{key:45} {value}")
    failed = []
    if rows["logp |diff| mean/max before update"][0] > LOGP_TOL:  # type: ignore[index]
        failed.append("log-probs disagree before the first update")
    if rows["logp |diff| mean/max after sync"][0] > LOGP_TOL:  # type: ignore[index]
        failed.append("log-probs disagree after the weight sync")
    if rows["greedy generations changed by sync"] == 0:
        failed.append("weight sync did not change vLLM's generations")
    for reason in failed:
        print("FAILED:", reason)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/gpu_check")))

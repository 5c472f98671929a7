"""The GRPO loop: collect -> (old/ref log-probs) -> advantages -> clipped update -> sync weights.

Each arrow is a function from another module; this one wires them together, keeps time and
writes metrics and checkpoints. One step::

    rollouts = collector.collect(step)          # groups generated, rewards in flight
    batches  = build_micro_batches(rollouts)    # [n, P + T] tensors
    old/ref  = fill_logprobs(...)               # while the last groups are still being graded
    for _ in range(num_iterations):
        policy_update(batches, LazyAdvantages)  # each micro-batch waits only for its groups
    backend.update_weights(model)               # vLLM: push weights in buckets

Multi-GPU runs go through ``accelerate launch`` (DDP, FSDP or DeepSpeed configs); each process
samples its own prompts, so groups never straddle processes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer_client.checkpoint import LoopState, load_state, resolve_resume, save_checkpoint
from trainer_client.client import check_service
from trainer_client.collect import Collector, Scorer, StepRollouts, Timer
from trainer_client.config import GRPOConfig
from trainer_client.data import PromptEncoder, PromptSampler, load_jsonl
from trainer_client.metrics import MetricsLogger, Progress
from trainer_client.model import build_optimizer, load_policy
from trainer_client.rollout import (
    RolloutBackend,
    SamplingSpec,
    TransformersBackend,
    VLLMBackend,
    vllm_seed,
)
from trainer_client.step_metrics import rollout_metrics, samples, update_metrics
from trainer_client.update import (
    LazyAdvantages,
    TrainerSetup,
    agree_on_groups,
    build_micro_batches,
    fill_importance_weights,
    fill_logprobs,
    global_reward_std,
    policy_update,
    step_normalizer,
)

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    history: list[dict[str, float]] = field(default_factory=list)  # train steps and eval rows
    output_dir: Path = Path(".")
    final_checkpoint: Path | None = None


def check_distributed(distributed_type: str) -> None:
    """Refuse sharded training: generation and the vLLM weight sync read whole parameters.

    Under FSDP or DeepSpeed ZeRO-3 each process holds a shard, so ``generate`` and
    ``load_weights`` would see fragments. Gathering them (FSDP2 ``full_tensor()``, FSDP1
    ``summon_full_params``, ZeRO-3 ``GatheredParameters``) is not implemented, so these
    launch configs fail at start instead of training on garbage.

    >>> check_distributed("DistributedType.MULTI_GPU")
    >>> check_distributed("FSDP")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: FSDP is not supported by grpo-train: ...
    """
    name = distributed_type.rsplit(".", 1)[-1]
    if name in ("FSDP", "DEEPSPEED", "MEGATRON_LM"):
        raise ValueError(
            f"{name} is not supported by grpo-train: generation and weight sync need unsharded "
            "parameters; launch with DDP (distributed_type: MULTI_GPU)"
        )


def make_backend(
    cfg: GRPOConfig, model: Any, tokenizer: Any, path: str, world: int, process_index: int = 0
) -> RolloutBackend:
    """transformers ``generate`` on the policy itself, or a colocated vLLM engine."""
    spec = SamplingSpec(
        max_completion_length=cfg.max_completion_length,
        temperature=cfg.temperature,
        top_p=cfg.top_p,
        top_k=cfg.top_k,
        seed=vllm_seed(cfg.seed, process_index),
    )
    if not cfg.use_vllm:
        return TransformersBackend(model, tokenizer, spec)
    return VLLMBackend(
        path,
        tokenizer,
        spec,
        gpu_memory_utilization=cfg.vllm_gpu_memory_utilization,
        enable_sleep_mode=cfg.vllm_enable_sleep_mode,
        max_model_len=cfg.vllm_max_model_length,
        dtype="bfloat16" if cfg.bf16 else "auto",
        bucket_mb=cfg.vllm_weight_sync_bucket_mb,
        distributed=world > 1,
    )


class HeldOut:
    """``evaluate_rows`` on ``cfg.eval_dataset_path`` with the live policy."""

    def __init__(
        self, cfg: GRPOConfig, model: Any, tokenizer: Any, backend: Any, scorer: Any, encode: Any
    ) -> None:
        self.cfg = cfg
        self.enabled = cfg.eval_dataset_path is not None
        self.rows = load_jsonl(cfg.eval_dataset_path)[: cfg.eval_limit] if self.enabled else []
        # vLLM holds synced weights already; transformers generates from the policy itself
        self.backend = backend
        self.scorer = scorer
        self.encode = encode

    def run(self, step: int) -> dict[str, float]:
        from trainer_client.evaluate import evaluate_rows

        ks = tuple(k for k in (1, self.cfg.eval_num_samples) if k <= self.cfg.eval_num_samples)
        metrics, _ = evaluate_rows(
            self.rows, self.backend, self.scorer, self.encode,
            num_samples=self.cfg.eval_num_samples, ks=sorted(set(ks)),
            reward_names=list(self.cfg.rewards), item_fields=self.cfg.reward_item_fields,
            max_completion_length=self.cfg.max_completion_length, step=step,
        )  # fmt: skip
        return metrics


def make_scorer(cfg: GRPOConfig) -> Any:
    from trainer_client.client import SyncRewardClient

    return SyncRewardClient(
        cfg.reward_url,
        cfg.rewards,
        options=cfg.reward_options or None,
        api_key=cfg.reward_api_key,
        batch_size=cfg.reward_batch_size,
        max_in_flight=cfg.reward_max_in_flight,
        timeout_s=cfg.reward_timeout_s,
        max_retries=cfg.reward_max_retries,
    )


def train(
    cfg: GRPOConfig, scorer: Scorer | None = None, backend: RolloutBackend | None = None
) -> TrainResult:
    """Run ``cfg.max_steps`` rollout batches; ``scorer``/``backend`` may be injected (tests)."""
    from accelerate import Accelerator
    from accelerate.utils import set_seed
    if scorer is None:
        check_service(cfg.reward_url)  # fail in one line before loading anything
    accelerator = Accelerator(mixed_precision="bf16" if cfg.bf16 else "no")
    check_distributed(str(accelerator.distributed_type))
    set_seed(cfg.seed + accelerator.process_index)
    out_dir = Path(cfg.output_dir)
    resume = resolve_resume(out_dir, cfg.resume_from_checkpoint)
    weights_path = str(resume or cfg.model_name_or_path)
    model, tokenizer = load_policy(cfg, weights_path)
    ref_model = None
    if cfg.beta != 0.0:
        ref_model, _ = load_policy(cfg, cfg.model_name_or_path, trainable=False)
        ref_model.to(accelerator.device)
    optimizer, scheduler = build_optimizer(
        model, cfg, cfg.learning_rate, cfg.warmup_steps, cfg.max_steps * cfg.num_iterations
    )
    # The scheduler stays unwrapped: accelerate's wrapper steps it once per process.
    model, optimizer = accelerator.prepare(model, optimizer)
    model.train()
    state = load_state(resume, optimizer, scheduler) if resume else LoopState()
    unwrapped = accelerator.unwrap_model(model)

    rows = load_jsonl(cfg.dataset_path)
    sampler = PromptSampler(rows, seed=cfg.seed + 7919 * accelerator.process_index)
    sampler.shuffle = cfg.shuffle_dataset
    sampler.drawn = state.prompts_drawn
    encode = PromptEncoder(
        tokenizer, cfg.system_prompt, cfg.apply_chat_template, cfg.max_prompt_length
    )

    owns_scorer, owns_backend = scorer is None, backend is None
    scorer = scorer or make_scorer(cfg)
    backend = backend or make_backend(
        cfg, unwrapped, tokenizer, weights_path, accelerator.num_processes,
        accelerator.process_index,
    )  # fmt: skip
    collector = Collector(
        backend=backend,
        scorer=scorer,
        sampler=sampler,
        encode=encode,
        num_generations=cfg.num_generations,
        max_completion_length=cfg.max_completion_length,
        item_fields=cfg.reward_item_fields,
        prompts_per_generation=cfg.prompts_per_generation,
        overlap=cfg.overlap,
        think_prefilled=cfg.think_prefilled,
    )
    main = accelerator.is_main_process
    logger = MetricsLogger(out_dir, cfg.report_to if main else ())
    if main:
        cfg.to_yaml(out_dir / "config.yaml")
    progress = Progress(cfg.max_steps, state.step, enabled=cfg.progress_bar and main)
    result = TrainResult(output_dir=out_dir)
    setup = TrainerSetup(
        cfg, model, optimizer, scheduler, accelerator, int(tokenizer.pad_token_id), ref_model
    )
    undecided_streak = 0
    evaluator = HeldOut(cfg, unwrapped, tokenizer, backend, scorer, encode)

    def held_out(step: int) -> None:
        """Main process evaluates while the others wait (no collectives inside)."""
        if evaluator.enabled and main:
            eval_metrics = evaluator.run(step)
            logger.log(step, eval_metrics)
            result.history.append({"step": float(step), **eval_metrics})
        accelerator.wait_for_everyone()

    try:
        if state.step == 0:
            held_out(0)
        while state.step < cfg.max_steps:
            metrics = run_step(setup, state, collector)
            backend_sync_start = time.perf_counter()
            backend.update_weights(unwrapped)
            metrics["timing/sync_s"] = time.perf_counter() - backend_sync_start
            metrics["timing/step_s"] += metrics["timing/sync_s"]
            metrics["reward_retries"] = float(getattr(scorer, "retries", 0))
            undecided_streak = undecided_streak + 1 if metrics["reward_null_frac"] == 1.0 else 0
            if undecided_streak >= cfg.max_undecided_steps:
                raise RuntimeError(
                    f"the reward service returned only null rewards for {undecided_streak} steps "
                    f"in a row (last errors: {samples(collector.last)[:2]}); is it healthy?"
                )
            state.step += 1
            state.prompts_drawn = sampler.drawn
            result.history.append(metrics)
            if main and state.step % cfg.logging_steps == 0:
                logger.log(state.step, metrics)
                logger.log_samples(state.step, samples(collector.last))
            progress.update(metrics)
            if state.step == cfg.max_steps or (cfg.eval_steps and state.step % cfg.eval_steps == 0):
                held_out(state.step)
            if state.step % cfg.save_steps == 0 or state.step == cfg.max_steps:
                accelerator.wait_for_everyone()
                if main:
                    result.final_checkpoint = save_checkpoint(
                        out_dir, unwrapped, tokenizer, optimizer, scheduler, state,
                        cfg.save_total_limit,
                    )  # fmt: skip
    finally:
        progress.close()
        logger.close()
        if owns_scorer:
            scorer.close()  # type: ignore[attr-defined]
        if owns_backend:
            backend.close()  # frees the vLLM engine's GPU memory before the process moves on
    return result


def run_step(setup: TrainerSetup, state: LoopState, collector: Collector) -> dict[str, float]:
    """One rollout batch and its ``num_iterations`` updates; returns the step's metrics."""
    cfg, accelerator, scheduler = setup.cfg, setup.accelerator, setup.scheduler
    timer = Timer()
    start = time.perf_counter()
    rollouts: StepRollouts = collector.collect(
        state.step,
        cfg.prompts_per_step,
        timer,
        dynamic_sampling=cfg.dynamic_sampling,
        max_rounds=cfg.max_sampling_rounds,
    )
    collector.backend.sleep()
    metrics: dict[str, float] = {}
    n_train = agree_on_groups(len(rollouts.train), accelerator)
    train_groups = rollouts.train[:n_train]
    metrics["sampling/skipped_update"] = float(n_train == 0)
    if train_groups:
        batch_std = (
            global_reward_std(train_groups, accelerator) if cfg.scale_rewards == "batch" else None
        )
        batches = build_micro_batches(
            train_groups,
            cfg.per_device_train_batch_size,
            setup.pad_token_id,
            cfg.mask_truncated_completions,
            accelerator.device,
        )
        use_is = cfg.vllm_importance_sampling_correction and all(
            b.sampling_logp is not None for b in batches
        )
        # no-grad passes on the bare module: DDP's forward may broadcast buffers, a collective
        # that must not depend on how many micro-batches this process happens to hold
        bare = accelerator.unwrap_model(setup.model)
        with timer("logprob"):
            if cfg.num_iterations > 1 or use_is:
                fill_logprobs(bare, batches, cfg.temperature, "old_logp")
            if use_is:
                metrics.update(fill_importance_weights(batches, cfg))
            if setup.ref_model is not None:
                with accelerator.autocast():
                    fill_logprobs(setup.ref_model, batches, cfg.temperature, "ref_logp")
        norm = step_normalizer(batches, cfg.max_completion_length, accelerator)
        advantages = LazyAdvantages(train_groups, cfg.num_generations, cfg.scale_rewards, batch_std)
        sums: dict[str, float] = {}
        wait_before = timer.totals["reward_wait"]
        update_start = time.perf_counter()
        for iteration in range(cfg.num_iterations):
            step_sums = policy_update(setup, batches, advantages, norm, with_entropy=iteration == 0)
            scheduler.step()
            for key, value in step_sums.items():
                sums[key] = sums.get(key, 0.0) + value
        waited = timer.totals["reward_wait"] - wait_before
        timer.totals["update"] += time.perf_counter() - update_start - waited
        metrics.update(update_metrics(sums, cfg.num_iterations))
        state.num_tokens += int(sum(int(b.attention_mask.sum()) for b in batches))
    metrics.update(rollout_metrics(rollouts.generated, train_groups, list(cfg.rewards)))
    metrics["learning_rate"] = float(scheduler.get_last_lr()[0])
    metrics["num_tokens"] = float(state.num_tokens)
    for phase in ("generate", "reward_wait", "logprob", "update"):
        metrics[f"timing/{phase}_s"] = timer.totals.get(phase, 0.0)
    metrics["timing/step_s"] = time.perf_counter() - start
    return metrics

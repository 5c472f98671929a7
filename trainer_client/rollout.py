"""Sampling G completions per prompt behind one interface: transformers ``generate`` or vLLM.

The trainer only sees ``RolloutBackend``: ``generate(prompt_ids, n)`` returns, per prompt, the
completion token ids cut after the first EOS and whether each hit the length limit;
``update_weights(model)`` is called after every optimizer update. vLLM is imported only when
its backend is built, so CPU installs never need it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import torch

from trainer_client.grpo import pad_left


@dataclass(frozen=True)
class SamplingSpec:
    """What to sample; TRL's names."""

    max_completion_length: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    seed: int = 0


@dataclass(frozen=True)
class Group:
    """G completions of one prompt."""

    prompt_ids: list[int]
    completion_ids: list[list[int]]  # each cut after its first EOS (EOS kept)
    truncated: list[bool]  # True where no EOS came within max_completion_length
    texts: list[str]  # decoded without special tokens: what the grader reads
    # log-prob of each sampled token under the sampler's own (processed) distribution, when the
    # backend reports it: the denominator of the importance weight (importance.importance_weights)
    sampling_logprobs: list[list[float]] | None = None


class RolloutBackend(Protocol):
    def generate(self, prompts: Sequence[list[int]], n: int) -> list[Group]: ...

    def sleep(self) -> None: ...

    def update_weights(self, model: torch.nn.Module) -> None: ...

    def close(self) -> None: ...


def cut_at_eos(ids: Sequence[int], eos_token_ids: Sequence[int], pad_token_id: int | None):
    """Keep tokens up to and including the first EOS; drop trailing padding otherwise.

    >>> cut_at_eos([5, 6, 2, 0, 0], eos_token_ids=[2], pad_token_id=0)
    ([5, 6, 2], False)
    >>> cut_at_eos([5, 6, 7], eos_token_ids=[2], pad_token_id=0)
    ([5, 6, 7], True)
    """
    eos = set(eos_token_ids)
    for i, tok in enumerate(ids):
        if tok in eos:
            return list(ids[: i + 1]), False
    out = list(ids)
    if pad_token_id is not None and pad_token_id not in eos:
        while out and out[-1] == pad_token_id:
            out.pop()
    return out, True


def eos_ids_of(tokenizer: Any, model: Any = None) -> list[int]:
    """Every token id that ends a completion: the tokenizer's EOS plus the generation config's."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if isinstance(gen_eos, int):
        ids.add(gen_eos)
    elif gen_eos:
        ids.update(int(i) for i in gen_eos)
    if not ids:
        raise ValueError("tokenizer has no eos_token_id")
    return sorted(ids)


class TransformersBackend:
    """``model.generate`` on the training model itself: no copy, no weight sync needed."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: Any,
        spec: SamplingSpec,
        return_logprobs: bool = False,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.spec = spec
        # Sampling log-probs cost a [T, P * n, V] copy of the scores; the trainer samples from
        # its own weights here, so it only asks for them to check the log-prob plumbing.
        self.return_logprobs = return_logprobs
        self.eos_token_ids = eos_ids_of(tokenizer, model)
        pad = tokenizer.pad_token_id
        self.pad_token_id = int(pad if pad is not None else self.eos_token_ids[0])

    @torch.no_grad()
    def generate(self, prompts: Sequence[list[int]], n: int) -> list[Group]:
        device = next(self.model.parameters()).device
        ids, mask = pad_left(list(prompts), self.pad_token_id)  # [P, L]
        was_training = self.model.training
        self.model.eval()
        try:
            out = self.model.generate(
                input_ids=ids.to(device),
                attention_mask=mask.to(device),
                do_sample=True,
                temperature=self.spec.temperature,
                top_p=self.spec.top_p,
                top_k=self.spec.top_k or None,
                max_new_tokens=self.spec.max_completion_length,
                num_return_sequences=n,
                eos_token_id=self.eos_token_ids,
                pad_token_id=self.pad_token_id,
                output_scores=self.return_logprobs,
                return_dict_in_generate=True,
            )
        finally:
            self.model.train(was_training)
        sequences = out.sequences  # [P * n, L + T]
        new = sequences[:, ids.shape[1] :]  # [P * n, T]
        logprobs = None
        if self.return_logprobs:
            # scores are the processed logits (temperature, top-k/p) each token was drawn from
            scores = torch.stack(out.scores, dim=1).float()  # [P * n, T, V]
            logprobs = (
                scores.log_softmax(-1).gather(-1, new.unsqueeze(-1)).squeeze(-1).tolist()
            )  # [P * n, T]
        completions = new.tolist()  # [P * n, T]
        groups = []
        for p, prompt in enumerate(prompts):
            rows = [
                cut_at_eos(c, self.eos_token_ids, self.pad_token_id)
                for c in completions[p * n : (p + 1) * n]
            ]
            lps = None if logprobs is None else logprobs[p * n : (p + 1) * n]
            groups.append(
                _group(prompt, rows, self.tokenizer, self.spec.max_completion_length, lps)
            )
        return groups

    def sleep(self) -> None:
        """Nothing to free: the model is shared with training."""

    def update_weights(self, model: torch.nn.Module) -> None:
        """Nothing to do: generation reads the live parameters."""

    def close(self) -> None:
        """Nothing to release."""


def _group(
    prompt: list[int],
    rows: list[tuple[list[int], bool]],
    tokenizer: Any,
    limit: int,
    logprobs: Sequence[Sequence[float]] | None = None,
) -> Group:
    ids = [r[0][:limit] for r in rows]
    return Group(
        prompt_ids=list(prompt),
        completion_ids=ids,
        truncated=[r[1] for r in rows],
        texts=tokenizer.batch_decode(ids, skip_special_tokens=True),
        sampling_logprobs=None
        if logprobs is None
        else [list(lp[: len(c)]) for lp, c in zip(logprobs, ids, strict=True)],
    )


def weight_buckets(
    named: Iterable[tuple[str, torch.Tensor]], bucket_bytes: int
) -> Iterator[list[tuple[str, torch.Tensor]]]:
    """Group (name, tensor) pairs into lists of about ``bucket_bytes`` for ``load_weights``.

    One call per tensor costs a Python round trip per tensor (hundreds per model); one call
    for everything needs a full extra copy. Buckets bound both.
    """
    bucket: list[tuple[str, torch.Tensor]] = []
    size = 0
    for name, tensor in named:
        bucket.append((name, tensor))
        size += tensor.numel() * tensor.element_size()
        if size >= bucket_bytes:
            yield bucket
            bucket, size = [], 0
    if bucket:
        yield bucket


class VLLMBackend:
    """In-process (colocated) vLLM engine; weights pushed from the trainer after every update.

    With ``enable_sleep_mode`` the engine frees its weights and KV cache between rollouts
    (sleep level 2) so the optimizer can use that memory; ``update_weights`` wakes the weights
    and ``generate`` wakes the KV cache.
    """

    def __init__(
        self,
        model_path: str,
        tokenizer: Any,
        spec: SamplingSpec,
        *,
        gpu_memory_utilization: float = 0.3,
        enable_sleep_mode: bool = False,
        max_model_len: int | None = None,
        dtype: str = "auto",
        bucket_mb: int = 256,
        distributed: bool = False,
    ) -> None:
        try:
            import vllm  # noqa: F401  (heavy, GPU-only: imported here, never at module level)
        except ImportError as exc:
            raise ImportError(
                "use_vllm needs vLLM: pip install -e '.[vllm]' from the checkout, on a CUDA machine"
            ) from exc
        from vllm import LLM

        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")  # engine in this process
        self.tokenizer = tokenizer
        self.spec = spec
        self.sleep_mode = enable_sleep_mode
        self.bucket_bytes = bucket_mb * 2**20
        self.eos_token_ids = eos_ids_of(tokenizer)
        extra = {"distributed_executor_backend": "external_launcher"} if distributed else {}
        self.llm = LLM(
            model=model_path,
            tokenizer=model_path,
            gpu_memory_utilization=gpu_memory_utilization,
            enable_sleep_mode=enable_sleep_mode,
            max_model_len=max_model_len,
            dtype=dtype,
            seed=spec.seed,
            # log-probs of the distribution actually sampled (after temperature / top-k / top-p),
            # which is what the trainer recomputes; the default "raw_logprobs" would bias the
            # importance weights whenever temperature != 1
            logprobs_mode="processed_logprobs",
            **extra,
        )
        self._weights_asleep = False
        self._cache_asleep = False

    def _sampling(self, n: int) -> Any:
        from vllm import SamplingParams

        return SamplingParams(
            n=n,
            temperature=self.spec.temperature,
            top_p=self.spec.top_p,
            top_k=self.spec.top_k if self.spec.top_k > 0 else -1,
            max_tokens=self.spec.max_completion_length,
            logprobs=0,  # the sampled token's log-prob only
        )

    def generate(self, prompts: Sequence[list[int]], n: int) -> list[Group]:
        if self._weights_asleep:
            raise RuntimeError("vLLM weights are asleep: call update_weights(model) first")
        if self._cache_asleep:
            self.llm.wake_up(tags=["kv_cache"])
            self._cache_asleep = False
        outputs = self.llm.generate(
            [{"prompt_token_ids": list(p)} for p in prompts], self._sampling(n), use_tqdm=False
        )
        groups = []
        for prompt, out in zip(prompts, outputs, strict=True):
            rows = [(list(o.token_ids), o.finish_reason == "length") for o in out.outputs]
            lps = [sampled_logprobs(o.token_ids, o.logprobs) for o in out.outputs]
            groups.append(
                _group(prompt, rows, self.tokenizer, self.spec.max_completion_length, lps)
            )
        return groups

    def sleep(self) -> None:
        """Free weights and KV cache (level 2) while the trainer updates."""
        if self.sleep_mode and not self._weights_asleep:
            self.llm.sleep(level=2)
            self._weights_asleep = self._cache_asleep = True

    def update_weights(self, model: torch.nn.Module) -> None:
        """Push the policy's parameters into the engine in buckets, then drop stale prefixes."""
        if self._weights_asleep:
            self.llm.wake_up(tags=["weights"])
            self._weights_asleep = False
        target = _engine_model(self.llm)
        params = ((n.removeprefix("module."), p.data) for n, p in model.named_parameters())
        for bucket in weight_buckets(params, self.bucket_bytes):
            if target is not None:
                target.load_weights(bucket)
            else:
                self.llm.apply_model(lambda m, b=bucket: m.load_weights(b))
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        del self.llm


def sampled_logprobs(token_ids: Sequence[int], logprobs: Any) -> list[float]:
    """The sampled token's log-prob at each position of a vLLM ``CompletionOutput``.

    ``logprobs`` is one ``{token_id: Logprob}`` dict per position (``SamplingParams(logprobs=0)``
    keeps just the sampled token); a missing entry or NaN becomes NaN, weight 1 downstream.
    """
    out = []
    for t, tok in enumerate(token_ids):
        entry = logprobs[t].get(tok) if logprobs is not None and t < len(logprobs) else None
        out.append(float("nan") if entry is None else float(entry.logprob))
    return out


def vllm_seed(seed: int, process_index: int, tensor_parallel_size: int = 1) -> int:
    """Each data-parallel rank samples differently; ranks of one TP group must agree (TRL).

    >>> [vllm_seed(42, rank) for rank in range(3)]
    [42, 43, 44]
    """
    return seed + process_index // tensor_parallel_size


def _engine_model(llm: Any) -> Any:
    """The in-process model behind an ``LLM`` (path used by TRL's colocate mode), or None."""
    try:
        worker = llm.llm_engine.model_executor.driver_worker
    except AttributeError:
        return None
    runner = getattr(worker, "model_runner", None) or getattr(
        getattr(worker, "worker", None), "model_runner", None
    )
    return getattr(runner, "model", None)

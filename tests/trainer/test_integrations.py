"""TRL and verl adapters: the shapes each library uses, and a real ``trl.GRPOTrainer`` run."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from trainer_client.integrations import verl
from trainer_client.integrations.trl import build_items, service_reward

from .conftest import StandIn


def test_trl_items_carry_dataset_columns() -> None:
    prompts = [[{"role": "user", "content": "2+3?"}]] * 2
    completions = [[{"role": "assistant", "content": "5"}], [{"role": "assistant", "content": "6"}]]
    built = build_items(
        prompts,
        completions,
        [[1, 2], [3]],
        ["answer", "tests"],
        {"answer": ["5", "5"], "tests": [None, None], "other": [1, 2]},
        8,
    )
    items = [item.to_json() for item in built]
    assert items[0] == {
        "id": 0,
        "prompt": "2+3?",
        "completion": "5",
        "group_id": items[1]["group_id"],
        "completion_tokens": 2,
        "max_tokens": 8,
        "answer": "5",
    }
    assert "tests" not in items[0] and "other" not in items[0]


def test_trl_sync_reward_returns_none_for_undecided(stand_in: StandIn) -> None:
    reward = service_reward(stand_in.url, {"accuracy": 1.0}, name="svc")
    logged: dict[str, float] = {}
    try:
        out = reward(
            prompts=["p", "p", "p"],
            completions=["UNDECIDED", "a 7", "no"],
            completion_ids=[[1], [2], [3]],
            answer=["7", "7", "7"],
            log_metric=logged.__setitem__,
            trainer_state=None,
        )
    finally:
        reward.close()
    assert out == [None, 1.0, 0.0]
    assert logged == {"svc/accuracy": 0.5}
    assert reward.__name__ == "svc"


def test_trl_async_reward(stand_in: StandIn) -> None:
    reward = service_reward(stand_in.url, {"accuracy": 1.0}, asynchronous=True, name="svc_async")
    # TRL (and any caller using the stdlib check) sees a coroutine function, so it awaits it
    assert inspect.iscoroutinefunction(reward)
    assert reward.__name__ == "svc_async"

    async def run() -> list[float | None]:
        try:
            return await reward(prompts=["p"] * 2, completions=["7", "8"], answer=["7", "7"])
        finally:
            await reward.aclose()

    assert asyncio.run(run()) == [1.0, 0.0]


def test_verl_reward_loop_managers_call_shapes(stand_in: StandIn) -> None:
    """verl's reward loop: awaits coroutine functions, runs sync ones in an executor, and
    passes ``strict_box_verify`` (dapo) and router kwargs; the dapo filter reads ``acc``."""
    kwargs = {
        "data_source": "math",
        "ground_truth": "7",
        "extra_info": {"index": 3},
        "strict_box_verify": False,
        "reward_router_address": None,
        "reward_model_tokenizer": None,
        "reward_url": stand_in.url,
        "rewards": {"accuracy": 1.0},
    }

    async def manager() -> list[dict[str, float]]:
        loop = asyncio.get_running_loop()
        assert inspect.iscoroutinefunction(verl.compute_score_async)
        assert not inspect.iscoroutinefunction(verl.compute_score)
        first = await verl.compute_score_async(solution_str="so 7", **kwargs)
        second = await loop.run_in_executor(
            None, lambda: verl.compute_score(solution_str="so 8", **kwargs)
        )
        return [first, second]

    first, second = asyncio.run(manager())
    assert (first["score"], first["acc"]) == (1.0, 1.0)
    assert (second["score"], second["acc"]) == (0.0, 0.0)
    assert first.keys() == second.keys()


@pytest.mark.slow
def test_inside_real_trl_grpo_trainer(tmp_path, tiny_model_dir, stand_in: StandIn) -> None:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    rows = [
        {"prompt": [{"role": "user", "content": f"What is {a}+1?"}], "answer": str(a + 1)}
        for a in range(4)
    ]
    sync_reward = service_reward(stand_in.url, {"accuracy": 1.0, "format": 0.5}, max_tokens=8)
    async_reward = service_reward(
        stand_in.url, {"accuracy": 1.0}, asynchronous=True, name="reward_service_async"
    )
    args = GRPOConfig(
        output_dir=str(tmp_path / "trl"),
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=8,
        max_steps=2,
        logging_steps=1,
        report_to=[],
        use_cpu=True,
        learning_rate=1e-3,
        save_strategy="no",
        seed=0,
    )
    trainer = GRPOTrainer(
        model=model,
        processing_class=tok,
        reward_funcs=[sync_reward, async_reward],
        train_dataset=Dataset.from_list(rows),
        args=args,
    )
    trainer.train()
    sync_reward.close()
    logs = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logs) == 2
    assert (
        "rewards/reward_service/mean" in logs[0] and "rewards/reward_service_async/mean" in logs[0]
    )
    assert "reward_service/accuracy" in logs[0]  # per-component metric from log_metric
    items = [i for body in stand_in.requests for i in body["items"]]
    assert len(items) == 2 * 2 * 4  # 2 steps x 2 reward funcs x 4 completions
    assert {i["answer"] for i in items} <= {"1", "2", "3", "4"}
    assert all(i["max_tokens"] == 8 for i in items if "max_tokens" in i)
    assert len({i["group_id"] for i in items[:4]}) == 1  # one prompt's 4 completions


def test_verl_item_mapping() -> None:
    item = verl.to_item("gsm8k", "so \\boxed{4}", "4", {"index": 12, "question": "2+2?"}).to_json()
    assert item == {"completion": "so \\boxed{4}", "answer": "4", "prompt": "2+2?", "id": "12"}
    code = verl.to_item(
        "apps",
        "```python\nprint(1)\n```",
        '{"inputs": ["\\n"], "outputs": ["1\\n"]}',
        {"language": "python"},
    ).to_json()
    assert code["tests"] == {"inputs": ["\n"], "outputs": ["1\n"]} and code["language"] == "python"
    assert "answer" not in code


def test_verl_compute_score_sync_and_batch(stand_in: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("REWARD_URL", stand_in.url)
    monkeypatch.setenv("REWARD_WEIGHTS", "accuracy:1,format:0.5")
    out = verl.compute_score(
        data_source="x", solution_str="<think>7", ground_truth="7", extra_info={}
    )
    assert out == {"score": 1.5, "acc": 1.0, "reward_null": 0.0, "accuracy": 1.0, "format": 1.0}
    undecided = verl.compute_score("x", "UNDECIDED", "7", None, rewards={"accuracy": 1.0})
    assert undecided == {"score": 0.0, "acc": 0.0, "reward_null": 1.0, "accuracy": 0.0}
    wrong_but_formatted = verl.compute_score("x", "<think>8", "7", None)
    assert wrong_but_formatted["score"] == 0.5 and wrong_but_formatted["acc"] == 0.0
    batch = verl.compute_score_batch(["a", "b"], ["7", "8"], ["7", "7"], None)
    assert [b["score"] for b in batch] == [1.0, 0.0]


def test_verl_async_calls_are_coalesced(stand_in: StandIn) -> None:
    async def run() -> list[dict[str, float]]:
        calls = [
            verl.compute_score_async(
                "x",
                "right" if k == 3 else "wrong",
                "right",
                {"index": k},
                reward_url=stand_in.url,
                rewards={"accuracy": 1.0},
            )
            for k in range(20)
        ]
        return await asyncio.gather(*calls)

    scores = asyncio.run(run())
    assert [s["score"] for s in scores] == [1.0 if k == 3 else 0.0 for k in range(20)]
    assert len(stand_in.requests) == 1  # 20 calls, one request

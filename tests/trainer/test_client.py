"""RewardClient against a real HTTP server that answers like the service, failures included."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from trainer_client.client import (
    RewardClient,
    RewardRequestError,
    RewardServiceUnavailable,
    SyncRewardClient,
    parse_retry_after,
)

from .conftest import StandIn, free_port

FAST = {"backoff_initial_s": 0.01, "backoff_max_s": 0.05}


def items(n: int, answer: str = "7") -> list[dict]:
    return [{"id": f"i{k}", "completion": f"x {k}", "answer": str(k % 3)} for k in range(n)] or [
        {"completion": "7", "answer": answer}
    ]


async def test_results_in_order_across_batches(stand_in: StandIn) -> None:
    stand_in.delay_s = 0.02
    async with RewardClient(stand_in.url, {"accuracy": 1.0}, batch_size=4, max_in_flight=3) as rc:
        results = await rc.score(items(10))
    assert [r.index for r in results] == list(range(10))
    assert [r.id for r in results] == [f"i{k}" for k in range(10)]
    assert [r.reward for r in results] == [
        1.0 if str(k % 3) in f"x {k}" else 0.0 for k in range(10)
    ]
    assert len(stand_in.requests) == 3  # 4 + 4 + 2
    assert sorted(len(b["items"]) for b in stand_in.requests) == [2, 4, 4]  # any arrival order
    assert stand_in.requests[0]["rewards"] == {"accuracy": 1.0}


async def test_in_flight_is_bounded(stand_in: StandIn) -> None:
    stand_in.delay_s = 0.1
    async with RewardClient(stand_in.url, batch_size=1, max_in_flight=2) as rc:
        started = time.monotonic()
        await rc.score(items(6))
        elapsed = time.monotonic() - started
    assert elapsed >= 0.28  # 6 requests, 2 at a time, 0.1 s each: never 3 at once


async def test_429_waits_retry_after_then_succeeds(stand_in: StandIn) -> None:
    stand_in.fail_next(429, times=1, headers={"Retry-After": "0.3"})
    async with RewardClient(stand_in.url, **FAST) as rc:
        [result] = await rc.score([{"completion": "7", "answer": "7"}])
        assert rc.retries == 1
    assert result.reward == 1.0
    gap = stand_in.times[1] - stand_in.times[0]
    assert gap >= 0.28  # honoured the header, not the 0.01 s backoff


async def test_5xx_retried_with_backoff(stand_in: StandIn) -> None:
    stand_in.fail_next(500, times=2)
    stand_in.fail_next(503, times=1)
    async with RewardClient(stand_in.url, max_retries=4, **FAST) as rc:
        [result] = await rc.score([{"completion": "7", "answer": "7"}])
    assert result.reward == 1.0
    assert len(stand_in.requests) == 4


async def test_4xx_never_retried(stand_in: StandIn) -> None:
    stand_in.fail_next(422, times=3)
    async with RewardClient(stand_in.url, max_retries=5, **FAST) as rc:
        with pytest.raises(RewardRequestError) as info:
            await rc.score([{"completion": "7"}])
    assert info.value.status_code == 422
    assert "scripted 422" in str(info.value.detail)
    assert len(stand_in.requests) == 1


async def test_retries_exhausted(stand_in: StandIn) -> None:
    stand_in.fail_next(500, times=10)
    async with RewardClient(stand_in.url, max_retries=2, **FAST) as rc:
        with pytest.raises(RewardServiceUnavailable, match="3 attempts"):
            await rc.score([{"completion": "7"}])
    assert len(stand_in.requests) == 3


async def test_connection_refused_is_retried_then_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    async with RewardClient(url, max_retries=2, **FAST) as rc:
        with pytest.raises(RewardServiceUnavailable) as info:
            await rc.score([{"completion": "7"}])
        assert rc.retries == 2
    assert isinstance(info.value.__cause__, httpx.ConnectError)


async def test_timeout_is_retried(stand_in: StandIn) -> None:
    stand_in.delay_s = 0.5
    async with RewardClient(stand_in.url, timeout_s=0.1, max_retries=1, **FAST) as rc:
        with pytest.raises(RewardServiceUnavailable):
            await rc.score([{"completion": "7"}])
    assert len(stand_in.requests) == 2


async def test_null_reward_and_options_and_api_key(stand_in: StandIn) -> None:
    opts = {"on_error": "null", "timeout_s": 5.0}
    async with RewardClient(stand_in.url, {"accuracy": 1.0}, options=opts, api_key="k3y") as rc:
        results = await rc.score([{"completion": "UNDECIDED"}, {"completion": "7", "answer": "7"}])
    assert results[0].reward is None and results[0].component_score("accuracy") is None
    assert results[1].reward == 1.0 and results[1].component_score("accuracy") == 1.0
    assert stand_in.requests[0]["options"] == opts
    assert stand_in.headers[0]["authorization"] == "Bearer k3y"


def test_sync_client_submit_and_score(stand_in: StandIn) -> None:
    stand_in.delay_s = 0.2
    with SyncRewardClient(stand_in.url, {"accuracy": 1.0, "format": 0.5}) as client:
        future = client.submit([{"completion": "<think>7", "answer": "7"}])
        assert not future.done()  # submit returns while the server is still grading
        [result] = future.result(timeout=5)
        assert result.reward == pytest.approx(1.5)
        assert client.score([{"completion": "no", "answer": "7"}])[0].reward == 0.0
        assert client.healthz()


def test_sync_client_works_inside_running_loop(stand_in: StandIn) -> None:
    async def inside() -> float | None:
        with SyncRewardClient(stand_in.url) as client:  # its own loop thread: no clash
            return client.score([{"completion": "7", "answer": "7"}])[0].reward

    assert asyncio.run(inside()) == 1.0


def test_parse_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10)
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("-5") == 0.0


async def test_results_are_matched_by_index_not_position(stand_in: StandIn) -> None:
    stand_in.reverse_results = True
    async with RewardClient(stand_in.url, {"accuracy": 1.0}, batch_size=4) as rc:
        results = await rc.score(items(6))
    assert [r.id for r in results] == [f"i{k}" for k in range(6)]
    assert [r.reward for r in results] == [1.0 if str(k % 3) in f"x {k}" else 0.0 for k in range(6)]


def test_mismatched_indices_raise() -> None:
    from trainer_client.client import RewardServiceError, match_results

    with pytest.raises(RewardServiceError, match="do not match"):
        match_results([{"index": 0, "reward": 1.0}, {"index": 0, "reward": 0.0}], 2)
    with pytest.raises(RewardServiceError, match="sent 2 items, got 1"):
        match_results([{"index": 0, "reward": 1.0}], 2)

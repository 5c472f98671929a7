"""Client and GRPO trainer for the verifiable-rewards service.

The client (``trainer_client.client``) needs only httpx and tenacity; the trainer modules need
torch and transformers (the ``[train]`` extra). Nothing here imports the server: it speaks HTTP.
"""

from trainer_client.client import (
    RewardClient,
    RewardRequestError,
    RewardServiceError,
    RewardServiceUnavailable,
    ScoreResult,
    SyncRewardClient,
)

__all__ = [
    "RewardClient",
    "RewardRequestError",
    "RewardServiceError",
    "RewardServiceUnavailable",
    "ScoreResult",
    "SyncRewardClient",
]

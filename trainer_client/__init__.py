"""Client and GRPO trainer for the verifiable-rewards service.

The client (``trainer_client.client``, items in ``trainer_client.items``) needs only httpx,
tenacity and pydantic; the trainer modules need torch and transformers (the ``[train]`` extra).
Nothing here imports the server: it speaks HTTP.
"""

from trainer_client.client import (
    RewardClient,
    RewardRequestError,
    RewardServiceError,
    RewardServiceUnavailable,
    ScoreResult,
    SyncRewardClient,
)
from trainer_client.items import ScoreItem

__all__ = [
    "RewardClient",
    "RewardRequestError",
    "RewardServiceError",
    "RewardServiceUnavailable",
    "ScoreItem",
    "ScoreResult",
    "SyncRewardClient",
]

"""verifiable-rewards: a rule-based reward service for RL on verifiable rewards."""

__version__ = "0.1.0"

"""Adapters that let other trainers call the reward service: TRL ``reward_funcs``, verl
``compute_score``. Each imports only the client, never the trainer they plug into."""

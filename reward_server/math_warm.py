"""Imported by the forkserver that forks math workers: warms the grammar once for all."""

from reward_server.rewards.math_check import warm_up

warm_up()

"""Offline grading: ``reward-server score`` and ``reward-server audit`` over a file or dataset."""

"""Without a terminal (a log file, a batch job) the trainer writes one line per step."""

from __future__ import annotations

import pytest

from trainer_client.metrics import Progress


def test_one_line_per_step_when_stderr_is_not_a_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = Progress(total=3, enabled=True)  # capsys: stderr is not a TTY
    for reward in (0.25, 0.5, 1.0):
        progress.update({"reward": reward, "kl": 0.001, "timing/step_s": 0.4})
    progress.close()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "step 1/3  reward 0.250  kl 0.0010  0.40s/step",
        "step 2/3  reward 0.500  kl 0.0010  0.40s/step",
        "step 3/3  reward 1.000  kl 0.0010  0.40s/step",
    ]


def test_disabled_progress_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(total=2, enabled=False)
    progress.update({"reward": 1.0})
    progress.close()
    assert capsys.readouterr().err == ""

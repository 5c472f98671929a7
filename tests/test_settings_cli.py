"""Settings precedence and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from reward_server.settings import ConfigFileError, load_settings


def test_file_then_env_then_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("port: 9100\nmath_timeout_s: 7\ncache_size: 10\n")
    monkeypatch.setenv("VR_MATH_TIMEOUT_S", "3")
    settings = load_settings(config, cache_size=20)
    assert (settings.port, settings.math_timeout_s, settings.cache_size) == (9100, 3.0, 20)


def test_api_keys_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VR_API_KEYS", "one, two")
    assert load_settings().api_keys == ["one", "two"]


def test_invalid_setting_is_reported(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("math_timeout_s: -1\n")
    with pytest.raises(ValueError, match="math_timeout_s"):
        load_settings(config)


def test_rewards_command_lists_the_catalogue() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reward_server.cli", "rewards"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in (
        "accuracy",
        "format",
        "tags",
        "language",
        "length",
        "cosine",
        "overlong",
        "repetition",
        "reasoning_steps",
    ):
        assert name in out


def test_unknown_key_in_config_file_names_it_and_the_nearest(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("max_itmes: 5\nsandbox:\n  pool_sise: 2\n  limits: {time_ss: 1}\n")
    with pytest.raises(ConfigFileError) as caught:
        load_settings(config)
    message = str(caught.value)
    assert "unknown setting `max_itmes` (did you mean `max_items`?)" in message
    assert "`sandbox.pool_sise` (did you mean `sandbox.pool_size`?)" in message
    assert "`sandbox.limits.time_ss` (did you mean `sandbox.limits.time_s`?)" in message


def test_unknown_key_far_from_every_setting_is_still_rejected(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("zzzzzz: 1\n")
    with pytest.raises(ConfigFileError, match=r"unknown setting `zzzzzz`$"):
        load_settings(config)


def test_config_file_must_be_a_mapping(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("- port\n")
    with pytest.raises(ConfigFileError, match="expected a mapping"):
        load_settings(config)


def test_serve_refuses_a_typo_before_starting(tmp_path: Path) -> None:
    config = tmp_path / "server.yaml"
    config.write_text("max_itmes: 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "reward_server.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "max_itmes" in done.stderr and "max_items" in done.stderr
    assert "Traceback" not in done.stderr

"""Every setting of the server, read from env vars (``VR_*``) or a YAML/JSON config file."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from sandbox import SandboxSettings


def _default_workers() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VR_", env_nested_delimiter="__", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, description="uvicorn worker processes")
    log_level: str = "info"
    log_format: Literal["json", "text"] = "text"

    grader_workers: int = Field(
        default_factory=_default_workers, ge=1, description="math grading processes"
    )
    math_timeout_s: float = Field(5.0, gt=0, le=120, description="per-item math deadline")
    request_timeout_s: float = Field(
        300.0, gt=0, description="a request's grading stops here; unfinished items get timeouts"
    )
    cache_size: int = Field(200_000, ge=0, description="verdicts kept per cache (0: no cache)")

    max_items: int = Field(16_384, ge=1, description="items per request (more: 413)")
    max_body_bytes: int = Field(64 * 1024 * 1024, ge=1024, description="request body (413)")
    max_pending_items: int = Field(
        65_536, ge=1, description="items in grading at once; past it, new requests get 429"
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="a request body that takes longer to arrive gets 408"
    )
    max_completion_chars: int = Field(
        1_000_000, ge=1, description="longer completions get an item error"
    )

    default_rewards: dict[str, float] = Field(
        default_factory=lambda: {"accuracy": 1.0},
        description="weights when a request names none (also the OpenRLHF endpoint's)",
    )

    sandbox_enabled: bool = Field(True, description="start the code sandbox pool")
    sandbox: SandboxSettings = Field(
        default_factory=SandboxSettings,
        description="pool size, image, limits, backend: VR_SANDBOX__POOL_SIZE=8, ...",
    )
    sandbox_retry_s: float = Field(
        5.0, gt=0, description="a sandbox pool that could not start is retried this often"
    )

    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Bearer keys, comma-separated in env; empty: no auth"
    )
    protect_metrics: bool = Field(False, description="/metrics needs a key too")
    graceful_shutdown_s: float = Field(
        30.0, ge=0, description="SIGTERM: in-flight requests get this long to finish"
    )

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [key.strip() for key in text.split(",") if key.strip()]
        return value


class ConfigFileError(ValueError):
    """A settings file that is not a mapping, or names a setting that does not exist."""


def unknown_keys(model: type[BaseModel], values: dict[str, Any], prefix: str = "") -> list[str]:
    """One message per key of ``values`` (nested mappings included) that ``model`` has no
    field for, naming the nearest known field when one is close (``difflib``, ratio >= 0.6)."""
    problems: list[str] = []
    fields = model.model_fields
    for key, value in values.items():
        field = fields.get(str(key))
        if field is None:
            near = difflib.get_close_matches(str(key), list(fields), n=1)
            hint = f" (did you mean `{prefix}{near[0]}`?)" if near else ""
            problems.append(f"unknown setting `{prefix}{key}`{hint}")
            continue
        kind = field.annotation
        if isinstance(value, dict) and isinstance(kind, type) and issubclass(kind, BaseModel):
            problems += unknown_keys(kind, value, f"{prefix}{key}.")
    return problems


def read_config_file(path: Path) -> dict[str, Any]:
    """The settings in a YAML/JSON file; unknown keys are an error, so a typo never passes.

    Raises:
        ConfigFileError: the file is not a mapping, or names settings that do not exist.
    """
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        kind = type(values).__name__
        raise ConfigFileError(f"{path}: expected a mapping of settings, got {kind}")
    problems = unknown_keys(Settings, values)
    if problems:
        raise ConfigFileError(f"{path}: " + "; ".join(problems))
    return values


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Config file values, overridden by env vars, overridden by explicit arguments.

    Raises:
        ConfigFileError: the file names a setting that does not exist.
        pydantic.ValidationError: a value is out of range or of the wrong type.
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        file_values = read_config_file(config_file)
    env_values = Settings().model_dump(exclude_unset=True)
    return Settings(
        **{**file_values, **env_values, **{k: v for k, v in overrides.items() if v is not None}}
    )


CONFIG_ENV = "VR_CONFIG"


def settings_from_env() -> Settings:
    """What a uvicorn worker process uses: ``VR_CONFIG`` names the file, ``VR_*`` override it."""
    path = os.environ.get(CONFIG_ENV)
    return load_settings(Path(path) if path else None)

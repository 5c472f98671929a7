"""``reward-server``: run the service, list the reward catalogue, grade or audit a dataset."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from reward_server.settings import CONFIG_ENV, ConfigFileError, load_settings

app = typer.Typer(
    help="verifiable-rewards: a rule-based reward service for RL.", no_args_is_help=True
)


@app.command()
def serve(
    config: Annotated[Path | None, typer.Option(help="YAML/JSON settings file")] = None,
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[int | None, typer.Option(help="uvicorn worker processes")] = None,
    grader_workers: Annotated[int | None, typer.Option(help="math processes per worker")] = None,
    no_sandbox: Annotated[bool, typer.Option("--no-sandbox", help="disable code grading")] = False,
) -> None:
    """Start the HTTP server (settings: file < VR_* env vars < flags)."""
    overrides = {
        "host": host,
        "port": port,
        "workers": workers,
        "grader_workers": grader_workers,
        "sandbox_enabled": False if no_sandbox else None,
    }
    try:
        settings = load_settings(config, **overrides)
    except ConfigFileError as exc:
        raise typer.BadParameter(str(exc), param_hint="--config") from None
    # Worker processes rebuild their settings from the environment: hand everything over.
    if config is not None:
        os.environ[CONFIG_ENV] = str(config.resolve())
    for key, value in overrides.items():
        if value is not None:
            os.environ[f"VR_{key.upper()}"] = (
                json.dumps(value) if isinstance(value, bool) else str(value)
            )
    if settings.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Each worker process counts on its own; /metrics sums them from this folder.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="vr-metrics-")
    uvicorn.run(
        "reward_server.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        timeout_graceful_shutdown=int(settings.graceful_shutdown_s),
        access_log=False,  # the app logs each request itself, with its request id
    )


@app.command()
def rewards() -> None:
    """List the reward catalogue."""
    from reward_server.rewards.catalog import REWARDS

    for name, spec in sorted(REWARDS.items()):
        typer.echo(f"{name:16} {spec.summary}")


from reward_server.offline.cli import audit, score  # noqa: E402  (commands of their own module)

app.command()(score)
app.command()(audit)

if __name__ == "__main__":
    app()

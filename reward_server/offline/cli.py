"""The ``score`` and ``audit`` commands of ``reward-server`` (thin: parse, hand off, print)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from reward_server.offline.backends import BackendError, open_backend, run_loop
from reward_server.offline.rows import InputError, load_rows, parse_mapping, parse_weights, to_item
from reward_server.offline.score import OutputMismatch, done_rows, grade_into, read_output
from reward_server.offline.summary import summarize, to_markdown, write_histogram
from reward_server.settings import Settings, load_settings

Url = Annotated[
    str | None, typer.Option(help="grade on this running service instead of in this process")
]
Rewards = Annotated[str, typer.Option(help="reward:weight list, e.g. accuracy:1,format:0.5")]
Mapping_ = Annotated[
    str | None,
    typer.Option("--map", help="item field=column, e.g. completion=response,answer=solution"),
]
Split = Annotated[str | None, typer.Option(help="split of a Hugging Face dataset")]
Config = Annotated[Path | None, typer.Option(help="server settings file (in-process grading)")]
Workers = Annotated[int | None, typer.Option(help="math processes (in-process grading)")]
ApiKey = Annotated[str | None, typer.Option(envvar="VR_API_KEY", help="bearer key for --url")]


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def local_settings(
    config: Path | None,
    workers: int | None,
    items: list[dict[str, Any]],
    weights: dict[str, float],
) -> Settings:
    """The server's settings; the sandbox starts only when some item needs a program run."""
    from reward_server.rewards.catalog import resources_used

    runs_code = "sandbox" in resources_used(weights)
    needs_code = runs_code and any("tests" in item for item in items)
    return load_settings(config, grader_workers=workers, sandbox_enabled=needs_code)


def score(
    input: Annotated[
        str, typer.Argument(help="JSONL, JSON, Parquet, a saved or cached HF dataset")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file to write (appended)")],
    rewards: Rewards = "accuracy:1",
    url: Url = None,
    mapping: Mapping_ = None,
    split: Split = None,
    report: Annotated[Path | None, typer.Option(help="write the summary as markdown")] = None,
    config: Config = None,
    grader_workers: Workers = None,
    api_key: ApiKey = None,
    chunk_size: Annotated[int, typer.Option(min=1, help="rows per grading request")] = 256,
    in_flight: Annotated[int, typer.Option(min=1, help="requests graded at once")] = 4,
    log_every: Annotated[int, typer.Option(min=1, help="rows per progress line")] = 1000,
    overwrite: Annotated[bool, typer.Option(help="start OUTPUT afresh")] = False,
) -> None:
    """Grade every row of INPUT into OUTPUT (resumable), then print a summary."""
    try:
        weights, columns = parse_weights(rewards), parse_mapping(mapping)
        rows = load_rows(input, split)
    except InputError as exc:
        raise fail(str(exc)) from exc
    items = [to_item(row, columns) for row in rows]
    if overwrite:
        output.unlink(missing_ok=True)
    output.parent.mkdir(parents=True, exist_ok=True)

    try:  # before any grader starts: a mismatch fails at once
        done = done_rows(read_output(output), weights)
    except OutputMismatch as exc:
        raise fail(str(exc)) from exc
    pending = [item for index, item in enumerate(items) if index not in done]

    async def run() -> tuple[Any, float]:
        started = time.perf_counter()
        settings = local_settings(config, grader_workers, pending, weights)
        async with open_backend(url, weights, settings, api_key) as backend:
            startup = time.perf_counter() - started
            stats = await grade_into(
                backend, rows, items, output, weights, chunk_size, in_flight, log_every
            )
        return stats, startup

    try:
        stats, startup = run_loop(run())
    except (BackendError, OutputMismatch) as exc:
        raise fail(str(exc)) from exc
    except KeyboardInterrupt:
        kept = len(read_output(output))
        typer.echo(
            f"\ninterrupted: {output} holds {kept} complete rows; "
            "run the same command again to resume",
            err=True,
        )
        raise typer.Exit(130) from None
    where = url or "in-process"
    typer.echo(
        f"graded {stats.graded} rows ({where}) in {stats.seconds:.2f} s: "
        f"{stats.rows_per_s:.1f} items/s; start-up {startup:.2f} s; "
        f"{stats.skipped} rows were already in {output}"
    )
    summary = summarize(read_output(output), columns)
    histogram = None
    if report is not None:
        png = report.with_suffix(".png")
        histogram = png.name if write_histogram(summary.rewards, png) else None
        title = f"# Rewards of {input}\n\nrewards: `{rewards}`; graded {where}\n\n"
        report.write_text(title + to_markdown(summary, histogram), encoding="utf-8")
    typer.echo(to_markdown(summary))


def audit(
    input: Annotated[
        str, typer.Argument(help="JSONL, JSON, Parquet, a saved or cached HF dataset")
    ],
    rewards: Rewards = "accuracy:1",
    url: Url = None,
    mapping: Mapping_ = None,
    split: Split = None,
    sample: Annotated[int, typer.Option(min=0, help="rows to audit (0: all)")] = 200,
    seed: Annotated[int, typer.Option(help="seed of the row sample")] = 0,
    report: Annotated[Path | None, typer.Option(help="write the table as markdown")] = None,
    config: Config = None,
    grader_workers: Workers = None,
    api_key: ApiKey = None,
) -> None:
    """Grade junk answers, references and repeats on INPUT's rows; exit 1 if junk earns accuracy,
    a reference fails or a reward changes."""
    from reward_server.offline.audit import audit_rows, run_audit
    from reward_server.offline.audit import to_markdown as audit_markdown

    try:
        weights, columns = parse_weights(rewards), parse_mapping(mapping)
        rows = load_rows(input, split)
    except InputError as exc:
        raise fail(str(exc)) from exc
    weights.setdefault("accuracy", 1.0)  # the audit is about accuracy
    chosen, skipped = audit_rows(rows, columns, sample, seed)
    if not chosen:
        raise fail(f"{input}: no row has an answer or tests to audit (see --map)")

    async def run() -> Any:
        settings = local_settings(config, grader_workers, [r.item for r in chosen], weights)
        async with open_backend(url, weights, settings, api_key) as backend:
            return await run_audit(backend, chosen)

    try:
        result = run_loop(run())
    except BackendError as exc:
        raise fail(str(exc)) from exc
    result.skipped = skipped
    text = audit_markdown(result)
    if report is not None:
        title = (
            f"# Grader audit of {input}\n\nrewards: `{rewards}`; graded {url or 'in-process'}\n\n"
        )
        report.write_text(title + audit_markdown(result, limit=10**9), encoding="utf-8")
    typer.echo(text)
    if result.failed:
        raise typer.Exit(1)

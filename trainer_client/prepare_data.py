"""``grpo-train prepare-data``: a math dataset in, the trainer's JSONL out.

    grpo-train prepare-data openai/gsm8k data/gsm8k_train.jsonl --name main --split train
    grpo-train prepare-data ~/data/math500_test.jsonl data/math500.jsonl

The source is a local file (``.jsonl``, ``.json``, ``.csv``, ``.parquet``), a folder holding a
dataset repository's files (``--name`` picks its sub-folder), or a Hugging Face dataset id;
an id already in the local HF cache loads without network with ``HF_HUB_OFFLINE=1``. Each
output line is ``{"prompt": str, "answer": str}`` (docs/trainer.md, "Data"); the output's
folder is created.

Formats (``--format``, detected from the columns by default):

- ``gsm8k``: ``question``; the answer is what follows ``####`` in ``answer`` (GSM8K's
  convention, Cobbe et al. 2021), thousands separators removed.
- ``math``: ``problem``; ``answer`` when the row has one (MATH-500), else the last
  ``\\boxed{...}`` of ``solution`` (MATH, Hendrycks et al. 2021).
- ``prompt``: rows that already hold ``prompt`` and ``answer``; other columns are kept.

Needs ``datasets`` (the ``train`` extra).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCAL_BUILDERS = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet"}
FORMATS = ("auto", "gsm8k", "math", "prompt")


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced; None
    when there is none or it never closes."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth, begin = 1, i
    while i < len(text):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i].strip()
        i += 1
    return None


def detect_format(columns: Iterable[str]) -> str:
    """``gsm8k``, ``math`` or ``prompt`` from a row's column names.

    Raises:
        ValueError: no known format fits; the message lists the columns.
    """
    cols = set(columns)
    if {"prompt", "answer"} <= cols:
        return "prompt"
    if {"question", "answer"} <= cols:
        return "gsm8k"
    if "problem" in cols and cols & {"answer", "solution"}:
        return "math"
    raise ValueError(
        f"cannot tell the format from the columns {sorted(cols)}: pass --format "
        "(gsm8k needs question+answer, math needs problem+answer or problem+solution)"
    )


def convert_row(row: Mapping[str, Any], fmt: str) -> dict[str, Any] | None:
    """One trainer row, or None when the source row has no usable answer."""
    if fmt == "prompt":
        return dict(row) if row.get("answer") not in (None, "") else None
    if fmt == "gsm8k":
        text = str(row["answer"])
        if "####" not in text:
            return None
        answer = text.split("####")[-1].strip().replace(",", "")
        return {"prompt": str(row["question"]), "answer": answer} if answer else None
    if fmt == "math":
        answer = row.get("answer") or last_boxed(str(row.get("solution") or ""))
        return {"prompt": str(row["problem"]), "answer": str(answer)} if answer else None
    raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")


def load_rows(source: str, name: str | None = None, split: str = "train") -> Iterable[Any]:
    """Rows of a local file, or of a Hugging Face dataset (from the HF cache when offline)."""
    import datasets

    path = Path(source).expanduser()
    if path.is_file():
        builder = LOCAL_BUILDERS.get(path.suffix.lower())
        if builder is None:
            raise ValueError(f"{path}: unknown file type; one of {sorted(LOCAL_BUILDERS)}")
        return datasets.load_dataset(builder, data_files=str(path), split="train")
    if path.is_dir():  # a dataset repository's files, e.g. a copy of openai/gsm8k
        return datasets.load_dataset(str(path), data_dir=name, split=split)
    if source.startswith((".", "/", "~")):
        raise ValueError(f"{source}: no such file or folder")
    return datasets.load_dataset(source, name, split=split)


def prepare(
    source: str,
    out: str | Path,
    fmt: str = "auto",
    name: str | None = None,
    split: str = "train",
    limit: int | None = None,
) -> tuple[Path, int, int]:
    """Write ``out``; returns (path, rows written, source rows skipped for lack of an answer).

    Raises:
        ValueError: unknown file type or format, or no row had an answer.
    """
    rows = load_rows(source, name, split)
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    written = skipped = 0
    tmp = out_path.with_name(out_path.name + ".tmp")
    with tmp.open("w") as f, _removed_on_error(tmp):
        for row in rows:
            if limit is not None and written >= limit:
                break
            use = detect_format(row) if fmt == "auto" else fmt
            converted = convert_row(row, use)
            if converted is None:
                skipped += 1
                continue
            f.write(json.dumps(converted, ensure_ascii=False) + "\n")
            written += 1
    if written == 0:
        tmp.unlink()
        raise ValueError(f"{source}: no row with an answer ({skipped} skipped)")
    tmp.replace(out_path)  # a half-written file never looks like a finished one
    return out_path, written, skipped


@contextmanager
def _removed_on_error(path: Path) -> Iterator[None]:
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="grpo-train prepare-data", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("source", help="local .jsonl/.json/.csv/.parquet, or a HF dataset id")
    parser.add_argument("out", help="output JSONL (its folder is created)")
    parser.add_argument("--format", choices=FORMATS, default="auto", dest="fmt")
    parser.add_argument("--name", help="HF dataset config, e.g. `main` for openai/gsm8k")
    parser.add_argument("--split", default="train", help="HF dataset split")
    parser.add_argument("--limit", type=int, help="write at most this many rows")
    args = parser.parse_args(list(argv))
    try:
        path, written, skipped = prepare(
            args.source, args.out, args.fmt, args.name, args.split, args.limit
        )
    except ValueError as exc:
        parser.error(str(exc))
    note = f" ({skipped} without an answer skipped)" if skipped else ""
    print(f"{path}: {written} rows{note}")
    return 0

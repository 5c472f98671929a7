"""Reading rows from JSONL, JSON, Parquet or a Hugging Face dataset, and turning rows into items.

A row becomes an item by taking the columns named after item fields (``completion``, ``answer``,
``tests``, ``prompt``, ...), after a mapping renames them (``completion=response``; a dotted
source reads a nested field: ``answer=reward_model.ground_truth`` for verl's parquet files).
Values are coerced the way datasets store them: chat message lists become their text, numeric
answers become strings, JSON-encoded tests are decoded. Whatever still does not fit becomes that
row's ``invalid_item`` error when it is graded, never a crash.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trainer_client import weights

# Item fields read from a column of the same name unless mapped; ``rewards`` (per-item weights)
# is left out on purpose: stored rollouts often carry a ``rewards`` column of numbers.
ITEM_COLUMNS = (
    "id",
    "prompt",
    "completion",
    "answer",
    "tests",
    "language",
    "target_language",
    "think_prefilled",
    "group_id",
    "completion_tokens",
    "max_tokens",
)
# Not item fields, but read through the same mapping: a reference solution (audit) and the
# column that names a row's source (summary breakdown).
EXTRA_COLUMNS = ("reference", "source")
# Column names datasets commonly use for a field, tried in order when no mapping names one.
DEFAULT_COLUMNS = {
    "prompt": ("prompt", "problem", "question"),
    "answer": ("answer", "expected_answer", "ground_truth"),
    "source": ("data_source", "source", "dataset"),
    "reference": ("reference", "solution", "canonical_solution"),
}


class InputError(ValueError):
    """The input cannot be read (missing file, unknown format, missing optional package)."""


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"completion=response,answer=solution"`` -> ``{"completion": "response", ...}``."""
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        field, sep, column = part.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not field or not column:
            raise InputError(f"--map: {part!r} is not field=column")
        if field not in ITEM_COLUMNS + EXTRA_COLUMNS + ("rewards",):
            known = ", ".join(ITEM_COLUMNS + EXTRA_COLUMNS)
            raise InputError(f"--map: {field!r} is not an item field; known: {known}")
        mapping[field] = column
    return mapping


def parse_weights(spec: str) -> dict[str, float]:
    """``--rewards accuracy:1,format:0.5`` -> weights (``weights.parse_weights``) or InputError."""
    try:
        return weights.parse_weights(spec)
    except weights.WeightsError as exc:
        raise InputError(f"--rewards: {exc}") from exc


def load_rows(source: str, split: str | None = None) -> list[dict[str, Any]]:
    """Every row of ``source`` as a plain dict.

    ``source``: a ``.jsonl``/``.json``/``.parquet`` file, a folder written by
    ``datasets.Dataset.save_to_disk``, or the name of a dataset already in the local Hugging
    Face cache (read offline). ``split`` picks one split of a ``DatasetDict`` (default: the only
    split, else ``test``, else ``train``). Raises ``InputError``.
    """
    path = Path(source)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(path)
        if suffix == ".json":
            return _read_json(path)
        if suffix == ".parquet":
            return _read_parquet(path)
        raise InputError(f"{source}: unknown format {suffix!r} (jsonl, json, parquet)")
    if path.is_dir():
        return _read_dataset(source, split, from_disk=True)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json", ".parquet") or source.startswith(
        (".", "/", "~")
    ):
        raise InputError(f"{source}: no such file or folder")
    return _read_dataset(source, split, from_disk=False)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            rows.append(row if isinstance(row, dict) else {"value": row})
    return rows


def _read_json(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg})") from exc
    if isinstance(data, dict):  # {"data": [...]} / {"rows": [...]}: the one list inside
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise InputError(f"{path}: expected a list of rows")
        data = lists[0]
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of rows")
    return [row if isinstance(row, dict) else {"value": row} for row in data]


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise InputError(
            "reading Parquet needs pyarrow: pip install 'verifiable-rewards[offline]'"
        ) from exc
    return pq.read_table(path).to_pylist()


def _read_dataset(source: str, split: str | None, from_disk: bool) -> list[dict[str, Any]]:
    # No hub here and none needed: a name must already be in the local cache.
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        import datasets
    except ImportError as exc:
        raise InputError(
            f"{source}: reading a Hugging Face dataset needs `datasets`: "
            "pip install 'verifiable-rewards[offline]'"
        ) from exc
    try:
        if from_disk:
            loaded = datasets.load_from_disk(source)
        else:
            loaded = datasets.load_dataset(source, split=split)
    except Exception as exc:  # datasets raises many types for "not there"
        raise InputError(f"{source}: cannot load dataset ({type(exc).__name__}: {exc})") from exc
    if isinstance(loaded, datasets.DatasetDict):
        names = list(loaded)
        chosen = split or (names[0] if len(names) == 1 else "test" if "test" in names else "train")
        if chosen not in loaded:
            raise InputError(f"{source}: no split {chosen!r}; splits: {names}")
        loaded = loaded[chosen]
    return loaded.to_list()


def lookup(row: Mapping[str, Any], column: str) -> Any:
    """``row[column]``, where a dotted column reads nested objects (``a.b``)."""
    if column in row:
        return row[column]
    value: Any = row
    for key in column.split("."):
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _message_text(value: Any, role: str | None) -> Any:
    """A chat list (``[{"role", "content"}]``) -> the text of its last ``role`` message."""
    if isinstance(value, Mapping) and "content" in value:
        return value["content"]
    if isinstance(value, list) and value and all(isinstance(m, Mapping) for m in value):
        chosen = [m for m in value if role is None or m.get("role") == role] or list(value)
        content = chosen[-1].get("content")
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
        return content
    return value


def _coerce(field: str, value: Any) -> Any:
    if field == "completion":
        return _message_text(value, "assistant")
    if field == "prompt":
        return _message_text(value, "user")
    if field == "answer":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, list):
            return [v if isinstance(v, str) else str(v) for v in value]
    if field == "tests" and isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        return decoded
    return value


def column_of(field: str, mapping: Mapping[str, str], row: Mapping[str, Any]) -> str | None:
    """Which column feeds ``field``: the mapped one, else a default name present in the row."""
    if field in mapping:
        return mapping[field]
    defaults = DEFAULT_COLUMNS.get(field, (field,))
    return next((name for name in defaults if name in row), None)


def to_item(row: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    """The ``/score`` item a row stands for; rows of one prompt form a group by default."""
    item: dict[str, Any] = {}
    fields = ITEM_COLUMNS + (("rewards",) if "rewards" in mapping else ())
    for field in fields:
        column = column_of(field, mapping, row)
        value = lookup(row, column) if column else None
        if value is not None:
            item[field] = _coerce(field, value)
    if "group_id" not in item and isinstance(item.get("prompt"), str):
        item["group_id"] = item["prompt"]
    return item


def extra_field(row: Mapping[str, Any], field: str, mapping: Mapping[str, str]) -> Any:
    """A non-item field (``reference``, ``source``) through the mapping and its defaults."""
    column = column_of(field, mapping, row)
    return lookup(row, column) if column else None

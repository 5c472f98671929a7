"""``reward-server audit``: prove a grader setup pays nothing for junk on a given dataset.

For a sample of rows, three checks, all graded by the same backend as ``score``:

1. every battery entry (``offline.battery``) must earn accuracy 0 on every row;
2. the reference written as an answer must earn accuracy 1 (else the row is unusable);
3. the same completion graded twice, in separate requests, must earn the same reward.

The audit fails (``AuditResult.failed``) if any junk earned accuracy, a reference failed or a
reward changed between the two passes. Junk that gets a null accuracy is reported apart:
nothing a completion does should force a null, but a null pays nothing either.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reward_server.offline.backends import Backend, Graded, grade_many
from reward_server.offline.battery import BATTERY, AuditRow, reference_completion
from reward_server.offline.rows import extra_field, to_item


@dataclass
class EntryResult:
    tried: int = 0
    earned_accuracy: list[int] = field(default_factory=list)  # row indices
    earned_reward: list[int] = field(default_factory=list)
    null: list[int] = field(default_factory=list)
    extracted: dict[int, Any] = field(default_factory=dict)  # row -> what the grader read


@dataclass
class AuditResult:
    rows: int
    kinds: dict[str, int]
    skipped: int  # rows with neither an answer nor tests
    entries: dict[str, EntryResult]
    reference: EntryResult  # here earned_accuracy lists the rows that FAILED
    unstable: list[int]  # rows whose reward changed between passes

    @property
    def junk_paid(self) -> dict[str, list[int]]:
        return {n: e.earned_accuracy for n, e in self.entries.items() if e.earned_accuracy}

    @property
    def failed(self) -> bool:
        return bool(self.junk_paid or self.reference.earned_accuracy or self.unstable)


def audit_rows(
    rows: Sequence[Mapping[str, Any]], mapping: Mapping[str, str], sample: int, seed: int
) -> tuple[list[AuditRow], int]:
    """The sampled rows that can be audited, and how many were skipped (no answer, no tests)."""
    indices = list(range(len(rows)))
    if 0 < sample < len(rows):
        indices = sorted(random.Random(seed).sample(indices, sample))
    chosen, skipped = [], 0
    for index in indices:
        item = to_item(rows[index], mapping)
        if "tests" in item:
            reference = extra_field(rows[index], "reference", mapping)
            kind = "code"
        elif "answer" in item:
            answer = item["answer"]
            reference = answer[0] if isinstance(answer, list) and answer else answer
            kind = "math"
        else:
            skipped += 1
            continue
        ref = reference if isinstance(reference, str) and reference.strip() else None
        chosen.append(AuditRow(index, kind, item, ref))  # type: ignore[arg-type]
    return chosen, skipped


def _item(row: AuditRow, completion: str, case: str) -> dict[str, Any]:
    """The row's item with ``completion`` in place; its own group, so group rewards stay apart."""
    item = {k: v for k, v in row.item.items() if k not in ("id", "completion", "group_id")}
    name = f"{row.index}:{case}"
    return {**item, "completion": completion, "id": name, "group_id": name}


def _accuracy(graded: Graded) -> float | None:
    return graded.components.get("accuracy")


async def run_audit(
    backend: Backend, rows: Sequence[AuditRow], chunk_size: int = 64, in_flight: int = 8
) -> AuditResult:
    """Grade the battery, the references and the determinism pair for ``rows``."""
    cases: list[tuple[str, AuditRow]] = []
    items: list[dict[str, Any]] = []
    for row in rows:
        for entry in BATTERY:
            if row.kind in entry.kinds and (completion := entry.build(row)) is not None:
                cases.append((entry.name, row))
                items.append(_item(row, completion, entry.name))
        if (reference := reference_completion(row)) is not None:
            cases.append(("reference", row))
            items.append(_item(row, reference, "reference"))
    own = [
        _item(row, row.item.get("completion") or reference_completion(row) or "", "repeat")
        for row in rows
    ]
    graded = await grade_many(backend, items + own, chunk_size, in_flight)
    second = await grade_many(backend, own, chunk_size, in_flight)

    entries = {entry.name: EntryResult() for entry in BATTERY}
    reference = EntryResult()
    for (name, row), result in zip(cases, graded, strict=False):
        accuracy = _accuracy(result)
        if name == "reference":
            reference.tried += 1
            if accuracy is None or accuracy < 1.0:
                reference.earned_accuracy.append(row.index)
                reference.extracted[row.index] = result.error or (result.detail or {})
            continue
        slot = entries[name]
        slot.tried += 1
        if accuracy is None:
            slot.null.append(row.index)
        elif accuracy > 0:
            slot.earned_accuracy.append(row.index)
            slot.extracted[row.index] = (result.detail or {}).get("extracted")
        if result.reward is not None and result.reward > 0:
            slot.earned_reward.append(row.index)
    first = graded[len(cases) :]
    unstable = [
        row.index
        for row, a, b in zip(rows, first, second, strict=True)
        if (a.reward, a.components) != (b.reward, b.components)
    ]
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row.kind] = kinds.get(row.kind, 0) + 1
    return AuditResult(len(rows), kinds, 0, entries, reference, unstable)


def _rows(indices: Sequence[int], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in indices[:limit])
    return shown + (f", ... ({len(indices)} rows)" if len(indices) > limit else "")


def to_markdown(result: AuditResult, limit: int = 8) -> str:
    """The table ``audit`` prints (``limit`` offending rows named per line) and ``--report``
    writes (every one)."""
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.kinds.items()))
    lines = [
        f"audited rows: {result.rows} ({kinds}); skipped (no answer, no tests): {result.skipped}",
        "",
        "| battery entry | rows tried | earned accuracy | earned any reward | null accuracy |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, entry in result.entries.items():
        if entry.tried:
            lines.append(
                f"| {name} | {entry.tried} | {len(entry.earned_accuracy)} | "
                f"{len(entry.earned_reward)} | {len(entry.null)} |"
            )
    ref = result.reference
    lines += [
        "",
        f"references as answers: {ref.tried - len(ref.earned_accuracy)}/{ref.tried} "
        "earned full accuracy",
        f"same completion graded twice: {result.rows - len(result.unstable)}/{result.rows} "
        "gave the same reward",
    ]
    for name, rows in result.junk_paid.items():
        extracted = result.entries[name].extracted
        examples = "; ".join(f"row {i}: {extracted.get(i)!r}"[:120] for i in rows[:3])
        lines.append(f"- FAIL `{name}` earned accuracy on rows {_rows(rows, limit)} ({examples})")
    if ref.earned_accuracy:
        failed = _rows(ref.earned_accuracy, limit)
        lines.append(f"- FAIL reference did not earn accuracy on rows {failed}")
    if result.unstable:
        lines.append(
            f"- FAIL reward changed between passes on rows {_rows(result.unstable, limit)}"
        )
    lines.append("")
    lines.append("verdict: " + ("FAIL" if result.failed else "PASS"))
    return "\n".join(lines) + "\n"

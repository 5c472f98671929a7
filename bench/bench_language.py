"""Accuracy of the ``language`` reward on real text mixed at known ratios.

Real sentences from Django's human translations (``bench/language_corpus.py``) are mixed
per (target, foreign) pair: a reasoning of target sentences with foreign sentences between
them (``sentences``), or target sentences with a short foreign label spliced in after a
comma (``interjections``, e.g. "..., Save and continue editing, ..."). The true ratio is
counted with the reward's own word units on each piece alone; the table shows it next to
the reported ratio, averaged over ``--samples`` texts per cell, and the time per call.

Baseline: what a grader built on langdetect does (open-r1's language PR, most scripts):
``detect`` (seeded) on each sentence, the ratio being the words of the sentences labelled
with the target. It is scored on the first ``--baseline-samples`` texts of every cell.
Run: ``python bench/bench_language.py [--samples 20] [--out docs/language.md]``.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import markdown_table  # noqa: E402
from bench.language_corpus import phrases, sentences  # noqa: E402
from reward_server.rewards.language import count_words, language_reward  # noqa: E402
from reward_server.rewards.language_model import warm  # noqa: E402
from reward_server.rewards.registry import NoParams  # noqa: E402
from reward_server.schemas import Item  # noqa: E402

LANGS = ("en", "fr", "de", "es", "it", "ru", "zh", "ja")
FOREIGN_SHARES = (0.0, 0.1, 0.25, 0.5)  # share of sentences in the foreign language
SENTENCES_PER_TEXT = 12


def words(text: str, lang: str) -> int:
    counts, undecided = count_words(text, lang)
    return sum(counts.values()) + undecided


def join(lang: str, pieces: list[str]) -> str:
    return ("" if lang in ("zh", "ja") else " ").join(pieces)


def mixed_sentences(rng: random.Random, target: str, foreign: str, share: float):
    """(text, true target share): foreign sentences in random places among target ones."""
    n_foreign = round(SENTENCES_PER_TEXT * share)
    own = rng.sample(sentences(target), SENTENCES_PER_TEXT - n_foreign)
    other = rng.sample(sentences(foreign), n_foreign)
    pieces = [(s, target) for s in own] + [(s, foreign) for s in other]
    rng.shuffle(pieces)
    n_own = sum(words(s, target) for s in own)
    n_other = sum(words(s, foreign) for s in other)
    return " ".join(p for p, _ in pieces), n_own / (n_own + n_other)


def mixed_interjections(rng: random.Random, target: str, foreign: str):
    """Every second target sentence gets a short foreign label after a comma."""
    own = list(rng.sample(sentences(target), SENTENCES_PER_TEXT))
    n_own = sum(words(s, target) for s in own)
    n_other = 0
    for i in range(0, len(own), 2):
        label = rng.choice(phrases(foreign))
        n_other += words(label, foreign)
        comma = "，" if target in ("zh", "ja") else ", "
        own[i] = own[i][:-1] + comma + label + own[i][-1]
    return " ".join(own), n_own / (n_own + n_other)


def reported(text: str, target: str) -> tuple[float, float]:
    item = Item(completion=f"<think>{text}</think>42", target_language=target)
    started = time.perf_counter()
    value = language_reward(item, NoParams()).value
    return float(value if value is not None else float("nan")), time.perf_counter() - started


_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s*")


def baseline(text: str, target: str) -> float:
    """Seeded langdetect per sentence; share of words in sentences labelled ``target``."""
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    own = total = 0
    for sentence in filter(None, _SENTENCE_END.split(text)):
        n = words(sentence, target)
        try:
            label = detect(sentence).split("-")[0]
        except LangDetectException:
            label = "und"
        total += n
        own += n if label == target else 0
    return own / total if total else 1.0


def run(samples: int, seed: int, baseline_samples: int) -> tuple[str, str, str]:
    warm()
    rng = random.Random(seed)
    header = ["target", "foreign"] + [
        f"{round(100 * (1 - s))}% target: true / reported" for s in FOREIGN_SHARES[1:]
    ] + ["interjections: true / reported"]
    rows: list[list[object]] = []
    timings: list[float] = []
    ours: dict[str, list[float]] = {"pure": [], "mixed": [], "interjections": []}
    base: dict[str, list[float]] = {"pure": [], "mixed": [], "interjections": []}
    pure_by_lang: dict[str, list[float]] = {}

    def score_cells(kind: str, cells: list[tuple[str, float]], target: str) -> float:
        got = [reported(text, target) for text, _ in cells]
        timings.extend(t for _, t in got)
        ours[kind] += [v if kind == "pure" else abs(v - r)
                       for (v, _), (_, r) in zip(got, cells, strict=True)]
        for text, r in cells[:baseline_samples]:
            v = baseline(text, target)
            base[kind].append(v if kind == "pure" else abs(v - r))
        if kind == "pure":
            pure_by_lang.setdefault(target, []).extend(v for v, _ in got)
        return statistics.fmean(v for v, _ in got)

    for target in LANGS:
        for foreign in LANGS:
            if foreign == target:
                continue
            row: list[object] = [target, foreign]
            for share in FOREIGN_SHARES:
                cells = [mixed_sentences(rng, target, foreign, share) for _ in range(samples)]
                mean = score_cells("pure" if share == 0.0 else "mixed", cells, target)
                if share:
                    row.append(f"{statistics.fmean(r for _, r in cells):.2f} / {mean:.2f}")
            cells = [mixed_interjections(rng, target, foreign) for _ in range(samples)]
            mean = score_cells("interjections", cells, target)
            row.append(f"{statistics.fmean(r for _, r in cells):.2f} / {mean:.2f}")
            rows.append(row)

    def measures(d: dict[str, list[float]]) -> list[str]:
        return [
            f"{statistics.fmean(d['pure']):.3f}",
            f"{sum(v < 0.95 for v in d['pure']) / len(d['pure']):.3f}",
            f"{statistics.fmean(d['mixed']):.3f}",
            f"{sum(e > 0.1 for e in d['mixed']) / len(d['mixed']):.3f}",
            f"{statistics.fmean(d['interjections']):.3f}",
        ]

    names = ["pure target text: mean reported (should be 1.000)",
             "pure target text: share reported below 0.95",
             "mixed sentences: mean absolute error of the ratio",
             "mixed sentences: share with error over 0.10",
             "interjections: mean absolute error of the ratio"]
    n_ours = sum(map(len, ours.values()))
    n_base = sum(map(len, base.values()))
    summary = markdown_table(
        ["measure", f"`language` reward ({n_ours} texts)",
         f"baseline: langdetect per sentence ({n_base} texts)"],
        [[name, a, b] for name, a, b in zip(names, measures(ours), measures(base), strict=True)]
        + [["time per call, median ms (12 sentences)",
            f"{1000 * statistics.median(timings):.2f}", ""]],
    )
    per_lang = markdown_table(
        ["target", *pure_by_lang],
        [["pure text, mean reported", *(f"{statistics.fmean(v):.3f}" for v in
                                          pure_by_lang.values())]],
    )
    return f"{summary}\n\n{per_lang}", markdown_table(header, rows), speed()


def speed(repeats: int = 7) -> str:
    """One 2,000-word reasoning of real English and French sentences: langdetect per
    sentence, then the reward with cold and with warm word caches (best of ``repeats``)."""
    from reward_server.rewards import language_model

    rng = random.Random(1)
    pool = list(sentences("en")) + list(sentences("fr"))
    text, n = [], 0
    while n < 2000:
        s = rng.choice(pool)
        text.append(s)
        n += len(s.split())
    body = " ".join(text)

    def best(fn, before=lambda: None) -> float:  # noqa: ANN001
        times = []
        for _ in range(repeats):
            before()
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return 1000 * min(times)

    def clear() -> None:
        language_model.word_evidence.cache_clear()

    base = best(lambda: baseline(body, "en"))
    cold = best(lambda: reported(body, "en"), clear)
    hot = best(lambda: reported(body, "en"))
    return markdown_table(
        [f"grader ({n:,} words, {len(text)} sentences)", f"ms, best of {repeats}", "speed-up"],
        [["langdetect `detect` per sentence (seeded)", f"{base:.1f}", "1.0x"],
         ["`language` reward, cold word cache", f"{cold:.1f}", f"{base / cold:.1f}x"],
         ["`language` reward, warm word cache", f"{hot:.1f}", f"{base / hot:.1f}x"]],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline-samples", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="write the tables into this file")
    args = parser.parse_args()
    summary, table, timing = run(args.samples, args.seed, args.baseline_samples)
    text = f"{summary}\n\n{timing}\n\n{table}\n"
    print(text)
    if args.out is not None:
        doc = args.out.read_text() if args.out.exists() else ""
        begin, end = "<!-- bench_language:begin -->", "<!-- bench_language:end -->"
        if begin in doc and end in doc:
            doc = doc[: doc.index(begin) + len(begin)] + "\n" + text + doc[doc.index(end) :]
        else:
            doc += f"\n{begin}\n{text}{end}\n"
        args.out.write_text(doc)


if __name__ == "__main__":
    main()

"""DeepSeek-R1's language-consistency reward: the share of reasoning words in the target language.

Non-Latin scripts name their language (Han -> zh, kana -> ja, Hangul -> ko, ...); a script
shared by several languages (Cyrillic, Arabic, Devanagari) counts as the target when the
target is written in it. Latin words are classified per chunk of sentences with
langdetect's model. langdetect estimates its naive-Bayes posterior by random sampling, at
about 2 ms a call whatever the length (200 ms for 2000 words sentence by sentence); here
the same model (profiles, n-grams, smoothing) is evaluated exactly: deterministic without
a seed, a few ms with per-word evidence cached. Only the 31 Latin-script profiles load.
"""

from __future__ import annotations

import bisect
import math
import os
import re
from collections import Counter
from functools import lru_cache

from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils.ngram import NGram

from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.extract import split_completion
from reward_server.rewards.registry import NoParams, register
from reward_server.schemas import Item

LATIN_LANGS = tuple(
    "af ca cs cy da de en es et fi fr hr hu id it lt lv nl no pl pt ro sk sl so sq sv sw tl "
    "tr vi".split()
)
# Script -> the language its words are labelled with when the target is not written in it.
SCRIPT_LANG = {
    "Grek": "el", "Cyrl": "ru", "Armn": "hy", "Hebr": "he", "Arab": "ar", "Deva": "hi",
    "Beng": "bn", "Guru": "pa", "Gujr": "gu", "Orya": "or", "Taml": "ta", "Telu": "te",
    "Knda": "kn", "Mlym": "ml", "Sinh": "si", "Thai": "th", "Laoo": "lo", "Geor": "ka",
    "Hang": "ko", "Kana": "ja", "Hani": "zh",
}  # fmt: skip
_SHARED = {"Cyrl": "uk bg mk sr be kk ky mn tg", "Arab": "fa ur ps", "Deva": "mr ne", "Hebr": "yi"}
TARGET_SCRIPT = (
    {lang: script for script, lang in SCRIPT_LANG.items()}
    | {lang: script for script, langs in _SHARED.items() for lang in langs.split()}
    | dict.fromkeys(LATIN_LANGS, "Latn")
)
_ALIASES = {"nb": "no", "nn": "no", "fil": "tl", "iw": "he", "in": "id"}
_RANGES = sorted(
    (int(lo, 16), int(hi, 16), script)
    for lo, hi, script in re.findall(
        r"(\w+)-(\w+) (\w+)",
        "0370-03FF Grek 1F00-1FFF Grek 0400-052F Cyrl 1C80-1C8F Cyrl 2DE0-2DFF Cyrl "
        "A640-A69F Cyrl 0530-058F Armn 0590-05FF Hebr FB1D-FB4F Hebr 0600-06FF Arab "
        "0750-077F Arab 08A0-08FF Arab FB50-FDFF Arab FE70-FEFF Arab 0900-097F Deva "
        "0980-09FF Beng 0A00-0A7F Guru 0A80-0AFF Gujr 0B00-0B7F Orya 0B80-0BFF Taml "
        "0C00-0C7F Telu 0C80-0CFF Knda 0D00-0D7F Mlym 0D80-0DFF Sinh 0E00-0E7F Thai "
        "0E80-0EFF Laoo 10A0-10FF Geor 1100-11FF Hang 3130-318F Hang AC00-D7AF Hang "
        "FFA0-FFDC Hang 2100-214F Math 1D400-1D7FF Math",
    )
)
_STARTS = [r[0] for r in _RANGES]
_HAN = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\U00020000-\U000323af"
)
_KANA = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d"
_LATIN = (
    "A-Za-z\u00aa\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u1e00-\u1eff\u2c60-\u2c7f"
    "\ua720-\ua7ff\uff21-\uff3a\uff41-\uff5a"
)
# Combining marks: not "alphanumeric" to Python, yet inside words (Indic vowel signs, ...).
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u0900-\u0963"
    "\u0971-\u0dff\u0e31-\u0e3a\u0e47-\u0e4e\u0eb1-\u0ebc\u0ec8-\u0ecd\u1ab0-\u1aff"
    "\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_NOT_CJK_LATIN = f"(?![{_HAN}{_KANA}{_LATIN}])"
_TOKEN = re.compile(
    rf"(?P<han>[{_HAN}]+)|(?P<kana>[{_KANA}]+)"
    rf"|(?P<latin>[{_LATIN}](?:[{_LATIN}\u0300-\u036f]|['\u2019](?=[{_LATIN}]))*)"
    rf"|(?P<other>{_NOT_CJK_LATIN}[^\W\d_](?:{_NOT_CJK_LATIN}[^\W\d_]|[{_MARKS}])*)"
    r"|(?P<stop>[.!?;\u2026]+(?=\s|$)|[\n\u3002\uff01\uff1f\uff1b\u0964\u0965])"
)
_INLINE_MATH = re.compile(r"\$[^$\n]*\$")
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LATEX_COMMAND = re.compile(r"\\(?:begin|end)\{[^}\n]*\}|\\[A-Za-z]+")
# Function names written without a backslash are notation, not English.
_MATH_WORDS = frozenset(
    "sin cos tan cot sec csc arcsin arccos arctan sinh cosh tanh log ln lg exp max min sup "
    "inf lim gcd lcm mod det dim ker sgn".split()
)
MAX_CHARS = 200_000  # reasoning analysed; a bound on the cost of hostile 1 MB outputs
MAX_WORD = 40  # longer "words" are junk (base64, a key held down), not language
MIN_CHUNK_WORDS = 8  # sentences are merged until a chunk has this many Latin words
MIN_MARGIN = 40.0  # log-likelihood lead needed to call a chunk another Latin language
MIN_MARGIN_PER_NGRAM = 0.2  # ... and per n-gram, so long chunks need a real lead too


def _drop_spans(text: str, open_: str, close: str, drop_unclosed: bool) -> str:
    """Remove ``open_ ... close`` spans with str.find: linear, whatever the input."""
    out: list[str] = []
    pos = 0
    while (start := text.find(open_, pos)) != -1:
        end = text.find(close, start + len(open_))
        if end == -1:  # no closer after this opener means none after any later one
            if drop_unclosed:
                text = text[:start]
            break
        out.append(text[pos:start])
        out.append(" ")
        pos = end + len(close)
    out.append(text[pos:])
    return "".join(out)


def strip_notation(text: str) -> str:
    """Remove code and LaTeX, whose words belong to no natural language."""
    text = _drop_spans(text, "```", "```", drop_unclosed=True)  # truncated block: code to the end
    text = _INLINE_CODE.sub(" ", text)
    for open_, close in (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)")):
        text = _drop_spans(text, open_, close, drop_unclosed=False)
    text = _INLINE_MATH.sub(" ", text)
    return _LATEX_COMMAND.sub(" ", text)


def _script(ch: str) -> str | None:
    cp = ord(ch)
    i = bisect.bisect_right(_STARTS, cp) - 1
    return _RANGES[i][2] if i >= 0 and cp <= _RANGES[i][1] else None


@lru_cache(maxsize=1)
def _model() -> tuple[tuple[str, ...], dict[str, list[float]]]:
    """langdetect's Latin-script profiles (n-gram -> P(n-gram | language)), loaded once."""
    profiles = []
    for lang in LATIN_LANGS:
        with open(os.path.join(PROFILES_DIRECTORY, lang), encoding="utf-8") as f:
            profiles.append(f.read())
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    return tuple(factory.langlist), factory.word_lang_prob_map


_FLOOR = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ  # langdetect's smoothing


@lru_cache(maxsize=1 << 16)
def _ngram_logp(gram: str) -> tuple[float, ...] | None:
    probs = _model()[1].get(gram)
    return None if probs is None else tuple(math.log(p + _FLOOR) for p in probs)


def _word_grams(word: str) -> list[str]:
    """The n-grams langdetect's ``Detector`` extracts from `` word ``, without its
    per-character Unicode-block lookups for ASCII (equivalence is tested against ``NGram``).
    """
    if not word.isascii():
        word = "".join(c if c.isascii() else NGram.normalize(c) for c in NGram.normalize_vi(word))
    grams: list[str] = []
    for part in word.replace("'", " ").split():  # a non-letter resets langdetect's window
        buf, prev, capital = " ", " ", False
        for ch in part:
            capital = (capital or prev.isupper()) if ch.isupper() else False
            buf, prev = (buf + ch)[-3:], ch
            if not capital:  # langdetect skips all-caps runs (acronyms)
                grams += (ch, buf[-2:], buf) if len(buf) == 3 else (ch, buf)
        buf = (buf + " ")[-3:]
        grams += (buf[-2:], buf)
    return grams


@lru_cache(maxsize=1 << 16)
def _word_evidence(word: str) -> tuple[int, tuple[float, ...]] | None:
    """(n-gram count, summed log-likelihood per language) for one word.

    langdetect's n-grams never span a space, so a text's evidence is the sum of its words'.
    """
    rows = [row for gram in _word_grams(word) if (row := _ngram_logp(gram)) is not None]
    return (len(rows), tuple(map(sum, zip(*rows, strict=True)))) if rows else None


def _classify_chunk(words: list[str], target: str) -> str:
    """The chunk's language; a Latin target wins unless another language clearly leads."""
    langs = _model()[0]
    evidence = [e for w in words if (e := _word_evidence(w)) is not None]
    if not evidence:
        return target if target in LATIN_LANGS else "und"
    n = sum(e[0] for e in evidence)
    totals = list(map(sum, zip(*(e[1] for e in evidence), strict=True)))
    best = max(range(len(totals)), key=totals.__getitem__)
    if target not in LATIN_LANGS:
        return langs[best]
    lead = totals[best] - totals[langs.index(target)]
    confident = len(words) >= MIN_CHUNK_WORDS and lead >= max(MIN_MARGIN, MIN_MARGIN_PER_NGRAM * n)
    return langs[best] if confident else target


def _chunks(units: list[list[str]]) -> list[list[str]]:
    """Merge sentences forward until each chunk has MIN_CHUNK_WORDS; a short tail joins back."""
    chunks: list[list[str]] = []
    for unit in units:
        if chunks and len(chunks[-1]) < MIN_CHUNK_WORDS:
            chunks[-1].extend(unit)
        elif unit:
            chunks.append(list(unit))
    if len(chunks) > 1 and len(chunks[-1]) < MIN_CHUNK_WORDS:
        chunks[-2].extend(chunks.pop())
    return chunks


def count_words(text: str, target: str) -> Counter[str]:
    """Words per language label in ``text`` (notation already stripped)."""
    counts: Counter[str] = Counter()
    target_script = TARGET_SCRIPT[target]
    units: list[list[str]] = [[]]  # Latin words per sentence
    cjk = [0, 0]  # Han and kana characters in the current sentence

    def end_sentence() -> None:
        han, kana = cjk
        if han:  # kana in the sentence make its Han Japanese
            counts["ja" if kana else "zh"] += han
        if kana:
            counts["ja"] += kana
        cjk[:] = [0, 0]
        if units[-1]:
            units.append([])

    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "han" or kind == "kana":
            cjk[kind == "kana"] += len(tok)
        elif kind == "stop":
            end_sentence()
        elif len(tok) > MAX_WORD:
            continue
        elif kind == "latin":
            if len(tok) > 1 and tok.lower() not in _MATH_WORDS:
                units[-1].append(tok)
        elif (script := _script(tok[0])) != "Math":
            label = "other" if script is None else SCRIPT_LANG[script]
            counts[target if script == target_script else label] += 1
    end_sentence()
    for chunk in _chunks(units):
        counts[_classify_chunk(chunk, target)] += len(chunk)
    return counts


def normalize_language(code: str) -> str | None:
    """ISO 639-1, case and region-insensitive (``zh-CN`` -> ``zh``); None if unsupported."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    base = _ALIASES.get(base, base)
    return base if base in TARGET_SCRIPT else None


@register("language", kind="item", params=NoParams)
def language_reward(item: Item, params: NoParams) -> Score:
    """Share of reasoning words in ``item.target_language`` (DeepSeek-R1 language consistency).

    Reasoning is the think block, or the whole completion when there is none. Numbers,
    code, LaTeX, punctuation, single Latin letters (variables) and function names (sin,
    log, ...) are not words. Each Han or kana character counts as one word (Han is ja in a
    sentence with kana, else zh); other scripts split on spaces. Latin words are judged in
    chunks of at least 8 words (whole sentences, merged forward); a chunk counts against a
    Latin target only when another language leads by a wide log-likelihood margin, so
    short and ambiguous English ("Wait.", "Let me double check.") stays English; against
    a non-Latin target every Latin word counts as not-target whatever its label.
    No words at all scores 0.0 (``reason: no_words``): an empty reasoning is not mixed, but
    paying for it would teach the policy to stop reasoning. The first 200k characters are
    read. An unsupported target code is ``invalid_params``.
    """
    target = normalize_language(item.target_language)
    if target is None:
        return Score.undecided(
            ErrorType.invalid_params, f"unsupported target_language {item.target_language!r}"
        )
    reasoning = split_completion(item.completion, item.think_prefilled).reasoning
    text = item.completion if reasoning is None else reasoning
    counts = count_words(strip_notation(text[:MAX_CHARS]), target)
    total = sum(counts.values())
    detail = {"target": target, "counts": dict(counts), "total_words": total}
    if total == 0:
        return Score(0.0, {**detail, "reason": "no_words"})
    return Score(counts.get(target, 0) / total, detail)

"""Per-word evidence for the language of Latin-script words, and the decision it supports.

Two naive-Bayes feature sets are summed in log space, per language:

- langdetect's character 1-3-gram profiles (Wikipedia), evaluated exactly. langdetect
  itself estimates the posterior by random sampling, at about 2 ms a call; summing cached
  per-word evidence gives the same model deterministically in microseconds.
- wordfreq's word frequencies (subtitles, web text, Wikipedia, ...), weighted by
  ``WORD_WEIGHT``. Character n-grams alone misread short conversational phrases:
  "Let me double check" is French to them, "die Summe der Terme" Afrikaans. Word
  frequencies know that "let", "check", "donc", "vaut" belong to one language.

A span is given a language only on clear evidence (``decide``); anything weaker is
undecided, never the target by default. Languages: the 24 Latin-script ones both
libraries model. Afrikaans, Welsh, Estonian, Somali, Albanian and Swahili have no word
list in wordfreq; Tagalog's list is full of English ("okay", "so"), which would turn
English into Tagalog; these seven are not supported.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils.ngram import NGram

LATIN_LANGS = tuple(
    "ca cs da de en es fi fr hr hu id it lt lv nl no pl pt ro sk sl sv tr vi".split()
)
_WORDFREQ_CODE = {"hr": "sh", "no": "nb"}  # wordfreq's names for them
MIN_WORD_FREQ = 1e-5  # words rarer than this in a language are "absent" from it (memory)
_WORD_FLOOR = math.log(MIN_WORD_FREQ) - 1.0  # log-frequency of an absent word
WORD_WEIGHT = 2.0  # weight of the word-frequency term against the n-gram term
MARGIN = 6.0  # log-likelihood lead (nats) a span needs to be given a language

Evidence = np.ndarray  # [len(LATIN_LANGS)] summed log-likelihood (nats) per language


_NGRAM_FLOOR = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ  # langdetect's smoothing
Table = tuple[dict[str, int], np.ndarray]  # key -> row, [rows, len(LATIN_LANGS)] log-probs


@lru_cache(maxsize=1)
def _ngram_table() -> Table:
    """langdetect's Latin-script profiles: n-gram -> row of log(P(n-gram | language))."""
    profiles = []
    for lang in LATIN_LANGS:
        with open(os.path.join(PROFILES_DIRECTORY, lang), encoding="utf-8") as f:
            profiles.append(f.read())
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    assert tuple(factory.langlist) == LATIN_LANGS
    probs = factory.word_lang_prob_map
    table = np.log(np.asarray(list(probs.values()), dtype=np.float64) + _NGRAM_FLOOR)
    return {gram: i for i, gram in enumerate(probs)}, table


@lru_cache(maxsize=1)
def _word_table() -> Table:
    """wordfreq: word -> row of log frequency per language (``_WORD_FLOOR`` when the word
    is rarer than MIN_WORD_FREQ in that language)."""
    import wordfreq  # imported here: loading its lists takes about a second

    index: dict[str, int] = {}
    cells: tuple[list[int], list[int], list[float]] = ([], [], [])
    for col, lang in enumerate(LATIN_LANGS):
        freqs = wordfreq.get_frequency_dict(_WORDFREQ_CODE.get(lang, lang), wordlist="small")
        for word, freq in freqs.items():
            if freq >= MIN_WORD_FREQ:
                cells[0].append(index.setdefault(word, len(index)))
                cells[1].append(col)
                cells[2].append(math.log(freq))
        del freqs  # wordfreq caches whole lists; only the kept words need to stay
        wordfreq.get_frequency_dict.cache_clear()
        wordfreq.get_frequency_list.cache_clear()
    table = np.full((len(index), len(LATIN_LANGS)), _WORD_FLOOR, dtype=np.float32)
    table[cells[0], cells[1]] = cells[2]
    return index, table


def warm() -> None:
    """Load both models now rather than on the first graded item."""
    _ngram_table()
    _word_table()


def word_grams(word: str) -> list[str]:
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


def _word_rows(word: str) -> list[int]:
    index = _word_table()[0]
    word = word.lower().replace("\u2019", "'")
    if word in index:
        return [index[word]]
    return [index[p] for p in word.split("'") if p in index]  # l'homme: l' + homme


@lru_cache(maxsize=1 << 16)
def word_evidence(word: str) -> Evidence | None:
    """Summed log-likelihood per language of ``word`` (read-only), or None when neither
    model knows it. langdetect's n-grams never span a space, so a span's evidence is the
    sum of its words'.
    """
    gram_index, gram_table = _ngram_table()
    grams = [i for gram in word_grams(word) if (i := gram_index.get(gram)) is not None]
    words = _word_rows(word)
    if not grams and not words:
        return None
    evidence = gram_table[grams].sum(axis=0)
    if words:
        evidence += WORD_WEIGHT * _word_table()[1][words].sum(axis=0, dtype=np.float64)
    evidence.flags.writeable = False  # shared through the cache
    return evidence


class TextEvidence:
    """Evidence of any set of word ranges of one text, by prefix sums: O(1) per range."""

    def __init__(self, words: Sequence[str]) -> None:
        rows = [word_evidence(w) for w in words]
        zero = np.zeros(len(LATIN_LANGS))
        table = np.zeros((len(words) + 1, len(LATIN_LANGS)))  # [words + 1, languages]
        if words:
            table[1:] = np.cumsum([zero if r is None else r for r in rows], axis=0)
        self._sums = table
        self._known = np.concatenate([[0], np.cumsum([r is not None for r in rows])]).tolist()

    def of(self, ranges: Sequence[tuple[int, int]]) -> Evidence | None:
        """Summed evidence of the words in ``ranges`` ([start, end) pairs); None if none is
        known to either model."""
        if not any(self._known[end] - self._known[start] for start, end in ranges):
            return None
        return sum(
            (self._sums[end] - self._sums[start] for start, end in ranges),
            start=np.zeros(len(LATIN_LANGS)),
        )

    def each(self, starts: Sequence[int], ends: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """([n, languages] evidence, [n] any word known) of n ranges at once."""
        known = np.asarray(self._known)
        return self._sums[ends] - self._sums[starts], (known[ends] - known[starts]) > 0


def span_evidence(words: Sequence[str]) -> Evidence | None:
    return TextEvidence(words).of([(0, len(words))])


def best_language(evidence: Evidence) -> str:
    return LATIN_LANGS[int(np.argmax(evidence))]


def decide_many(evidence: np.ndarray, target: str) -> list[str | None]:
    """``decide`` for each row of ``evidence`` ([n, languages]), in one pass."""
    if len(evidence) == 0:
        return []
    t = LATIN_LANGS.index(target)
    best = evidence.argmax(axis=1)  # [n]
    others = evidence.copy()
    others[:, t] = -np.inf
    target_lead = evidence[:, t] - others.max(axis=1)  # [n]
    other_lead = evidence[np.arange(len(evidence)), best] - evidence[:, t]  # [n]
    label = np.where(target_lead >= MARGIN, t, np.where(other_lead >= MARGIN, best, -1))
    return [LATIN_LANGS[i] if i >= 0 else None for i in label.tolist()]


def decide(evidence: Evidence | None, target: str) -> str | None:
    """The span's language when the evidence is clear, else None (undecided).

    Target ``t`` when it leads every other language by ``MARGIN`` nats; another language
    when it leads ``t`` by ``MARGIN`` (labelled with the best one); otherwise undecided.
    Only the target-versus-rest question is asked, so a Spanish span against a French
    target is "not French" even when Catalan and Spanish are close to each other.
    """
    return None if evidence is None else decide_many(evidence[None, :], target)[0]

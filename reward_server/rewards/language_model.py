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


@lru_cache(maxsize=1)
def _profiles() -> dict[str, list[float]]:
    """langdetect's Latin-script profiles (n-gram -> P(n-gram | language)), loaded once."""
    profiles = []
    for lang in LATIN_LANGS:
        with open(os.path.join(PROFILES_DIRECTORY, lang), encoding="utf-8") as f:
            profiles.append(f.read())
    factory = DetectorFactory()
    factory.load_json_profile(profiles)
    assert tuple(factory.langlist) == LATIN_LANGS
    return factory.word_lang_prob_map


@lru_cache(maxsize=1)
def _word_freqs() -> dict[str, dict[str, float]]:
    """word -> {language: log frequency}, for words at least MIN_WORD_FREQ in a language."""
    import wordfreq  # imported here: loading its lists takes about a second

    table: dict[str, dict[str, float]] = {}
    for lang in LATIN_LANGS:
        freqs = wordfreq.get_frequency_dict(_WORDFREQ_CODE.get(lang, lang), wordlist="small")
        for word, freq in freqs.items():
            if freq >= MIN_WORD_FREQ:
                table.setdefault(word, {})[lang] = math.log(freq)
    return table


def warm() -> None:
    """Load both models now rather than on the first graded item."""
    _profiles()
    _word_freqs()


_NGRAM_FLOOR = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ  # langdetect's smoothing


@lru_cache(maxsize=1 << 16)
def _ngram_logp(gram: str) -> tuple[float, ...] | None:
    probs = _profiles().get(gram)
    return None if probs is None else tuple(math.log(p + _NGRAM_FLOOR) for p in probs)


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


def _freq_evidence(word: str) -> tuple[float, ...] | None:
    table = _word_freqs()
    word = word.lower().replace("\u2019", "'")
    parts = [word] if word in table else [p for p in word.split("'") if p in table]
    if not parts:
        return None
    return tuple(
        WORD_WEIGHT * sum(table[p].get(lang, _WORD_FLOOR) for p in parts) for lang in LATIN_LANGS
    )


@lru_cache(maxsize=1 << 16)
def word_evidence(word: str) -> Evidence | None:
    """Summed log-likelihood per language of ``word`` (read-only), or None when neither
    model knows it. langdetect's n-grams never span a space, so a span's evidence is the
    sum of its words'.
    """
    rows = [row for gram in word_grams(word) if (row := _ngram_logp(gram)) is not None]
    if (freq := _freq_evidence(word)) is not None:
        rows.append(freq)
    if not rows:
        return None
    evidence = np.asarray(rows, dtype=np.float64).sum(axis=0)
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
        return sum((self._sums[end] - self._sums[start] for start, end in ranges),
                   start=np.zeros(len(LATIN_LANGS)))

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

"""DeepSeek-R1's language-consistency reward: the share of reasoning words in the target language.

Non-Latin scripts name their language (Han -> zh, kana -> ja, Hangul -> ko, ...); a script
shared by several languages (Cyrillic, Arabic, Devanagari) counts as the target when the
target is written in it. Latin-script words are judged clause by clause with the evidence
model of ``language_model`` (character n-grams plus word frequencies); a clause whose
evidence is weak is undecided and not counted, whatever the target.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter

from reward_server.rewards import language_model as model
from reward_server.rewards.base import ErrorType, Score
from reward_server.rewards.extract import split_completion
from reward_server.rewards.registry import NoParams, register
from reward_server.schemas import Item

LATIN_LANGS = model.LATIN_LANGS
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
_ALIASES = {"nb": "no", "nn": "no", "iw": "he", "in": "id"}
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
    r"|(?P<pause>[,:()\u2013\u2014\uff0c\u3001\uff1a\uff08\uff09])"
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
KANA_SHARE = 0.4  # a sentence with this share of kana is Japanese, kanji-only clauses too
# (real Japanese sentences: 0.43 at least, 0.79 median, in Django's translations)
MAX_WORD = 40  # longer "words" are junk (base64, a key held down), not language


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


Sentence = list[list[str]]  # a sentence's Latin words, clause by clause


def _is_shouting(sentence: Sentence, other_words: int) -> bool:
    """At least two words, and half of the sentence's words (any script), in capitals.

    Such a sentence is read in lower case (langdetect skips capitalised words). In any
    other sentence a word in capitals is an acronym (JSON, GCD) and not counted; so text
    cannot hide its language behind capitals, only drop a minority of its words.
    """
    caps = sum(w.isupper() for clause in sentence for w in clause)
    latin = sum(len(clause) for clause in sentence)
    return caps >= 2 and 2 * caps >= latin + other_words


Ranges = list[tuple[int, int]]  # [start, end) word ranges of the text's Latin words


def _judge_latin(
    sentences: list[Sentence], scripted: list[int], target: str, counts: Counter[str]
) -> int:
    """Count Latin words per decided language into ``counts``; return the undecided ones.

    Each clause is decided alone, so a short interjection of another language inside a
    target-language sentence is seen; the clauses left undecided are pooled per sentence
    and decided together, and what is still undecided is pooled over the whole text once
    more (so "Let. Me. Check. The. Sum." is English, not five undecided words). A lone
    word is never decided: "Perfect", "Bon", "Hmm" belong to several languages. Against a
    non-Latin target every Latin word is not the target, so it is labelled with its best
    language (``und`` without evidence) and counted.
    """
    words: list[str] = []
    ranged: list[Ranges] = []
    for sentence, other_words in zip(sentences, scripted, strict=True):
        shouting = _is_shouting(sentence, other_words)
        ranged.append([])
        for clause in sentence:
            clause = (
                [w.lower() for w in clause] if shouting else [w for w in clause if not w.isupper()]
            )
            if clause:
                ranged[-1].append((len(words), len(words) + len(clause)))
                words += clause
    evidence = model.TextEvidence(words)

    def size(ranges: Ranges) -> int:
        return sum(end - start for start, end in ranges)

    def decide(ranges: Ranges) -> str | None:
        return model.decide(evidence.of(ranges), target) if size(ranges) >= 2 else None

    if target not in LATIN_LANGS:
        for ranges in filter(size, ranged):
            found = evidence.of(ranges)
            counts["und" if found is None else model.best_language(found)] += size(ranges)
        return 0
    clauses = [clause for ranges in ranged for clause in ranges]
    rows, known = evidence.each([s for s, _ in clauses], [e for _, e in clauses])
    labels = model.decide_many(rows, target)
    decided = {
        c: label
        for c, k, label in zip(clauses, known.tolist(), labels, strict=True)
        if k and label is not None and c[1] - c[0] >= 2
    }
    left: Ranges = []
    for ranges in ranged:
        pooled: Ranges = []
        for clause in ranges:
            label = decided.get(clause)
            if label is None:
                pooled.append(clause)
            else:
                counts[label] += size([clause])
        label = decide(pooled) if len(pooled) > 1 else None
        if label is None:
            left += pooled
        else:
            counts[label] += size(pooled)
    label = decide(left) if len(left) > 1 else None
    if label is not None:
        counts[label] += size(left)
        return 0
    return size(left)


def count_words(text: str, target: str) -> tuple[Counter[str], int]:
    """(words per decided language label, undecided words) in ``text`` (notation stripped)."""
    counts: Counter[str] = Counter()
    target_script = TARGET_SCRIPT[target]
    sentences: list[Sentence] = [[[]]]
    scripted = [0]  # words of non-Latin scripts in the sentence (a CJK character is one)
    cjk: list[list[int]] = [[0, 0]]  # Han and kana characters per clause of the sentence

    def end_sentence() -> None:
        # Han is Japanese in a clause with kana, or in a sentence that is mostly kana-rich
        # Japanese; a Japanese label spliced into a Chinese sentence leaves the rest zh.
        han_total = sum(h for h, _ in cjk)
        kana_total = sum(k for _, k in cjk)
        japanese = kana_total >= KANA_SHARE * (han_total + kana_total)
        for han, kana in cjk:
            if han:
                counts["ja" if kana or (japanese and kana_total) else "zh"] += han
            if kana:
                counts["ja"] += kana
        cjk[:] = [[0, 0]]
        if any(sentences[-1]):
            sentences.append([[]])
            scripted.append(0)
        else:
            scripted[-1] = 0

    for m in _TOKEN.finditer(text):
        kind, tok = m.lastgroup, m.group()
        if kind == "han" or kind == "kana":
            cjk[-1][kind == "kana"] += len(tok)
            scripted[-1] += len(tok)
        elif kind == "stop":
            end_sentence()
        elif kind == "pause":
            if sentences[-1][-1]:
                sentences[-1].append([])
            if any(cjk[-1]):
                cjk.append([0, 0])
        elif len(tok) > MAX_WORD:
            continue
        elif kind == "latin":
            if len(tok) > 1 and tok.lower() not in _MATH_WORDS:
                sentences[-1][-1].append(tok)
        elif (script := _script(tok[0])) != "Math":
            label = "other" if script is None else SCRIPT_LANG[script]
            counts[target if script == target_script else label] += 1
            scripted[-1] += 1
    end_sentence()
    kept = [i for i, s in enumerate(sentences) if any(s)]
    sentences = [[c for c in sentences[i] if c] for i in kept]
    return counts, _judge_latin(sentences, [scripted[i] for i in kept], target, counts)


def normalize_language_code(code: str) -> str | None:
    """ISO 639-1, case and region-insensitive (``zh-CN`` -> ``zh``); None if unsupported."""
    base = code.strip().lower().replace("_", "-").split("-")[0]
    base = _ALIASES.get(base, base)
    return base if base in TARGET_SCRIPT else None


@register("language", NoParams)
def language_reward(item: Item, params: NoParams) -> Score:
    """Share of reasoning words in ``item.target_language`` (DeepSeek-R1 language consistency).

    Reasoning is the think block, or the whole completion when there is none. Numbers,
    code, LaTeX, punctuation, single Latin letters (variables) and function names (sin,
    log, ...) are not words. Each Han or kana character counts as one word (Han is ja in a
    sentence with kana, else zh); other scripts split on spaces and are labelled by script.
    Latin words are judged clause by clause (see ``language_model.decide``): a clause is
    given a language only when it leads by a clear margin, a sentence in capitals is read
    in lower case, a capitalised word in an ordinary sentence is an acronym (not a word),
    and what stays undecided ("Hmm.", "OK.") is left out of the ratio
    (``detail.undecided_words``), never counted as the target. Against a non-Latin target
    every Latin word counts as not-target.

    ``value = target words / decided words``. With no decided word (formulas only, an
    empty think block, only undecided interjections) nothing is in a wrong language, so the
    value is 1.0 with ``detail.reason`` ``no_words`` or ``undecided``; the format and
    accuracy rewards are the ones that price an empty reasoning. The first 200k characters
    are read. An unsupported target code is ``invalid_params``.
    """
    target = normalize_language_code(item.target_language)
    if target is None:
        return Score.undecided(
            ErrorType.invalid_params, f"unsupported target_language {item.target_language!r}"
        )
    reasoning = split_completion(item.completion, item.think_prefilled).reasoning
    text = item.completion if reasoning is None else reasoning
    counts, undecided = count_words(strip_notation(text[:MAX_CHARS]), target)
    total = sum(counts.values())
    detail = {
        "target": target,
        "counts": dict(counts),
        "total_words": total,
        "undecided_words": undecided,
    }
    if total == 0:
        return Score(1.0, {**detail, "reason": "undecided" if undecided else "no_words"})
    return Score(counts.get(target, 0) / total, detail)

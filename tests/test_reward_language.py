from __future__ import annotations

import random
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langdetect import DetectorFactory, detect
from langdetect.utils.ngram import NGram

from reward_server.rewards import language as lang
from reward_server.rewards import language_model as model
from reward_server.rewards.base import ErrorType
from reward_server.rewards.registry import REWARDS, NoParams
from reward_server.schemas import Item

P = NoParams()

ENGLISH = [
    """Okay, so I need to find the number of positive integers n less than 1000 such that
n^2 + 3n + 2 is divisible by 6. Hmm, let me think about this step by step.

First, factor the expression: n^2 + 3n + 2 = (n + 1)(n + 2). So we need (n+1)(n+2) to be
divisible by 6. Wait. That's a product of two consecutive integers, so it's always even.
So x = 3 works? Let me check. If n = 1, then 2 * 3 = 6. Yes.

So the question reduces to divisibility by 3. Hmm. So n must not be a multiple of 3. There
are 999 numbers from 1 to 999, and 333 of them are multiples of 3. So the answer is 666.

Wait, let me double-check. For n = 3, we get 4 * 5 = 20. Right. Okay, so the answer is 666.""",
    r"""Let me start by writing down what we know. The triangle has sides $a = 5$, $b = 12$ and
the angle between them is $90^\circ$. So by the Pythagorean theorem, $c = \sqrt{a^2 + b^2} = 13$.

Now the area is $\frac{1}{2}ab = 30$. The inradius is given by $r = \frac{A}{s}$ where $s$ is
the semiperimeter. So $s = \frac{5 + 12 + 13}{2} = 15$, and $r = 2$.

Hmm, but wait. The problem asks for the circumradius, not the inradius. For a right
triangle, the circumradius is half the hypotenuse. So R = 6.5. Let me verify with the
formula \(R = \frac{abc}{4A}\): that gives 780 / 120 = 6.5. Perfect.

So the final answer is 13/2.""",
    r"""Alternatively, maybe I can solve this with generating functions. Consider
$$f(x) = \prod_{k=1}^{n} (1 + x^k).$$
The coefficient of x^m counts partitions into distinct parts. Hmm, that seems complicated.
Let me try small cases instead.

n = 1: 1 way.
n = 2: 1 way.
n = 3: 2 ways.

I see a pattern. It looks like the answer is floor((n+1)/2). But I'm not sure. Let me test
n = 6. The partitions of 6 into distinct parts are 6, 5+1, 4+2, 3+2+1. That's 4 ways, not 3.
So the pattern breaks. Wait, maybe I misread the problem. Oh right, that's Euler's theorem!
Therefore, the answer is the number of partitions of n into distinct parts.""",
    """We have the recurrence a_{n+1} = 2a_n + 1 with a_0 = 0. Let's compute the first few
terms: a_1 = 1, a_2 = 3, a_3 = 7, a_4 = 15. So I guess a_n = 2^n - 1. Proof by induction.
Now we need a_{10} mod 7. Since 2^3 = 8 = 1 mod 7, we have 2^{10} = 2 mod 7. So a_{10} = 1.
Hmm, let me double check that. 2^10 = 1024. 1023 mod 7 = 1. Yes, that's right. Okay so the
answer is 1.""",
    """Plug in x = 2. Then f(2) = 4 - 6 + 2 = 0. So 2 is a root. Nice. Now divide by (x - 2)
using synthetic division. We get x^2 - x - 1. Great, consistent with Vieta.
Let me also sanity check with code:
```python
import numpy as np
print(np.roots([1, -3, 1, 2]))
```
That prints roughly 2, 1.618 and -0.618. Good. Not quite what I expected. Let me see.
Sure. Since everything checks out, I'm confident. Final answer: -2.""",
]
# 60 English words and 40 Chinese characters (counted by the tests below).
EN_60 = (
    "We need to find the smallest positive value that satisfies both conditions at the same "
    "time. First we rewrite the equation in simpler form and then we check every candidate "
    "carefully. The second condition tells us that the value must be even, so we only keep "
    "the even candidates from our list and compare them with each other in turn."
)
ZH_40 = "我们需要找到同时满足两个条件的最小正数。首先把方程改写成简单形式，然后逐一检查每个数。"
FOREIGN = {
    "fr": "Maintenant nous devons calculer la somme des termes de la suite. Ensuite on vérifie "
    "que le résultat est cohérent avec la formule.",
    "de": "Jetzt müssen wir die Summe der Terme berechnen und dann prüfen, ob das Ergebnis mit "
    "der Formel übereinstimmt.",
    "es": "Ahora necesitamos calcular la suma de los términos y luego comprobar que el "
    "resultado coincide con la fórmula.",
    "it": "Ora dobbiamo calcolare la somma dei termini e poi verificare che il risultato sia "
    "coerente con la formula.",
    "nl": "Nu moeten we de som van de termen berekenen en daarna controleren of het resultaat "
    "klopt met de formule.",
}


def score(reasoning: str, target: str = "en", think: bool = True, answer: str = " 42"):
    text = f"<think>{reasoning}</think>{answer}" if think else reasoning
    return lang.language_reward(Item(completion=text, target_language=target), P)


def test_registered() -> None:
    spec = REWARDS["language"]
    assert spec.kind == "item" and spec.params is NoParams
    assert spec.summary.startswith("Share of reasoning words")


@pytest.mark.parametrize("paragraph", ENGLISH)
def test_pure_english_math_reasoning_is_exactly_one(paragraph: str) -> None:
    result = score(paragraph)
    assert result.value == 1.0, result.detail
    assert set(result.detail["counts"]) == {"en"}


def test_all_english_paragraphs_together_and_short_sentences() -> None:
    assert score("\n\n".join(ENGLISH)).value == 1.0
    shorts = "Wait. Hmm. Yes. Okay so. Let me double check. Plug in. So x = 3. Not quite. Sure."
    assert score(shorts).value == 1.0
    assert score(shorts + " " + shorts + " Let me see. Oh right. Hold on.").value == 1.0


def test_sixty_english_words_and_forty_chinese_characters() -> None:
    assert lang.count_words(EN_60, "en") == ({"en": 60}, 0)
    assert lang.count_words(ZH_40, "en") == ({"zh": 40}, 0)
    result = score(EN_60 + "\n" + ZH_40)
    assert result.value == pytest.approx(0.6, abs=0.05)
    assert result.detail["counts"] == {"en": 60, "zh": 40}
    assert result.detail["total_words"] == 100
    # interleaved, sentence by sentence, gives the same share
    first, rest = ZH_40.split("。", 1)
    half = EN_60.index("The second")
    mixed = EN_60[:half] + first + "。" + EN_60[half:] + rest
    assert score(mixed).value == pytest.approx(0.6, abs=0.05)


def test_chinese_target() -> None:
    assert score(ZH_40 + "所以答案是三。", target="zh").value == 1.0
    assert score(ZH_40, target="zh-CN").value == 1.0
    result = score(EN_60 + ZH_40, target="zh")
    assert result.value == pytest.approx(0.4, abs=0.05)


def test_latex_code_numbers_do_not_count() -> None:
    reasoning = (
        r"我们设 $x^2 + y^2 = 25$，那么 \(\sin\theta = \frac{3}{5}\)。用代码验证："
        "\n```python\nprint(sum(range(10)))\n```\n"
        r"所以 \[ \int_0^1 f(t)\,dt = 12 \] 成立，`len(xs)` 等于 12。sin x 的最大值是 1。"
    )
    result = score(reasoning, target="zh")
    assert result.value == 1.0, result.detail


def test_japanese_han_with_kana_is_japanese() -> None:
    ja = "これは二次方程式です。判別式を計算すると、答えは三になります。"
    assert score(ja, target="ja").value == 1.0
    assert score(ja, target="zh").value == 0.0
    assert score(ZH_40, target="ja").value == 0.0


def test_other_scripts() -> None:
    ru = "Теперь нужно вычислить сумму членов последовательности."
    assert score(ru, target="ru").value == 1.0
    assert score(ru, target="uk").value == 1.0  # same script: not told apart
    assert score(ru, target="en").detail["counts"] == {"ru": 6}
    assert score("이제 수열의 합을 계산해야 합니다.", target="ko").value == 1.0
    assert score("Τώρα πρέπει να υπολογίσουμε το άθροισμα.", target="el").value == 1.0
    assert score("अब हमें अनुक्रम के पदों का योग निकालना है।", target="hi").value == 1.0
    assert score("الآن نحتاج إلى حساب مجموع الحدود.", target="ar").value == 1.0


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_latin_languages(code: str) -> None:
    sentence = FOREIGN[code]
    assert score(sentence, target=code).value == 1.0
    wrong = score(sentence, target="en")
    assert wrong.value == 0.0 and wrong.detail["counts"] == {code: wrong.detail["total_words"]}
    # one foreign sentence inside English reasoning is seen, and only that sentence
    mixed = score(ENGLISH[0] + " " + sentence + " " + ENGLISH[1])
    assert mixed.detail["counts"][code] == sum(lang.count_words(sentence, code)[0].values())
    assert 0.8 < mixed.value < 1.0


def test_span_labels_agree_with_seeded_langdetect_on_whole_sentences() -> None:
    DetectorFactory.seed = 0
    for code, sentence in {**FOREIGN, "en": EN_60}.items():
        words = [m.group() for m in lang._TOKEN.finditer(sentence) if m.lastgroup == "latin"]
        evidence = model.span_evidence(words)
        assert evidence is not None
        assert model.best_language(evidence) == detect(sentence) == code


def test_word_grams_match_langdetect_ngram() -> None:
    def reference(word: str) -> list[str]:
        ngram, grams = NGram(), []
        for ch in " " + NGram.normalize_vi(word) + " ":
            ngram.add_char(ch)
            if not ngram.capitalword:
                for n in (1, 2, 3):
                    gram = ngram.get(n)
                    if gram is not None and gram != " ":
                        grams.append(gram)
        return sorted(grams)

    rng = random.Random(0)
    alphabet = "aAzZqQéÉßşșȘțœŒ'’ªǅ\u0301\u1ea1\u1ec3"
    words = ["don't", "l’homme", "Tiếng", "GCD", "McDonald", "ÀÉÎ", "x", "ab"]
    words += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 7))) for _ in range(3000)]
    for word in words:
        assert sorted(model.word_grams(word)) == reference(word), word


def test_reasoning_only_and_no_think_block() -> None:
    assert score(EN_60, answer=" 答案是三。所以结果是三。").value == 1.0
    assert score(EN_60 + ZH_40, think=False).value == pytest.approx(0.6, abs=0.05)
    prefilled = Item(completion=EN_60 + "</think>答案是三", think_prefilled=True)
    assert lang.language_reward(prefilled, P).value == 1.0


@pytest.mark.parametrize(
    "reasoning", ["", "   ", "$x^2 = 4$, 12 + 30 = 42.", "2+2=4", "```\ncode\n```", "\\[x^2\\]"]
)
@pytest.mark.parametrize("target", ["en", "fr", "zh", "ru"])
def test_no_words_is_not_a_wrong_language(reasoning: str, target: str) -> None:
    """Formulas only: nothing is in a wrong language, so pure-math reasoning is not punished."""
    result = score(reasoning, target=target)
    assert result.value == 1.0
    assert result.detail["reason"] == "no_words" and result.detail["total_words"] == 0


@pytest.mark.parametrize("target", ["en", "de", "fr", "sk"])
@pytest.mark.parametrize("text", ["Hmm. $x = 2$.", "Perfect.", "Okay, $x^2$"])
def test_only_undecidable_words_is_the_prior(text: str, target: str) -> None:
    result = score(text, target=target)
    assert result.value == 1.0 and result.detail["reason"] == "undecided"
    assert result.detail["undecided_words"] == 1 and result.detail["total_words"] == 0


@pytest.mark.parametrize("target", ["de", "fr", "es", "sk"])
def test_one_word_sentences_are_pooled(target: str) -> None:
    """Writing one English word per sentence does not make every word undecided."""
    result = score("Let. Me. Check. The. Sum. Again. Now.", target=target)
    assert result.value == 0.0 and result.detail["counts"] == {"en": 7}, result.detail


def test_unknown_target_is_invalid_params() -> None:
    result = score(EN_60, target="xx")
    assert result.value is None and result.error is not None
    assert result.error.type is ErrorType.invalid_params


def test_deterministic_across_cache_states() -> None:
    text = "\n".join(ENGLISH) + ZH_40 + FOREIGN["fr"]
    first = score(text)
    model.word_evidence.cache_clear()
    assert score(text) == first


def test_long_reasoning_is_counted_whole() -> None:
    text = " ".join([EN_60] * 34)
    model.word_evidence.cache_clear()
    result = score(text)
    assert result.detail["total_words"] >= 2000 and result.value == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "中" * 1_000_000,
        "$" * 1_000_000,
        "\\(" * 500_000,
        "```a" * 250_000,
        "x的值 Привет $a$ " * 60_000,
        "\ud800abc\x00\x07" * 100_000,
    ],
)
def test_hostile_inputs_are_bounded(text: str) -> None:
    started = time.perf_counter()
    result = score(text, think=False)
    assert result.value is not None and 0.0 <= result.value <= 1.0
    assert time.perf_counter() - started < 2.0


TAGGY = st.lists(
    st.sampled_from(["<think>", "</think>", "```", "$", "$$", "\\(", "\\)", "`", ".", "\n", " "])
    | st.text(st.characters(exclude_categories=())),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=TAGGY, target=st.sampled_from(["en", "zh", "ja", "fr", "ru", "ko", "qq"]))
def test_never_raises(text: str, target: str) -> None:
    for prefilled in (False, True):
        item = Item(completion=text, target_language=target, think_prefilled=prefilled)
        result = lang.language_reward(item, P)
        assert result.value is None or 0.0 <= result.value <= 1.0

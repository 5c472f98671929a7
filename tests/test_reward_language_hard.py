"""Language consistency on text the detectors get wrong: weak evidence, real translations,
short English misread in public bug reports (split from test_reward_language.py)."""
from __future__ import annotations

import pytest

from bench.language_corpus import phrases, sentences
from reward_server.rewards import language as lang
from reward_server.rewards.base import ErrorType
from tests.test_reward_language import EN_60, score


# Weak evidence is undecided, never the target (German target with English capitals, a
# Slovak target with two short English sentences: both scored 1.0 when weak evidence
# fell back to the target).
@pytest.mark.parametrize("target", ["de", "fr", "es", "sk", "ru", "zh"])
def test_english_in_capitals_is_english(target: str) -> None:
    shouted = "I LOVE YOU. THIS IS THE ANSWER. WE NEED TO COMPUTE THE SUM OF ALL TERMS NOW."
    result = score(shouted, target=target)
    assert result.value == 0.0, result.detail


def test_capitals_in_the_target_language_stay_target() -> None:
    german = "Jetzt müssen wir die Summe berechnen. DAS ERGEBNIS IST SIEBEN."
    assert score(german, "de").value == 1.0
    assert score("NOUS DEVONS CALCULER LA SOMME DES TERMES.", "fr").value == 1.0


@pytest.mark.parametrize("target", ["sk", "cs", "pl", "de", "hu"])
def test_two_short_english_sentences_are_not_the_target(target: str) -> None:
    result = score("I love you. Hello world.", target=target)
    assert result.value == 0.0 and result.detail["counts"].get("en", 0) >= 2, result.detail


INTERJECTED = {  # about a fifth of the words are English interjections (11 words; OK is not one)
    "fr": "Nous devons trouver la somme des termes de la suite. Bon, let me check. Le premier "
    "terme vaut 2 et la raison vaut 3. Donc la somme des dix premiers termes est égale à 155. "
    "OK so that works. Maintenant on vérifie avec la formule générale. Wait, that is not "
    "right. Alors on recommence le calcul avec soin. La réponse est donc 155.",
    "es": "Tenemos que encontrar la suma de los términos de la sucesión. Bueno, let me check. "
    "El primer término es 2 y la razón es 3. Entonces la suma de los diez primeros términos "
    "es 155. OK so that works. Ahora comprobamos con la fórmula general. Wait, that is not "
    "right. Así que volvemos a calcular con cuidado. La respuesta es 155.",
    "de": "Wir müssen die Summe der Folge berechnen. Gut, let me check. Das erste Glied ist 2 "
    "und die Differenz ist 3. Also ist die Summe der ersten zehn Glieder 155. OK so that "
    "works. Jetzt prüfen wir das mit der allgemeinen Formel. Wait, that is not right. Also "
    "rechnen wir noch einmal sorgfältig nach. Die Antwort ist 155.",
}


@pytest.mark.parametrize("target", sorted(INTERJECTED))
def test_short_english_interjections_are_counted(target: str) -> None:
    text = INTERJECTED[target]
    tokens = text.replace(",", " ").replace(".", " ").split()
    n_words = sum(len(w) > 1 and not w.isdigit() and not w.isupper() for w in tokens)
    true_share = 1 - 11 / n_words
    result = score(text, target=target)
    assert result.detail["counts"]["en"] >= 10, result.detail
    assert result.value == pytest.approx(true_share, abs=0.05)


def test_issue_example_french_with_english_asides() -> None:
    text = "Bon, let me check. Donc x vaut 3. OK so that works. Alors la réponse est 3."
    result = score(text, target="fr")
    # 6 English words (let me check, so that works; OK is an acronym) against 6 French
    # ones; "Bon" alone is undecided (French, Catalan and English all have it)
    assert result.detail["counts"] == {"en": 6, "fr": 6}
    assert result.value == pytest.approx(0.5)


def test_japanese_label_inside_a_chinese_sentence() -> None:
    text = "首先把方程改写成简单形式，いつでも，然后逐一检查每个数。"
    counts, _ = lang.count_words(text, "zh")
    assert counts == {"zh": 21, "ja": 4}
    ja = "これは二次方程式です、判別式、答えは三になります。"
    assert lang.count_words(ja, "ja")[0] == {"ja": sum(1 for c in ja if c not in "、。")}


@pytest.mark.parametrize("code", ["af", "cy", "et", "tl", "sw"])
def test_languages_without_word_evidence_are_unsupported(code: str) -> None:
    result = score(EN_60, target=code)
    assert result.value is None and result.error is not None
    assert result.error.type is ErrorType.invalid_params


# Real text: Django's human translations (bench/language_corpus.py).
REAL = ("en", "fr", "de", "es", "it", "pt", "ru", "zh", "ja")


@pytest.mark.parametrize("code", REAL)
def test_real_sentences_score_their_own_language(code: str) -> None:
    text = " ".join(sentences(code)[:40])
    result = score(text, target=code)
    floor = 0.9 if code == "ru" else 0.95  # Russian messages keep Latin terms (JSON, cookie)
    assert result.value >= floor, result.detail
    assert score(text, target="en" if code != "en" else "fr").value <= 0.1


@pytest.mark.parametrize(("target", "foreign"), [("fr", "en"), ("de", "en"), ("es", "it"),
                                                 ("en", "de"), ("pt", "es"), ("it", "fr")])
def test_real_sentences_mixed_three_to_one(target: str, foreign: str) -> None:
    own, other = list(sentences(target)[40:70]), list(sentences(foreign)[70:80])
    pieces = [s for pair in zip(own[::3], other, strict=False) for s in pair] + own
    text = " ".join(dict.fromkeys(pieces))  # interleaved, each sentence once
    n_own = sum(sum(lang.count_words(s, target)[0].values()) for s in own)
    n_other = sum(sum(lang.count_words(s, foreign)[0].values()) for s in other)
    result = score(text, target=target)
    assert result.value == pytest.approx(n_own / (n_own + n_other), abs=0.06), result.detail


@pytest.mark.parametrize(("target", "foreign"), [("fr", "en"), ("en", "fr"), ("de", "es")])
def test_real_short_labels_inside_target_sentences(target: str, foreign: str) -> None:
    own = list(sentences(target)[:20])
    labels = [p for p in phrases(foreign) if len(p.split()) >= 3][:20]
    text = " ".join(s[:-1] + ", " + label + s[-1] for s, label in zip(own, labels, strict=True))
    result = score(text, target=target)
    n_other = sum(len(label.split()) for label in labels)
    n_own = sum(sum(lang.count_words(s, target)[0].values()) for s in own)
    assert result.value == pytest.approx(n_own / (n_own + n_other), abs=0.06), result.detail
    assert result.value < 0.95


# Short English that language detectors misread in public bug reports (langdetect #105 and
# #52, spacy-langdetect #7, language-detection #12, a PHP detector's #5 and #10): each is
# English or undecided against an English target, and never the target otherwise.
MISREAD = [
    "I love you", "Let's talk somewhere else", "distribution agreement", "You are a noob.",
    "welcome!", "War doesn't show who's right, just who's left.",
    "Retirement planning at a young age is a good idea",
    "What are strategies to promote a positive mental health in students?",
    "How to launch a tech career in 2021", "Let’s talk about securing open source projects",
    "Git clone: a data-driven study on cloning behaviors",
    "Get up to speed with partial clone and shallow clone",
    "Visualizing GitHub’s global community", "How to make DevOps your competitive advantage",
    "dog", "cat",
]


@pytest.mark.parametrize("text", MISREAD)
def test_misread_english_never_counts_as_another_target(text: str) -> None:
    assert score(text, target="en").value == 1.0
    for target in ("fr", "de", "sk", "pt", "it", "da", "nl", "tr"):
        result = score(text, target=target)
        assert result.value == 0.0 or result.detail.get("reason") == "undecided", (target, result)
        assert result.detail["counts"].get(target, 0) == 0


def test_order_of_sentences_does_not_matter() -> None:
    """language-detection #59: the same de/fr sentences in three orders."""
    de, fr, de2 = "Wie geht es Ihnen?", "Bonjour, le soleil brille et les oiseaux chantent.", \
        "Es geht mir gut, Danke!"
    results = {score(" ".join(order), target="de").value
               for order in ((de, de2, fr), (de, fr, de2), (fr, de, de2))}
    assert len(results) == 1 and 0.4 < results.pop() < 0.6


@pytest.mark.parametrize(
    ("text", "target"),
    [("我们用 JSON 格式保存结果，然后检查 CSRF 令牌。", "zh"),
     ("Проверьте, что запрос HTTPS содержит заголовок CSRF.", "ru"),
     ("Wir berechnen den GCD und das LCM beider Zahlen.", "de")],
)
def test_acronyms_are_not_words(text: str, target: str) -> None:
    result = score(text, target=target)
    assert result.value == 1.0, result.detail


@pytest.mark.parametrize("target", ["de", "zh", "ru"])
@pytest.mark.parametrize(
    "text",
    ["LET ME CHECK THE SUM of the series now.", "我们 LET ME CHECK THE SUM AGAIN.",
     "LET me CHECK the SUM again."],
)
def test_capitals_cannot_hide_english(text: str, target: str) -> None:
    result = score(text, target=target)
    assert result.detail["counts"].get("en", 0) >= 3, result.detail
    assert result.value <= 0.25  # "我们" is two Chinese words against six English ones


def test_no_zero_counts_in_detail() -> None:
    result = score("我们用 JSON 格式。值必须是有效的JSON，ログエントリー。", target="zh")
    assert all(n > 0 for n in result.detail["counts"].values()), result.detail

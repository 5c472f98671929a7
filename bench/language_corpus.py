"""Real human-translated text in many languages: Django's message catalogues.

Django ships professional translations of its messages (``django/**/locale/<lang>/
LC_MESSAGES/django.mo``), read here with the standard library's ``gettext``. Messages
that are sentences (end in ``.``, ``?`` or ``!``) are the long material; two-to-five-word
labels ("Save and continue editing") are the short interjections. Placeholders
(``%(name)s``, ``{x}``, HTML tags) are removed.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

# Our language code -> Django's locale folder.
LOCALES = {
    "en": "en", "fr": "fr", "de": "de", "es": "es", "it": "it", "pt": "pt", "sk": "sk",
    "cs": "cs", "ru": "ru", "zh": "zh_Hans", "ja": "ja",
}  # fmt: skip
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sdrf]|%[sdrf]|\{[^}]*\}|<[^>]*>|&[a-z]+;")


def _django_root() -> Path:
    import django  # a corpus source only: nothing of Django is used

    return Path(django.__file__).resolve().parent


@cache
def catalogue(lang: str) -> dict[str, str]:
    """English message -> its translation in ``lang`` (identity for ``en``), cleaned."""
    out: dict[str, str] = {}
    pattern = f"**/locale/{LOCALES[lang if lang != 'en' else 'fr']}/LC_MESSAGES/django.mo"
    for path in sorted(_django_root().glob(pattern)):
        with path.open("rb") as f:
            messages = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        for msgid, msgstr in messages.items():
            if not isinstance(msgid, str) or not msgid or not msgstr:
                continue
            text = msgid if lang == "en" else msgstr
            text = " ".join(_PLACEHOLDER.sub(" ", text).split())
            if text:
                out[msgid] = text
    return out


def _word_count(text: str) -> int:
    return len(text.split())


@cache
def sentences(lang: str, min_words: int = 5) -> tuple[str, ...]:
    """Translated messages whose English original is a sentence of ``min_words`` or more."""
    return tuple(
        text
        for msgid, text in sorted(catalogue(lang).items())
        if re.search(r"[.?!]$", msgid) and _word_count(msgid) >= min_words
        and re.search(r"[.?!\u3002\uff01\uff1f]$", text)
    )


@cache
def phrases(lang: str) -> tuple[str, ...]:
    """Translated labels whose English original has two to five words and no punctuation."""
    return tuple(
        text
        for msgid, text in sorted(catalogue(lang).items())
        if 2 <= _word_count(msgid) <= 5 and re.fullmatch(r"[A-Za-z ]+", msgid)
    )

"""Light text helpers for the FAQ that need no numeric libraries (see desk.faq.search)."""

import re
import unicodedata

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
WORD = re.compile(r"[a-z]{2,}")
_GERMAN_MARKERS = frozenset("und der die das ist nicht ich ein eine mit auf fuer wir sie".split())
_ENGLISH_MARKERS = frozenset("the and is not you my your for with this that we it".split())


def fold(text: str) -> str:
    """Lowercase ASCII-ish text: umlauts spelled out, accents dropped."""
    text = text.lower().translate(_FOLD)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def guess_language(text: str) -> str | None:
    """'de' or 'en' by counting common function words; None when it cannot tell."""
    tokens = WORD.findall(fold(text))
    german = sum(token in _GERMAN_MARKERS for token in tokens)
    english = sum(token in _ENGLISH_MARKERS for token in tokens)
    if german == english:
        return None
    return "de" if german > english else "en"

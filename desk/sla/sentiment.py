"""Sentiment of an inbound message, -1 (very negative) to +1 (very positive).

English: VADER (vaderSentiment, MIT licence; its lexicon and emoji table ship in
the package, nothing is downloaded). German: desk's own small lexicon
(desk/sla/lexicon_de.py, source and licence documented there) scored with the
same rules VADER uses: negation within three words flips and damps a word,
intensifiers scale the next word, words after "aber"/"doch" weigh more, CAPS
and exclamation marks amplify, emoji count, and the sum is squashed into
-1..1 with VADER's normalisation (s / sqrt(s² + 15)).
"""

import math
import re
from functools import lru_cache

from desk.sla.lexicon_de import INTENSIFIERS, NEGATIONS, WORDS

NEGATION_SCALE = -0.74  # VADER's: a negated word counts about three quarters the other way
CAPS_SCALE = 1.3
EXCLAMATION = 0.292
_TOKEN = re.compile(r"[a-zäöüß]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]", re.IGNORECASE)

EMOJI: dict[str, float] = {
    "😡": -3.0, "🤬": -3.4, "😠": -2.6, "😤": -2.2, "😢": -2.2, "😭": -2.4, "😞": -2.0,
    "😒": -1.8, "🙄": -1.6, "👎": -2.2, "💩": -2.4, "😩": -2.2, "😫": -2.2, "🤮": -3.0,
    "😱": -1.8, "😖": -2.0, "☹": -2.0, "🙁": -1.8, "😕": -1.2, "💔": -2.4,
    "😊": 2.2, "😀": 2.2, "😃": 2.2, "😄": 2.4, "😁": 2.2, "🙂": 1.4, "😍": 3.0, "🥰": 3.0,
    "👍": 2.0, "👏": 2.0, "🙏": 1.4, "❤": 3.0, "💙": 2.6, "💚": 2.6, "🎉": 2.4, "😂": 1.2,
    "🤣": 1.2, "😉": 1.4, "✅": 1.2, "⭐": 1.6,
}
_ENGLISH = frozenset("the and is are was not you your my i it to of for with this that have "
                     "been why what no please can't don't".split())
_GERMAN = frozenset("der die das und ist sind war nicht ich ihr mein es zu mit für von auf "
                    "schon wieder bitte warum kein keine noch".split())
_PREFIXES: dict[str, list[tuple[str, float]]] = {}
for _word, _value in sorted(((w[:-1], v) for w, v in WORDS.items() if w.endswith("*")),
                            key=lambda item: -len(item[0])):
    # Looked up by the first three letters: a word is compared with a handful, not all.
    _PREFIXES.setdefault(_word[:3], []).append((_word, _value))
_EXACT = {w: v for w, v in WORDS.items() if not w.endswith("*")}


# An intake batch asks twice per message (desk.sla.service.prepare_new_ticket, then the
# SLA pass), a batch apart: the last scores are remembered, but only of texts short enough
# that the memory stays small (posts; long e-mails are scored anew).
REMEMBERED_SCORES = 1024
REMEMBERED_LENGTH = 4000


def score(text: str, language: str | None = None) -> float:
    """The message's sentiment in -1..1, in its language (German or English)."""
    if text and len(text) > REMEMBERED_LENGTH:
        return _score(text, language)
    return _remembered_score(text, language)


@lru_cache(maxsize=REMEMBERED_SCORES)
def _remembered_score(text: str, language: str | None) -> float:
    return _score(text, language)


def _score(text: str, language: str | None) -> float:
    if not text or not text.strip():
        return 0.0
    if (language or guess_language(text)).lower().startswith("de"):
        return round(score_german(text), 4)
    return round(score_english(text), 4)


def score_english(text: str) -> float:
    """VADER's compound score, with desk's emoji valences added to its raw sum.

    VADER reads an emoji through its English description ("pouting face"), which
    often carries no valence; the emoji table above fills that gap.
    """
    compound = _vader().polarity_scores(text)["compound"]
    emoji = sum(EMOJI.get(ch, 0.0) for ch in _TOKEN.findall(text))
    if not emoji:
        return compound
    compound = max(min(compound, 0.9999), -0.9999)
    raw = compound * math.sqrt(15 / (1 - compound * compound)) + emoji
    return raw / math.sqrt(raw * raw + 15)


def guess_language(text: str) -> str:
    words = set(re.findall(r"[a-zäöüß']+", text.lower()))
    if any(ch in text for ch in "äöüßÄÖÜ"):
        return "de"
    return "de" if len(words & _GERMAN) > len(words & _ENGLISH) else "en"


@lru_cache(maxsize=1)
def _vader():  # noqa: ANN202 - the library has no type hints
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score_german(text: str) -> float:
    tokens = _TOKEN.findall(text)
    shouting = text.upper() == text
    lowered = [t.lower() for t in tokens]
    total = 0.0
    contrast = next((i for i, t in enumerate(lowered) if t in ("aber", "doch", "jedoch")), None)
    i = 0
    while i < len(lowered):
        valence, width = _valence(lowered, i)
        if valence:
            if not shouting and tokens[i].isupper() and len(tokens[i]) > 2:
                valence *= CAPS_SCALE
            valence *= _modifiers(lowered, i)
            if contrast is not None:
                valence *= 0.5 if i < contrast else 1.5
            total += valence
        i += width
    total += _exclamations(text, total)
    return total / math.sqrt(total * total + 15)


def _valence(tokens: list[str], i: int) -> tuple[float, int]:
    """A word's (or two-word phrase's) valence and how many tokens it covers."""
    if i + 1 < len(tokens):
        pair = f"{tokens[i]} {tokens[i + 1]}"
        if pair in _EXACT:
            return _EXACT[pair], 2
    word = tokens[i]
    if word in EMOJI:
        return EMOJI[word], 1
    if word in _EXACT:
        return _EXACT[word], 1
    if word in NEGATIONS or word in INTENSIFIERS:
        return 0.0, 1
    for prefix, value in _PREFIXES.get(word[:3], ()):
        if word.startswith(prefix):
            return value, 1
    return 0.0, 1


def _modifiers(tokens: list[str], i: int) -> float:
    """Negations within three words before, and an intensifier just before, the word."""
    factor = 1.0
    before = tokens[max(0, i - 3):i]
    pairs = {f"{a} {b}" for a, b in zip(before, before[1:], strict=False)}
    if any(t in NEGATIONS for t in before) or pairs & NEGATIONS:
        factor *= NEGATION_SCALE
    for t in tokens[max(0, i - 2):i]:
        factor *= INTENSIFIERS.get(t, 1.0)
    if i >= 2:
        factor *= INTENSIFIERS.get(f"{tokens[i - 2]} {tokens[i - 1]}", 1.0)
    return factor


def _exclamations(text: str, total: float) -> float:
    if not total:
        return 0.0
    marks = min(text.count("!"), 4) * EXCLAMATION
    return marks if total > 0 else -marks

"""Finding and hiding personal data before anything reaches an FAQ editor or the public.

The rules are deliberately greedy: a false alarm costs an editor one look, a
miss puts a customer's data on a public page. Each finding is replaced by a
placeholder such as ``[email]`` that templates show marked, so the editor can
check every replacement. Placeholders are themselves never findings.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("email", "link", "iban", "phone", "number", "handle", "name")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# Short links hide where they go; query strings and fragments carry tokens and ids.
_SHORTENERS = re.compile(r"^(?:https?://)?(?:t\.co|bit\.ly|goo\.gl|tinyurl\.com|ow\.ly|"
                         r"buff\.ly|lnkd\.in|amzn\.to|fb\.me)/", re.IGNORECASE)
_TOKEN_SEGMENT = re.compile(r"(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{12,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")
# International (+49 30 1234567, 0049 171 1234567, +1 (800) 555-1234), German national
# (030 1234567, 030/123 45 67, 0171-1234567, (030) 1234567) and North American forms.
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|00)\d{1,3}[\s./-]?|1[\s.-])?\(?\d{2,5}\)?(?:[\s./-]?\d{2,}){1,5}(?!\w)"
)
_DATE_OR_TIME = re.compile(r"^\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?$|^\d{1,2}:\d{2}$|^\d{4}$")
# Order, tracking, customer and booking numbers: long digit runs, or letters and
# digits mixed (1Z999AA10123456784, RR123456785DE), or any number after such a word.
_LONG_NUMBER = re.compile(r"(?<![\w\[])(?:[A-Z]{0,4}\d[\dA-Z-]{4,}\d[A-Z]{0,3})(?![\w\]])")
_KEYWORD_NUMBER = re.compile(
    r"(?P<word>\b(?:order|tracking|case|ticket|booking|account|customer|invoice|ref(?:erence)?|"
    r"bestell(?:ung)?|auftrag|sendung|sendungs|kunden|rechnung|vorgang|buchung|vertrag)"
    r"[\w-]*\s*(?:no\.?|nr\.?|number|nummer|id|#|:)?\s*#?:?\s*)(?P<number>[A-Z0-9-]*\d[A-Z0-9-]{2,})",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@\[])@\w{1,30}")
_HONORIFIC_NAME = re.compile(
    r"\b(?:Herr|Herrn|Frau|Hr\.|Fr\.|Mr\.?|Mrs\.?|Ms\.?|Miss|Dr\.|Prof\.)\s+"
    r"(?P<name>[A-ZÄÖÜ][\w'-]+(?:\s+[A-ZÄÖÜ][\w'-]+)?)"
)
_GREETING_NAME = re.compile(
    r"\b(?:Hallo|Hi|Hey|Hello|Dear|Liebe|Lieber|Moin|Servus|Thanks|Thank you|Danke|Cheers)"
    r",?\s+(?P<name>[A-ZÄÖÜ][a-zäöüß]{1,}(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
    r"(?:\s+[A-ZÄÖÜ][a-zäöüß]{2,})?)(?=\s*[,!.:\n]|$)"
)
_INTRODUCED_NAME = re.compile(
    # Not "ich bin": German nouns are capitalised ("ich bin Anfang der Woche ...").
    r"\b(?:[Mm]y name is|I am|I'm|[Mm]ein Name ist|[Ii]ch hei(?:ß|ss)e)\s+"
    r"(?P<name>[A-ZÄÖÜ][a-zäöüß]{2,}(?:\s+[A-ZÄÖÜ][a-zäöüß]{2,})?)\b"
)
# Agents sign tweets with initials or a first name: "^JK", "-AB", "- Gary".
_SIGNATURE = re.compile(r"(?:\^\s?[A-Z]{1,3}[a-z]?|(?:(?<=\s)|^)[-–]\s?[A-Z][A-Za-z]{0,11})\s*$")
_NOT_NAMES = frozenset({
    "Bahn", "Team", "Support", "Service", "Kundenservice", "Customer", "Sir", "Madam",
    "There", "All", "Everyone", "Again", "You", "Sie", "Dir", "Euch", "Ihnen", "Leute",
})

PLACEHOLDER = re.compile(r"\[(?:" + "|".join(KINDS) + r")\]")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Redacted:
    text: str
    findings: tuple[Finding, ...]


def find_personal_data(text: str, names: Iterable[str] = ()) -> list[Finding]:
    """Every piece of personal data in `text`, earliest first, none overlapping.

    `names` are names known to belong to people (the contact, agents); they are
    found wherever they appear, as whole words, case-insensitively.
    """
    spans: list[Finding] = []
    taken = [False] * len(text)

    def add(kind: str, start: int, end: int) -> None:
        if start >= end or any(taken[start:end]):
            return
        if PLACEHOLDER.fullmatch(text[start:end]):
            return
        for i in range(start, end):
            taken[i] = True
        spans.append(Finding(kind, start, end, text[start:end]))

    for match in _EMAIL.finditer(text):
        add("email", *match.span())
    for match in _HANDLE.finditer(text):
        add("handle", *match.span())
    for match in _URL.finditer(text):
        url = match.group().rstrip(".,;:!?)")
        if _is_secret_url(url):
            add("link", match.start(), match.start() + len(url))
    for match in _KEYWORD_NUMBER.finditer(text):
        add("number", *match.span("number"))
    for match in _IBAN.finditer(text):
        add("iban", *match.span())
    for match in _PHONE.finditer(text):
        candidate = match.group()
        digits = sum(c.isdigit() for c in candidate)
        if digits >= 7 and not _DATE_OR_TIME.match(candidate.strip()):
            add("phone", *match.span())
    for match in _LONG_NUMBER.finditer(text):
        if sum(c.isdigit() for c in match.group()) >= 6:
            add("number", *match.span())
    for pattern in (_HONORIFIC_NAME, _GREETING_NAME, _INTRODUCED_NAME):
        for match in pattern.finditer(text):
            if match.group("name").split()[0] not in _NOT_NAMES:
                add("name", *match.span("name"))
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len,
                       reverse=True):
        for part in _name_variants(name):
            for match in re.finditer(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE):
                add("name", *match.span())
    for match in _SIGNATURE.finditer(text):
        start = match.start()
        while start < len(text) and text[start] in " ^-–":
            start += 1
        add("name", start, match.end() - (len(match.group()) - len(match.group().rstrip())))
    return sorted(spans, key=lambda finding: finding.start)


def redact(text: str, names: Iterable[str] = ()) -> Redacted:
    """`text` with each finding replaced by its placeholder, e.g. ``[phone]``."""
    findings = find_personal_data(text, names)
    pieces, last = [], 0
    for finding in findings:
        pieces.append(text[last:finding.start])
        pieces.append(f"[{finding.kind}]")
        last = finding.end
    pieces.append(text[last:])
    return Redacted("".join(pieces), tuple(findings))


def marked(text: str) -> list[tuple[str, bool]]:
    """`text` as (piece, is_placeholder) pairs, for templates to wrap placeholders in <mark>."""
    pieces, last = [], 0
    for match in PLACEHOLDER.finditer(text):
        if match.start() > last:
            pieces.append((text[last:match.start()], False))
        pieces.append((match.group(), True))
        last = match.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def _is_secret_url(url: str) -> bool:
    if "?" in url or "#" in url or _SHORTENERS.match(url):
        return True
    path = re.sub(r"^(?:https?://)?[^/]+", "", url, flags=re.IGNORECASE)
    return any(_TOKEN_SEGMENT.fullmatch(segment) for segment in path.split("/") if segment)


def _name_variants(name: str) -> list[str]:
    """A full name, and each of its parts long enough to be a name on its own."""
    name = name.lstrip("@")
    parts = [part for part in re.split(r"[\s_.-]+", name) if len(part) >= 3]
    return [name, *(part for part in parts if part != name)]

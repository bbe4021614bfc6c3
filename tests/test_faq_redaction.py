"""Redaction: personal data found and replaced before editors or the public see a text.

Real messages come from ../shared/data through tests/shared_data.py (test use only).
"""

import re

import pytest

from desk.faq.redaction import find_personal_data, marked, redact
from tests.shared_data import germeval_posts, twcs_tweets


@pytest.mark.parametrize(("text", "expected"), [
    ("Schreib an anna.meier@example.com bitte", "Schreib an [email] bitte"),
    ("Ruf an: +49 30 1234567", "Ruf an: [phone]"),
    ("Ruf an: 0049 171 2345678!", "Ruf an: [phone]!"),
    ("Tel. 030/123 45 67", "Tel. [phone]"),
    ("Handy 0171-1234567", "Handy [phone]"),
    ("(030) 1234567 ab 9 Uhr", "[phone] ab 9 Uhr"),
    ("Call +1 (800) 555-1234 today", "Call [phone] today"),
    ("call 1-800-555-1234", "call [phone]"),
    ("Order #A12345 is late", "Order #[number] is late"),
    ("Bestellnummer 4711-0815 fehlt", "Bestellnummer [number] fehlt"),
    ("Kundennummer: 12345", "Kundennummer: [number]"),
    ("tracking 1Z999AA10123456784", "tracking [number]"),
    ("Sendung RR123456785DE", "Sendung [number]"),
    ("IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN [iban] bitte"),
    ("IBAN DE89370400440532013000", "IBAN [iban]"),
    ("reset at https://example.com/reset?token=abc123", "reset at [link]"),
    ("see https://shop.example.com/o/8f3a9c2b7d1e4f60 now", "see [link] now"),
    ("short https://t.co/P7XCmTzPQj", "short [link]"),
    ("@AppleSupport it broke", "[handle] it broke"),
    ("Danke, Herr Grube!", "Danke, Herr [name]!"),
    ("Hallo Paul-Richard, gern.", "Hallo [name], gern."),
    ("Sorry about that. ^JK", "Sorry about that. ^[name]"),
    ("Please DM us. -Gary", "Please DM us. -[name]"),
    ("My name is Karla Kunde and", "My name is [name] and"),
])
def test_personal_data_is_replaced(text, expected):
    assert redact(text).text == expected


@pytest.mark.parametrize("text", [
    "ICE 578 fällt aus, Abfahrt 14:12 am 24.11.2026 von Gleis 7.",
    "Der RE 5 fährt um 14:12. Mehr unter https://www.bahn.de/service",
    "Refunds take 5 to 7 days. Call us 24/7.",
    "Hallo Team, danke!",
    "Platzhalter wie [email] und [name] bleiben, wie sie sind.",
])
def test_ordinary_text_is_left_alone(text):
    assert redact(text).text == text


def test_known_names_are_found_wherever_they_appear():
    found = find_personal_data("karla wrote, and KUNDE again; Karla_K too",
                               names=["Karla Kunde", "@karla_k"])
    assert [f.text for f in found] == ["karla", "KUNDE", "Karla_K"]
    assert {f.kind for f in found} == {"name"}


def test_marked_pieces_for_the_editor():
    assert marked("Hi [name], see [link].") == [
        ("Hi ", False), ("[name]", True), (", see ", False), ("[link]", True), (".", False)]


def test_twitter_customer_care_sample_keeps_no_handles_numbers_or_short_links():
    texts = [tweet.text for tweet in twcs_tweets()]
    redacted = [redact(text).text for text in texts]
    leaks = [
        (original, clean) for original, clean in zip(texts, redacted, strict=True)
        if re.search(r"(?<![\w\[])@\w+|\d{7,}|https?://t\.co/\w+|[\w.+-]+@[\w-]+\.[a-z]{2,}",
                     clean)
    ]
    assert leaks == []
    # The sample really has them: every customer and brand reply starts with a handle.
    assert sum("[handle]" in text for text in redacted) > 4000
    assert sum(re.search(r"[\^-]\[name\]$", text) is not None for text in redacted) > 100


def test_twitter_brand_replies_lose_their_agents_initials():
    replies = [t.text for t in twcs_tweets() if not t.inbound and re.search(r"\^[A-Z]{2}\s*$",
                                                                            t.text)]
    assert replies, "the sample has replies signed with initials"
    assert all(redact(text).text.rstrip().endswith("^[name]") for text in replies)


def test_germeval_posts_lose_addressed_names_and_links():
    posts = [post.text for post in germeval_posts()]
    addressed = [text for text in posts if re.search(r"\b(?:Herr|Frau) [A-ZÄÖÜ][a-zäöüß]+",
                                                     text)]
    assert len(addressed) >= 5
    for text in addressed:
        clean = redact(text).text
        assert not re.search(r"\b(?:Herr|Frau) (?!\[name\])[A-ZÄÖÜ][a-zäöüß]{2,}", clean), clean
    greeted = [text for text in posts if "Hallo Dietrich Hinz" in text]
    assert greeted and all("Dietrich" not in redact(text).text for text in greeted)
    assert not any(re.search(r"https?://t\.co/\w+", redact(text).text) for text in posts)

"""FAQ numbers: search over 5,000 entries, clustering 100,000 inbound messages, page times.

    .venv/bin/python -m bench.faq [--entries 5000] [--messages 100000] [--database URL]

Everything is synthetic, generated from templates below (German and English
questions with varying names, numbers, typos and filler), so the run needs no
data files. Times are server side: service calls and Flask test-client requests,
no network. The database defaults to a fresh SQLite file in a temporary folder.
"""

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

TOPICS = [
    ("Wie kann ich mein Ticket stornieren", "Stornieren Sie online unter Meine Buchungen.", "de"),
    ("Wie bekomme ich eine Erstattung bei Verspätung", "Über das Fahrgastrechte-Formular.", "de"),
    ("Darf ich mein Fahrrad im Zug mitnehmen", "Im Regionalverkehr mit Fahrradkarte.", "de"),
    ("Gibt es WLAN im ICE", "Ja, in allen ICE kostenlos.", "de"),
    ("Wo finde ich meine Rechnung", "Unter Meine Buchungen als PDF.", "de"),
    ("Wie ändere ich mein Passwort", "Unter Profil, Sicherheit, Passwort ändern.", "de"),
    ("Kann ich meinen Hund mitnehmen", "Kleine Hunde in der Box fahren kostenlos.", "de"),
    ("Wie lange ist mein Ticket gültig", "Flexpreis-Tickets gelten am Reisetag und am Folgetag.",
     "de"),
    ("Was tun wenn mein Anschlusszug weg ist", "Nehmen Sie den nächsten Zug, die Bindung "
     "ist aufgehoben.", "de"),
    ("Wie reserviere ich einen Sitzplatz", "Bei der Buchung oder nachträglich online.", "de"),
    ("How do I cancel my order", "Go to Orders, choose the order, press Cancel.", "en"),
    ("How do I get a refund", "Refunds go back to your payment method in 5-7 days.", "en"),
    ("My package has not arrived", "Check the tracking link; after 10 days we resend.", "en"),
    ("How can I reset my password", "Use Forgot password on the sign-in page.", "en"),
    ("Can I change my delivery address", "Yes, until the order ships, under Orders.", "en"),
    ("Why was my card declined", "Your bank refused it; try another card or call them.", "en"),
    ("How do I update the app", "Open the App Store and tap Update.", "en"),
    ("Where is my invoice", "Invoices are under Account, Orders, Invoice.", "en"),
    ("How do I delete my account", "Write to privacy support; we delete it within 30 days.",
     "en"),
    ("Can I pay with PayPal", "Yes, PayPal is available at checkout.", "en"),
]
NAMES = ["Anna", "Karla", "Jonas", "Mehmet", "Sophie", "Lukas", "Sarah", "Tom", "Lea", "Ben"]
OPENERS = ["", "Hallo, ", "Hi, ", "Moin! ", "Hello, ", "Quick question: ", "Dringend: "]
CLOSERS = ["", "?", " ??", " bitte!", " please", " asap", " danke", " thanks"]
NOISE = ("zug bahn app order paket karte preis heute gestern morgen warum immer wieder "
         "schon wieder service kunde hotline warten stunde minute gleis bahnhof delivery "
         "account support phone email store price late broken again today").split()


SYLLABLES = [consonant + vowel for consonant in "bklmnrst" for vowel in "aeiou"]


def rare_word(rng: random.Random) -> str:
    """A pseudo-word from a vocabulary of about 40,000, the rarer the more likely unseen."""
    rank = rng.randrange(40_000) if rng.random() < 0.7 else int(200 ** rng.random())
    word_rng = random.Random(rank)
    return "".join(word_rng.choice(SYLLABLES) for _ in range(2 + rank % 3))


def typo(text: str, rng: random.Random) -> str:
    """Swap two neighbouring letters somewhere, as people do."""
    if len(text) < 6 or rng.random() < 0.6:
        return text
    i = rng.randrange(1, len(text) - 2)
    return text[:i] + text[i + 1] + text[i] + text[i + 2:]


def inbound_text(rng: random.Random) -> tuple[str, str]:
    """One synthetic complaint and the reply it got; a third are off-topic noise."""
    if rng.random() < 0.3:
        # Off-topic posts: common words plus a long tail of rarer ones (Zipf-like), all
        # answered with the same stock reply, which must not make them a cluster.
        words = [rng.choice(NOISE) if rng.random() < 0.4 else rare_word(rng)
                 for _ in range(rng.randint(4, 12))]
        return f"{' '.join(words)} {rng.randint(1, 999)}", "Wir melden uns per DM."
    question, answer, _ = rng.choice(TOPICS)
    extra = rng.choice(["", f"Ich bin {rng.choice(NAMES)}.",
                        f"Order {rng.randint(10**6, 10**7)}"])
    text = f"{rng.choice(OPENERS)}{typo(question, rng)}{rng.choice(CLOSERS)} {extra}"
    return text, f"Hallo {rng.choice(NAMES)}, {answer} ^{rng.choice('ABCDEFG')}{rng.choice('KLMN')}"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))])


def timed(function: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def make_app(database_url: str):
    from config import Config
    from desk import create_app

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = None
        WTF_CSRF_ENABLED = False
        RATELIMIT_ENABLED = False
        SECRET_KEY = "bench-only"  # noqa: S105 - a throwaway app in a temporary folder

    return create_app(BenchConfig)


def seed_entries(count: int, rng: random.Random) -> list[str]:
    """`count` published entries from the topic templates, in bulk; returns their slugs."""
    from desk.extensions import db
    from desk.models import FaqEntry, utcnow

    now = utcnow()
    rows, slugs = [], []
    for n in range(count):
        question, answer, language = TOPICS[n % len(TOPICS)]
        variant = f"{question} ({rng.choice(NOISE)} {n})"
        slug = f"entry-{n}"
        slugs.append(slug)
        rows.append({
            "slug": slug, "question": variant + "?", "answer_html": f"<p>{answer}</p>",
            "answer_text": f"{answer} {' '.join(rng.choice(NOISE) for _ in range(30))}",
            "category": f"{'Bahn' if language == 'de' else 'Shop'} {n % 12}",
            "language": language, "status": "published", "publish_at": now, "version": 1,
            "view_count": 0, "helpful_yes": 0, "helpful_no": 0, "sent_count": 0,
            "followup_count": 0, "created_at": now, "updated_at": now,
        })
    db.session.execute(sa.insert(FaqEntry), rows)
    db.session.commit()
    return slugs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    rng = random.Random(8)

    with tempfile.TemporaryDirectory() as folder:
        url = args.database or f"sqlite:///{Path(folder) / 'bench-faq.sqlite3'}"
        app = make_app(url)
        from flask_migrate import upgrade

        from desk.faq import search

        results: list[tuple[str, str, str, str]] = []
        with app.app_context():
            upgrade()
            slugs = seed_entries(args.entries, rng)
            build = timed(lambda: search.entry_index(), 1)[0]
            results.append((f"search index build ({args.entries} entries, cold)",
                            f"{build:.0f}", "", "once per change"))
            queries = [typo(q.lower(), rng) for q, _, _ in TOPICS] + [
                "ticket storniern", "refnud", "fahrad mitnehmen", "pasword reset", "wlan ice"]
            samples = []
            for _ in range(10):
                for query in queries:
                    samples += timed(lambda query=query: search.search(query), 1)
            p50, p95 = percentiles(samples)
            results.append((f"search() warm, {len(samples)} queries with typos",
                            f"{p50:.1f}", f"{p95:.1f}", "target < 30 ms"))

            client = app.test_client()
            for label, path in (("GET /faq?q=… (search page)", "/faq?q=ticket+storniern"),
                                ("GET /faq (overview)", "/faq"),
                                ("GET /faq/<slug>", f"/faq/{slugs[7]}"),
                                ("GET /api/v1/faq/entries?q=…", "/api/v1/faq/entries?q=refnud")):
                client.get(path)
                p50, p95 = percentiles(timed(lambda path=path: client.get(path), 100))
                results.append((label, f"{p50:.1f}", f"{p95:.1f}", "test client, 100 runs"))

        pairs = []
        for n in range(args.messages):
            question, answer = inbound_text(rng)
            pairs.append(search.Pair(n, n, question, answer))
        start = time.perf_counter()
        clusters = search.cluster_pairs(pairs, min_size=3)
        seconds = time.perf_counter() - start
        results.append((f"cluster_pairs() over {args.messages:,} synthetic inbound",
                        f"{seconds * 1000:.0f}", "",
                        f"{len(clusters)} clusters; largest {clusters[0].size if clusters else 0}"))

    width = max(len(row[0]) for row in results)
    print(f"{'measure':<{width}}  {'p50 / total ms':>14}  {'p95 ms':>7}  note")
    for name, p50, p95, note in results:
        print(f"{name:<{width}}  {p50:>14}  {p95:>7}  {note}")


if __name__ == "__main__":
    main()

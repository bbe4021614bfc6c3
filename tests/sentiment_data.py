"""A labelled German and English sentiment set, built from ../shared/data (never copied).

German: the GermEval 2017 dev set's document labels (negative / neutral / positive),
relevant posts only. English: the Bitext customer-service set has no sentiment
labels, so its intents stand in: `complaint` utterances count as negative, plain
requests (tracking, invoices, delivery options, payment methods) as not negative.
The task is the one desk needs: is this message negative (it raises priority)?
"""

import csv
from dataclasses import dataclass

from tests.shared_data import data_file, germeval_posts

BITEXT = "bitext_customer_support_training.csv"
NEUTRAL_INTENTS = frozenset({"track_order", "check_invoice", "delivery_options",
                             "check_payment_methods", "delivery_period", "get_invoice"})


@dataclass(frozen=True)
class Labelled:
    text: str
    language: str
    negative: bool


def german_set() -> list[Labelled]:
    return [Labelled(p.text, "de", p.sentiment == "negative")
            for p in germeval_posts() if p.relevant]


def english_set() -> list[Labelled]:
    with data_file(BITEXT).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [Labelled(row["instruction"], "en", row["intent"] == "complaint")
            for row in rows if row["intent"] == "complaint" or row["intent"] in NEUTRAL_INTENTS]


@dataclass(frozen=True)
class Accuracy:
    total: int
    accuracy: float  # share right
    balanced: float  # mean of the recall on negative and on not-negative messages
    precision: float  # of messages called negative, the share that are


def measure(items: list[Labelled], threshold: float) -> Accuracy:
    from desk.sla.sentiment import score

    hits = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for item in items:
        hits[(item.negative, score(item.text, item.language) <= threshold)] += 1
    negatives = hits[(True, True)] + hits[(True, False)]
    others = hits[(False, True)] + hits[(False, False)]
    called = hits[(True, True)] + hits[(False, True)]
    return Accuracy(
        total=len(items),
        accuracy=(hits[(True, True)] + hits[(False, False)]) / len(items),
        balanced=(hits[(True, True)] / negatives + hits[(False, False)] / others) / 2,
        precision=hits[(True, True)] / called if called else 0.0,
    )

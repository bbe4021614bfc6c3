"""Loaders for the public customer-care samples in ../shared/data (see its README.md).

The files are non-commercial test fixtures: they are read here, converted to
desk's import format (docs/import-format.md) and never copied into the project.
Without them the tests that need them fail, with a message saying where to put them.
"""

import csv
import io
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
TWCS = "twcs_first5000.csv"
GERMEVAL = "germeval2017_dev.tsv"


def data_dir() -> Path:
    """The shared data directory: $DESK_SHARED_DATA, else ../shared/data next to the repo."""
    return Path(os.environ.get("DESK_SHARED_DATA") or DEFAULT_DATA_DIR)


def data_file(name: str) -> Path:
    """A shared data file; a missing one fails the test (never a skip)."""
    path = data_dir() / name
    if not path.is_file():
        pytest.fail(f"shared test data {path} is missing: put the files of ../shared/data "
                    f"there or point DESK_SHARED_DATA at a copy", pytrace=False)
    return path


@dataclass(frozen=True)
class GermevalPost:
    """One GermEval 2017 document: a German post about rail travel (or noise)."""

    number: int  # its record number in the file, from 1
    url: str
    text: str
    relevant: bool
    sentiment: str

    def import_row(self) -> dict[str, Any]:
        """The post in desk's import format; a pseudonymous handle, no URL (personal data)."""
        site = urlsplit(self.url).hostname or "web"
        return {
            "external_id": f"germeval-{self.number}",
            "text": self.text,
            "author_handle": f"{site.removeprefix('www.')}:{self.number}",
            "language": "de",
        }


def germeval_posts(limit: int | None = None) -> list[GermevalPost]:
    """The GermEval dev set: tab-separated, no header, text possibly CSV-quoted."""
    with data_file(GERMEVAL).open(encoding="utf-8", newline="") as handle:
        posts = []
        for number, cells in enumerate(csv.reader(handle, delimiter="\t"), start=1):
            if limit is not None and len(posts) >= limit:
                break
            if not cells:
                continue  # a blank line between records
            url, text, relevance, sentiment = cells[:4]
            posts.append(GermevalPost(number, url, text, relevance == "true", sentiment))
        return posts


@dataclass(frozen=True)
class Tweet:
    """One tweet of the Customer Support on Twitter sample."""

    tweet_id: str
    author_id: str
    inbound: bool  # True: a customer; False: a brand account
    created_at: datetime
    text: str
    in_response_to: str | None


def twcs_tweets() -> list[Tweet]:
    """All 5,000 tweets; bare carriage returns are blanked first (README, parsing note)."""
    # newline="": universal newlines would turn the bare \r into line breaks first.
    with data_file(TWCS).open(encoding="utf-8", newline="") as handle:
        raw = handle.read().replace("\r", " ")
    return [_tweet(row) for row in csv.DictReader(io.StringIO(raw, newline=""))]


def _tweet(row: dict[str, str]) -> Tweet:
    parent = row["in_response_to_tweet_id"].strip()
    return Tweet(
        tweet_id=row["tweet_id"],
        author_id=row["author_id"],
        inbound=row["inbound"] == "True",
        created_at=datetime.strptime(row["created_at"], "%a %b %d %H:%M:%S %z %Y"),
        text=row["text"],
        in_response_to=str(int(float(parent))) if parent else None,  # stored as "3.0"
    )


def conversation_roots(tweets: Iterable[Tweet]) -> dict[str, str]:
    """Each tweet's conversation: the id of the first tweet up its reply chain in the file."""
    parents = {tweet.tweet_id: tweet.in_response_to for tweet in tweets}
    roots: dict[str, str] = {}
    for tweet_id in parents:
        chain = [tweet_id]
        while (parent := parents.get(chain[-1])) and parent in parents and parent not in chain:
            if parent in roots:
                chain.append(roots[parent])
                break
            chain.append(parent)
        for member in chain:
            roots.setdefault(member, chain[-1])
    return roots


def twcs_customer_rows(max_rows: int) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Import rows for the customer tweets of whole conversations, up to about `max_rows`.

    Brand replies are left out (they are the brand's own answers, not complaints);
    every customer tweet carries thread_id = its conversation's root tweet id.
    Returns the rows and each imported tweet's root.
    """
    tweets = twcs_tweets()
    roots = conversation_roots(tweets)
    by_root: dict[str, list[Tweet]] = {}
    for tweet in tweets:
        if tweet.inbound:
            by_root.setdefault(roots[tweet.tweet_id], []).append(tweet)
    rows: list[dict[str, Any]] = []
    imported: dict[str, str] = {}
    for root, members in by_root.items():
        if len(rows) >= max_rows:
            break
        for tweet in sorted(members, key=lambda t: t.created_at):
            rows.append(_customer_row(tweet, root))
            imported[tweet.tweet_id] = root
    return rows, imported


def _customer_row(tweet: Tweet, root: str) -> dict[str, Any]:
    return {
        "external_id": f"twcs-{tweet.tweet_id}",
        "text": tweet.text,
        "author_handle": f"@{tweet.author_id}",
        "thread_id": f"twcs-{root}",
        "created_at": tweet.created_at.isoformat(),
        "language": "en",
    }


_SPACES = re.compile(r"\s+")


def words(text: str) -> str:
    """Text with every whitespace run as one space: bodies compared without line layout."""
    return _SPACES.sub(" ", text).strip()

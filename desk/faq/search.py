"""Text similarity for the FAQ: search, matching tickets to entries, and clustering.

Everything is TF-IDF and cosine similarity from scikit-learn, computed in
Python over data read from the database, so SQLite and PostgreSQL behave alike
and nothing is downloaded at run time.

- Search and matching use character n-grams (3-4, within words) over text folded
  to ASCII lowercase: typo-tolerant ("Erstatung" finds "Erstattung") and
  language-neutral for German and English alike.
- Clustering uses words: German and English stop words dropped, a light suffix
  stemmer, umlauts folded; numbers, links and handles removed first.

The search index of all entries is built once per process and rebuilt when
the entries change (a cheap count/max(updated_at) fingerprint per query).

scikit-learn, SciPy and NumPy cost about 65 MiB and a second to import, so only
code that searches or clusters imports this module, and it does so inside the
function (desk.faq.service); folding and language guessing live in
desk.faq.text.
"""

import hashlib
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa
from flask import current_app
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

from desk.extensions import db
from desk.faq.text import WORD as _WORD
from desk.faq.text import fold, guess_language
from desk.models import EntryStatus, FaqEntry, utcnow

__all__ = ["fold", "guess_language"]  # re-exported: callers that search use them too

GERMAN_STOP_WORDS = frozenset("""
aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes
auch auf aus bei bin bis bist da dadurch daher damit dann das dass dein deine dem den denn der
des dessen deshalb die dies diese diesem diesen dieser dieses doch dort du durch ein eine einem
einen einer eines er es etwas euch euer eure fuer gegen gewesen hab habe haben hat hatte hatten
hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer im in indem ins ist jede jedem jeden
jeder jedes jetzt kann kein keine keinem keinen keiner koennen koennte man manche mein meine
meinem meinen meiner mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr
sein seine seinem seinen seiner seit sich sie sind so solche soll sollte sondern sonst ueber um
und uns unser unsere unter viel vom von vor waehrend war waren warum was weil welche welchem
welchen welcher wenn wer werde werden wie wieder will wir wird wirst wo wollen wollte wuerde
wurde zu zum zur zwar zwischen schon mal bitte danke hallo hi ja nein gibt geht immer heute
""".split())
STOP_WORDS = GERMAN_STOP_WORDS | frozenset(ENGLISH_STOP_WORDS)
_NOISE = re.compile(r"https?://\S+|www\.\S+|[\w.+-]+@[\w.-]+|@\w+|\[\w+\]|\d+")
_SUFFIXES = ("ungen", "ung", "ern", "en", "er", "es", "e", "s", "ing", "ed", "ly")

# Cosine similarity thresholds, tuned on the shared samples and the demo data.
SEARCH_MIN = 0.12  # a search hit
MATCH_MIN = 0.18  # an entry shown beside a ticket
DUPLICATE_MIN = 0.35  # "probably the same question"
CLUSTER_MIN = 0.4  # two inbound questions in one cluster (single link)
QUESTION_MIN = 0.35  # questions in a cluster are alike on average (mean pairwise)
ANSWER_MIN = 0.25  # replies in a cluster say the same thing (mean pairwise)
FOLLOWUP_MIN = 0.35  # an inbound message after publishing that asks the entry's question


def words(text: str) -> list[str]:
    """Content words of a German or English text, lightly stemmed."""
    tokens = _WORD.findall(fold(_NOISE.sub(" ", text)))
    return [_stem(token) for token in tokens if token not in STOP_WORDS]


def _stem(word: str) -> str:
    if len(word) > 5:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                return word[: -len(suffix)]
    return word


def char_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 4), preprocessor=fold,
                           sublinear_tf=True, min_df=1, dtype=np.float32)


def word_vectorizer(min_df: int = 1, max_df: float = 1.0) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=words, ngram_range=(1, 1), sublinear_tf=True,
                           min_df=min_df, max_df=max_df, dtype=np.float32)


# -- the entry index: search, matching, duplicates --------------------------------------


@dataclass
class Hit:
    entry_id: int
    slug: str
    question: str
    category: str
    language: str
    snippet: str
    score: float


@dataclass
class EntryIndex:
    """Every entry's searchable text as TF-IDF vectors, plus what a result list shows."""

    fingerprint: tuple
    ids: np.ndarray
    slugs: list[str]
    questions: list[str]
    categories: list[str]
    languages: np.ndarray
    snippets: list[str]
    status_published: np.ndarray
    publish_at: np.ndarray  # seconds since the epoch
    vectorizer: TfidfVectorizer | None = None
    question_matrix: csr_matrix | None = None
    full_matrix: csr_matrix | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(cls, fingerprint: tuple, rows: Sequence[sa.Row]) -> "EntryIndex":
        index = cls(
            fingerprint=fingerprint,
            ids=np.array([row.id for row in rows], dtype=np.int64),
            slugs=[row.slug for row in rows],
            questions=[row.question for row in rows],
            categories=[row.category for row in rows],
            languages=np.array([row.language.value for row in rows]),
            snippets=[_snippet(row.answer_text) for row in rows],
            status_published=np.array([row.status == EntryStatus.PUBLISHED for row in rows]),
            publish_at=np.array([row.publish_at.timestamp() for row in rows]),
        )
        if rows:
            # The answer's start says what it is about; the whole answer only slows the index.
            full = [f"{row.question} {row.category} {row.answer_text[:400]}" for row in rows]
            index.vectorizer = char_vectorizer()
            index.full_matrix = index.vectorizer.fit_transform(full)
            index.question_matrix = index.vectorizer.transform(index.questions)
        return index

    def scores(self, text: str) -> np.ndarray:
        """Similarity of `text` to every entry: the question counts most."""
        if self.vectorizer is None:
            return np.zeros(0)
        query = self.vectorizer.transform([text])
        by_question = (self.question_matrix @ query.T).toarray().ravel()
        by_text = (self.full_matrix @ query.T).toarray().ravel()
        return 0.65 * by_question + 0.35 * by_text

    def query(self, text: str, *, limit: int, minimum: float, visible_only: bool,
              language: str | None = None, exclude: Iterable[int] = ()) -> list[Hit]:
        scores = self.scores(text)
        if not len(scores):
            return []
        allowed = scores >= minimum
        if visible_only:
            allowed &= self.status_published & (self.publish_at <= utcnow().timestamp())
        if language:
            allowed &= self.languages == language
        excluded = set(exclude)
        candidates = np.flatnonzero(allowed)
        best = candidates[np.argsort(-scores[candidates], kind="stable")]
        hits = []
        for i in best:
            if int(self.ids[i]) in excluded:
                continue
            hits.append(Hit(int(self.ids[i]), self.slugs[i], self.questions[i],
                            self.categories[i], str(self.languages[i]), self.snippets[i],
                            float(scores[i])))
            if len(hits) == limit:
                break
        return hits


def _snippet(text: str, length: int = 180) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


_build_lock = threading.Lock()


def entry_index() -> EntryIndex:
    """The current index; rebuilt only when an entry was added or changed."""
    fingerprint = tuple(db.session.execute(
        sa.select(sa.func.count(FaqEntry.id), sa.func.max(FaqEntry.updated_at))
    ).one())
    cache = current_app.extensions.setdefault("desk.faq_index", {})
    index = cache.get("index")
    if index is not None and index.fingerprint == fingerprint:
        return index
    with _build_lock:
        index = cache.get("index")
        if index is None or index.fingerprint != fingerprint:
            rows = db.session.execute(sa.select(
                FaqEntry.id, FaqEntry.slug, FaqEntry.question, FaqEntry.category,
                FaqEntry.language, FaqEntry.answer_text, FaqEntry.status, FaqEntry.publish_at,
            ).order_by(FaqEntry.id)).all()
            index = EntryIndex.build(fingerprint, rows)
            cache["index"] = index
    return index


def search(text: str, *, limit: int = 20, visible_only: bool = True,
           language: str | None = None) -> list[Hit]:
    """Entries for a search box: typo-tolerant, best first."""
    text = text.strip()
    if not text:
        return []
    return entry_index().query(text, limit=limit, minimum=SEARCH_MIN,
                               visible_only=visible_only, language=language)


def matching_entries(text: str, language: str | None, limit: int = 3) -> list[Hit]:
    """Public entries that answer a ticket's question, in its language when known."""
    if not text.strip():
        return []
    return entry_index().query(text[:2000], limit=limit, minimum=MATCH_MIN, visible_only=True,
                               language=language)


def likely_duplicates(question: str, limit: int = 3, exclude: Iterable[int] = ()) -> list[Hit]:
    """Existing entries (public or not) that probably answer the same question."""
    if not question.strip():
        return []
    return entry_index().query(question[:2000], limit=limit, minimum=DUPLICATE_MIN,
                               visible_only=False, exclude=exclude)


# -- clustering inbound questions ---------------------------------------------------------


@dataclass
class Pair:
    """An inbound question and the reply that answered it."""

    ticket_id: int
    message_id: int
    question: str
    answer: str
    created_at: datetime | None = None


@dataclass
class Cluster:
    members: list[Pair]
    size: int  # inbound messages, counting exact repeats

    @property
    def key(self) -> str:
        """Stable across runs while the cluster's earliest members stay the same."""
        seeds = sorted(pair.message_id for pair in self.members)[:5]
        return hashlib.sha256(",".join(map(str, seeds)).encode()).hexdigest()[:32]


def cluster_pairs(pairs: Sequence[Pair], *, min_size: int = 3,
                  threshold: float = CLUSTER_MIN) -> list[Cluster]:
    """Groups of similar questions that were answered with similar replies, largest first.

    Exact repeats (after normalisation) collapse first. Large inputs are split into
    coarse partitions by k-means (linear time); within a partition, "star" clustering
    takes the question with the most similar neighbours as a centre and gathers the
    neighbours within `threshold` of it (no chains of loosely related questions).
    """
    groups: dict[str, list[int]] = {}
    for i, pair in enumerate(pairs):
        key = " ".join(words(pair.question))
        if key:
            groups.setdefault(key, []).append(i)
    keys = list(groups)
    if not keys:
        return []
    vectors = word_vectorizer(min_df=1).fit_transform(keys)
    weights = np.array([len(groups[key]) for key in keys])
    stars = [part[members] for part in _partitions(vectors)
             for members in _stars(vectors[part], weights[part], threshold)]

    def accepted(key_ids: np.ndarray) -> Cluster | None:
        pair_ids = [p for k in key_ids for p in groups[keys[k]]]
        if len(pair_ids) < min_size:
            return None
        chosen = [pairs[p] for p in pair_ids]
        if (_questions_agree(vectors[key_ids], weights[key_ids])
                and _answers_agree([pair.answer for pair in chosen])):
            return Cluster(chosen, len(pair_ids))
        return None

    clusters = []
    for merged in _merge_alike(stars, vectors, weights):
        whole = accepted(np.concatenate(merged))
        # A merge that went too far falls back to its stars, each judged on its own.
        found = [whole] if whole else [accepted(star) for star in merged]
        clusters += [cluster for cluster in found if cluster]
    clusters.sort(key=lambda c: -c.size)
    return clusters


def _merge_alike(stars: list[np.ndarray], vectors: csr_matrix, weights: np.ndarray,
                 threshold: float = 0.75) -> list[list[np.ndarray]]:
    """Join stars about the same question (k-means may have cut a topic in two)."""
    if len(stars) < 2:
        return [stars] if stars else []
    rows = np.concatenate(stars)
    owner = np.repeat(np.arange(len(stars)), [len(star) for star in stars])
    summing = csr_matrix((weights[rows].astype(np.float32), (owner, rows)),
                         shape=(len(stars), vectors.shape[0]))
    centroids = normalize(summing @ vectors)
    similar = (centroids @ centroids.T).tocoo()
    parent = list(range(len(stars)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    keep = (similar.data >= threshold) & (similar.row < similar.col)
    for a, b in zip(similar.row[keep], similar.col[keep], strict=True):
        ra, rb = root(int(a)), root(int(b))
        if ra != rb:
            parent[rb] = ra
    merged: dict[int, list[np.ndarray]] = {}
    for i, star in enumerate(stars):
        merged.setdefault(root(i), []).append(star)
    return list(merged.values())


def _partitions(vectors: csr_matrix, size: int = 3000) -> list[np.ndarray]:
    """Index arrays of at most about `size` rows each, similar rows together."""
    from sklearn.cluster import MiniBatchKMeans

    everything = np.arange(vectors.shape[0])
    if len(everything) <= size:
        return [everything]
    k = max(2, len(everything) // (size // 3))
    labels = MiniBatchKMeans(n_clusters=k, batch_size=4096, n_init=1, random_state=0,
                             max_no_improvement=5).fit_predict(vectors)
    parts = []
    for label in range(k):
        part = everything[labels == label]
        if len(part) > 2 * size:  # k-means left a lump: split it once more, by rows
            parts += [part[i:i + size] for i in range(0, len(part), size)]
        elif len(part):
            parts.append(part)
    return parts


def _stars(vectors: csr_matrix, weights: np.ndarray, threshold: float) -> list[np.ndarray]:
    """Star clustering: busiest centre first; each row joins at most one star."""
    similar = (vectors @ vectors.T).toarray() >= threshold
    degree = similar.astype(np.int64) @ weights  # how many messages each one resembles
    free = np.ones(len(weights), dtype=bool)
    stars = []
    for centre in np.argsort(-degree, kind="stable"):
        if not free[centre]:
            continue
        members = np.flatnonzero(similar[centre] & free)
        free[members] = False
        if len(members) > 1 or weights[centre] > 1:
            stars.append(members)
    return stars


def _questions_agree(vectors: csr_matrix, weights: np.ndarray) -> bool:
    """The questions themselves are alike (not just answered with one stock reply).

    For unit vectors the sum of all pairwise similarities is |sum|^2 - n, so the mean
    needs no pairwise product.
    """
    n = float(weights.sum())
    if n < 2:
        return False
    total = np.asarray(vectors.T @ weights.astype(np.float32)).ravel()
    return (float(total @ total) - n) / (n * (n - 1)) >= QUESTION_MIN


def _answers_agree(answers: list[str]) -> bool:
    """Replies in a cluster say much the same: their mean pairwise cosine similarity."""
    answers = [a for a in answers if words(a)][:200]
    if len(answers) < 2:
        return False
    # Plain term frequencies: IDF fitted on the cluster alone would weigh down exactly the
    # words the answers share, and up the names and initials that differ.
    vectors = TfidfVectorizer(analyzer=words, use_idf=False, dtype=np.float32
                              ).fit_transform(answers)
    n = len(answers)
    total = float((vectors @ vectors.T).sum()) - n  # without each answer's 1.0 with itself
    return total / (n * (n - 1)) >= ANSWER_MIN


def representative(cluster: Cluster) -> Pair:
    """The member closest to the cluster's centre: the question to show an editor."""
    if len(cluster.members) == 1:
        return cluster.members[0]
    sample = cluster.members[:500]
    vectors = word_vectorizer().fit_transform([p.question + " " + p.answer for p in sample])
    centroid = np.asarray(vectors.mean(axis=0)).ravel()
    return sample[int(np.argmax(vectors @ centroid))]


def similar_counts(questions: Sequence[str], texts: Sequence[str],
                   threshold: float = FOLLOWUP_MIN) -> list[int]:
    """For each question, how many of `texts` ask something similar."""
    if not questions or not texts:
        return [0] * len(questions)
    vectorizer = word_vectorizer().fit(list(texts) + list(questions))
    matrix = vectorizer.transform(texts)
    query = vectorizer.transform(questions)
    similarity = (query @ matrix.T).tocsr()
    return [int((similarity[i].data >= threshold).sum()) for i in range(len(questions))]

"""The FAQ loop: propose, redact, review, publish, vote, count, learn.

Every operation owns its transaction (`desk.commits.commit()`), raises
`desk.errors` and writes an audit entry for the changes people make.
"""

import difflib
import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app

from desk import audit
from desk.auth.access import can_see_ticket
from desk.commits import commit, savepoint
from desk.errors import Conflict, Forbidden, Invalid, NotFound
from desk.extensions import db
from desk.faq import text as faq_text
from desk.faq.redaction import find_personal_data, redact
from desk.models import (
    CandidateSource,
    CandidateStatus,
    Contact,
    EntryStatus,
    FaqCandidate,
    FaqEntry,
    FaqEntryVersion,
    FaqLanguage,
    FaqLinkUse,
    FaqSource,
    FaqVote,
    Message,
    MessageKind,
    Person,
    Role,
    Ticket,
    utcnow,
)
from desk.sanitize import clean_html, clean_line, html_to_text, strip_control, text_to_html

if TYPE_CHECKING:  # desk.faq.search imports scikit-learn: only where a search runs
    from desk.faq import search

MAX_QUESTION = 300
MAX_ANSWER = 20_000
MAX_CATEGORY = 80
MAX_NOTE = 2_000
MAX_REASON = 2_000
MAX_CANDIDATE_TEXT = 5_000
# Entries editors should look at again.
FLAG_MIN_VOTES = 5
FLAG_RATIO = 0.5
FLAG_FOLLOWUPS = 5
# Words that are pages of their own under /faq/, never an entry's slug.
RESERVED_SLUGS = frozenset({"review", "entries", "proposals", "propose", "search", "vote"})


def is_editor(person: Person) -> bool:
    return person.is_active and person.has_role(Role.FAQ_EDITOR, Role.ADMIN)


def require_editor(person: Person) -> None:
    if not is_editor(person):
        raise Forbidden("only FAQ editors review and publish FAQ entries")


def known_names(*contacts: Contact | None) -> list[str]:
    """Names that are personal data wherever they appear: the contacts' and every person's."""
    names = list(db.session.scalars(sa.select(Person.name)))
    for contact in contacts:
        if contact is not None:
            names += [contact.name or "", contact.handle]
    return [name for name in names if name]


# -- proposing ----------------------------------------------------------------------------


def propose(person: Person, message_id: int, note: str = "") -> FaqCandidate:
    """Propose a reply (with the question it answered) as an FAQ candidate.

    An inbound message proposes its ticket: that question and the first reply to it.
    The texts are redacted before they are stored, so editors never see raw personal data.
    """
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound(f"message {message_id} does not exist")
    ticket = db.session.get(Ticket, message.ticket_id)
    if not can_see_ticket(person, ticket.team_id):
        raise Forbidden("only people who may see the ticket propose its replies")
    if message.kind == MessageKind.NOTE:
        raise Invalid("internal notes cannot become FAQ entries",
                      {"message_id": ["is an internal note"]})
    pending = db.session.scalar(sa.select(FaqCandidate.id).where(
        FaqCandidate.message_id == message.id, FaqCandidate.status == CandidateStatus.PENDING))
    if pending is not None:
        raise Conflict("this message is already proposed and waiting for review")
    question, answer = _question_and_answer(ticket, message)
    names = known_names(ticket.contact)
    question_text = redact(question, names).text[:MAX_CANDIDATE_TEXT]
    language = ticket.contact.language or ticket.channel.language or faq_text.guess_language(
        question + " " + answer)
    candidate = FaqCandidate(
        source=CandidateSource.AGENT,
        question=question_text,
        answer=redact(answer, names).text[:MAX_CANDIDATE_TEXT],
        language=FaqLanguage(language) if language in ("de", "en") else None,
        note=strip_control(note or "").strip()[:MAX_NOTE],
        proposer_id=person.id, message_id=message.id, ticket_id=ticket.id,
        ticket_ids=[ticket.id],
    )
    db.session.add(candidate)
    db.session.flush()
    audit.record("faq.proposed", person, ticket.id, candidate_id=candidate.id,
                 message_id=message.id)
    commit()
    return candidate


def _question_and_answer(ticket: Ticket, message: Message) -> tuple[str, str]:
    thread = list(db.session.scalars(
        sa.select(Message).where(Message.ticket_id == ticket.id,
                                 Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at, Message.id)))
    position = next(i for i, m in enumerate(thread) if m.id == message.id)
    if message.kind == MessageKind.REPLY:
        before = [m for m in thread[:position] if m.kind == MessageKind.INBOUND]
        return (before[-1].body_text if before else ticket.subject), message.body_text
    after = [m for m in thread[position + 1:] if m.kind == MessageKind.REPLY]
    return message.body_text, after[0].body_text if after else ""


def my_proposals(person: Person, limit: int = 100) -> list[FaqCandidate]:
    """The person's own proposals, newest first, with what became of them."""
    return list(db.session.scalars(
        sa.select(FaqCandidate).where(FaqCandidate.proposer_id == person.id)
        .order_by(FaqCandidate.id.desc()).limit(limit)))


# -- reviewing ----------------------------------------------------------------------------


def candidates(person: Person, status: CandidateStatus = CandidateStatus.PENDING,
               source: CandidateSource | None = None, limit: int = 100) -> list[FaqCandidate]:
    """Candidates for editors: proposals newest first, clusters largest first."""
    require_editor(person)
    query = sa.select(FaqCandidate).where(FaqCandidate.status == status)
    if source is not None:
        query = query.where(FaqCandidate.source == source)
    query = query.order_by(FaqCandidate.cluster_size.desc(), FaqCandidate.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def get_candidate(person: Person, candidate_id: int) -> FaqCandidate:
    require_editor(person)
    candidate = db.session.get(FaqCandidate, candidate_id)
    if candidate is None:
        raise NotFound(f"FAQ candidate {candidate_id} does not exist")
    return candidate


def may_open_ticket(person: Person, ticket_id: int | None) -> bool:
    """The original ticket is one click away for those allowed to see it."""
    if ticket_id is None:
        return False
    team_id = db.session.scalar(sa.select(Ticket.team_id).where(Ticket.id == ticket_id))
    exists = db.session.scalar(sa.select(Ticket.id).where(Ticket.id == ticket_id))
    return exists is not None and can_see_ticket(person, team_id)


@dataclass
class EntryFields:
    """What an editor writes: checked and cleaned by `entry_fields()`."""

    question: str
    answer_html: str
    answer_text: str
    category: str
    language: FaqLanguage
    publish_at: datetime


def entry_fields(question: str, answer: str, category: str, language: str,
                 publish_at: datetime | None = None) -> EntryFields:
    """Validate and clean an entry: plain-text question and category, answer as safe HTML."""
    problems: dict[str, list[str]] = {}
    question = clean_line(question, MAX_QUESTION + 1)
    if not question:
        problems["question"] = ["must not be empty"]
    elif len(question) > MAX_QUESTION:
        problems["question"] = [f"at most {MAX_QUESTION} characters"]
    answer = strip_control(answer or "").strip()
    if not answer:
        problems["answer"] = ["must not be empty"]
    elif len(answer) > MAX_ANSWER:
        problems["answer"] = [f"at most {MAX_ANSWER} characters"]
    category = clean_line(category, MAX_CATEGORY + 1)
    if not category:
        problems["category"] = ["must not be empty"]
    elif len(category) > MAX_CATEGORY:
        problems["category"] = [f"at most {MAX_CATEGORY} characters"]
    if language not in ("de", "en"):
        problems["language"] = ["must be de or en"]
    if publish_at is not None and publish_at.tzinfo is None:
        problems["publish_at"] = ["needs a time zone"]
    if problems:
        raise Invalid("some fields are invalid", problems)
    # Editors write plain text (paragraphs, links); it is escaped, then cleaned once more.
    answer_html = clean_html(text_to_html(answer))
    return EntryFields(question, answer_html, html_to_text(answer_html), category,
                       FaqLanguage(language), publish_at or utcnow())


def check_personal_data(fields: EntryFields, names: list[str], confirmed: bool) -> None:
    """Refuse text with personal data in it unless the editor confirmed it is fine."""
    findings = find_personal_data(f"{fields.question}\n{fields.answer_text}", names)
    if findings and not confirmed:
        raise Invalid(
            "the entry still contains what looks like personal data; remove it, or confirm "
            "that it may be published",
            {"personal_data": [f"{f.kind}: {f.text}" for f in findings]},
        )


def publish(person: Person, candidate_id: int, question: str, answer: str, category: str,
            language: str, publish_at: datetime | None = None,
            confirm_personal_data: bool = False) -> FaqEntry:
    """Turn a candidate into a new entry, public from `publish_at` (default: now)."""
    candidate = _pending(person, candidate_id)
    fields = entry_fields(question, answer, category, language, publish_at)
    check_personal_data(fields, _source_names(candidate), confirm_personal_data)
    now = utcnow()
    entry = FaqEntry(slug=_unique_slug(fields.question), question=fields.question,
                     answer_html=fields.answer_html, answer_text=fields.answer_text,
                     category=fields.category, language=fields.language,
                     status=EntryStatus.PUBLISHED, publish_at=fields.publish_at, version=1,
                     created_at=now, updated_at=now)
    db.session.add(entry)
    db.session.flush()
    _save_version(entry, person)
    _close(candidate, person, CandidateStatus.PUBLISHED, entry)
    audit.record("faq.published", person, candidate.ticket_id, entry_id=entry.id,
                 candidate_id=candidate.id, publish_at=entry.publish_at.isoformat())
    commit()
    return entry


def merge(person: Person, candidate_id: int, entry_id: int) -> FaqEntry:
    """The candidate asks what an entry already answers: its tickets join the entry."""
    candidate = _pending(person, candidate_id)
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None:
        raise Invalid(f"FAQ entry {entry_id} does not exist", {"entry_id": ["unknown"]})
    _close(candidate, person, CandidateStatus.MERGED, entry)
    audit.record("faq.merged", person, candidate.ticket_id, entry_id=entry.id,
                 candidate_id=candidate.id)
    commit()
    return entry


def reject(person: Person, candidate_id: int, reason: str) -> FaqCandidate:
    """Decline a candidate; the proposer sees the reason."""
    candidate = _pending(person, candidate_id)
    reason = strip_control(reason or "").strip()
    if not reason:
        raise Invalid("say why, so the proposer learns from it", {"reason": ["must not be empty"]})
    candidate.reject_reason = reason[:MAX_REASON]
    _close(candidate, person, CandidateStatus.REJECTED, None)
    audit.record("faq.rejected", person, candidate.ticket_id, candidate_id=candidate.id)
    commit()
    return candidate


def _pending(person: Person, candidate_id: int) -> FaqCandidate:
    candidate = get_candidate(person, candidate_id)
    if candidate.status != CandidateStatus.PENDING:
        raise Conflict(f"this candidate was {candidate.status.value} already")
    return candidate


def _close(candidate: FaqCandidate, person: Person, status: CandidateStatus,
           entry: FaqEntry | None) -> None:
    # Conditional, so two editors deciding at once cannot both win.
    changed = db.session.execute(
        sa.update(FaqCandidate)
        .where(FaqCandidate.id == candidate.id, FaqCandidate.status == CandidateStatus.PENDING)
        .values(status=status, entry_id=entry.id if entry else None, reviewer_id=person.id,
                reviewed_at=utcnow(), reject_reason=candidate.reject_reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict("another editor decided on this candidate meanwhile")
    db.session.refresh(candidate)
    if entry is not None:
        _add_sources(entry, candidate)


def _add_sources(entry: FaqEntry, candidate: FaqCandidate) -> None:
    ticket_ids = set(candidate.ticket_ids or []) | ({candidate.ticket_id} - {None})
    known = set(db.session.scalars(sa.select(FaqSource.ticket_id).where(
        FaqSource.entry_id == entry.id)))
    existing = set(db.session.scalars(sa.select(Ticket.id).where(Ticket.id.in_(ticket_ids))))
    for ticket_id in sorted((ticket_ids & existing) - known):
        db.session.add(FaqSource(entry_id=entry.id, ticket_id=ticket_id,
                                 candidate_id=candidate.id))


def _source_names(candidate: FaqCandidate | None, entry: FaqEntry | None = None) -> list[str]:
    ticket_ids = set(candidate.ticket_ids or []) if candidate else set()
    if entry is not None:
        ticket_ids |= set(db.session.scalars(
            sa.select(FaqSource.ticket_id).where(FaqSource.entry_id == entry.id)))
    contacts = db.session.scalars(
        sa.select(Contact).join(Ticket, Ticket.contact_id == Contact.id)
        .where(Ticket.id.in_(ticket_ids))).all() if ticket_ids else []
    return known_names(*contacts)


def slugify(text: str, limit: int = 80) -> str:
    text = faq_text.fold(unicodedata.normalize("NFKC", text))
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:limit].strip("-")
    return slug or "entry"


def _unique_slug(question: str) -> str:
    base = slugify(question)
    taken = set(db.session.scalars(sa.select(FaqEntry.slug).where(
        sa.or_(FaqEntry.slug == base, FaqEntry.slug.like(f"{base}-%")))))
    if base not in taken and base not in RESERVED_SLUGS:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


# -- entries ------------------------------------------------------------------------------


def get_entry(person: Person, entry_id: int) -> FaqEntry:
    require_editor(person)
    entry = db.session.get(FaqEntry, entry_id)
    if entry is None:
        raise NotFound(f"FAQ entry {entry_id} does not exist")
    return entry


def update_entry(person: Person, entry_id: int, question: str, answer: str, category: str,
                 language: str, publish_at: datetime | None = None, archived: bool = False,
                 seen_version: int | None = None,
                 confirm_personal_data: bool = False) -> FaqEntry:
    """Save an edit as the entry's next version; a stale `seen_version` is a Conflict."""
    entry = get_entry(person, entry_id)
    fields = entry_fields(question, answer, category, language, publish_at or entry.publish_at)
    check_personal_data(fields, _source_names(None, entry), confirm_personal_data)
    condition = [FaqEntry.id == entry.id]
    if seen_version is not None:
        condition.append(FaqEntry.version == seen_version)
    changed = db.session.execute(
        sa.update(FaqEntry).where(*condition).values(
            question=fields.question, answer_html=fields.answer_html,
            answer_text=fields.answer_text, category=fields.category,
            language=fields.language, publish_at=fields.publish_at,
            status=EntryStatus.ARCHIVED if archived else EntryStatus.PUBLISHED,
            version=FaqEntry.version + 1, updated_at=utcnow(),
        ).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict("someone else edited this entry meanwhile")
    db.session.refresh(entry)
    _save_version(entry, person)
    audit.record("faq.edited", person, None, entry_id=entry.id, version=entry.version)
    commit()
    return entry


def _save_version(entry: FaqEntry, person: Person) -> None:
    db.session.add(FaqEntryVersion(
        entry_id=entry.id, version=entry.version, question=entry.question,
        answer_html=entry.answer_html, answer_text=entry.answer_text,
        category=entry.category, language=entry.language, status=entry.status,
        publish_at=entry.publish_at, editor_id=person.id))


def versions(entry: FaqEntry) -> list[FaqEntryVersion]:
    return list(db.session.scalars(
        sa.select(FaqEntryVersion).where(FaqEntryVersion.entry_id == entry.id)
        .order_by(FaqEntryVersion.version.desc())))


@dataclass
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def version_diff(old: FaqEntryVersion | None, new: FaqEntryVersion) -> dict[str, list[DiffLine]]:
    """Line diffs (difflib) of question, category and answer between two versions."""
    result = {}
    for name, attribute in (("question", "question"), ("category", "category"),
                            ("answer", "answer_text")):
        before = getattr(old, attribute).splitlines() if old else []
        after = getattr(new, attribute).splitlines()
        lines = []
        for line in difflib.ndiff(before, after):
            marker, text = line[:2], line[2:]
            if marker == "? ":
                continue
            lines.append(DiffLine({"+ ": "added", "- ": "removed"}.get(marker, "same"), text))
        result[name] = lines
    return result


def sources(entry: FaqEntry) -> list[int]:
    """Provenance: the tickets an entry came from."""
    return list(db.session.scalars(
        sa.select(FaqSource.ticket_id).where(FaqSource.entry_id == entry.id)
        .order_by(FaqSource.ticket_id)))


def needs_review(entry: FaqEntry) -> list[str]:
    """Why an entry should be looked at again (empty: it seems to help)."""
    reasons = []
    ratio = entry.helpful_ratio
    if entry.votes >= FLAG_MIN_VOTES and ratio is not None and ratio < FLAG_RATIO:
        reasons.append("unhelpful")
    if entry.followup_count >= FLAG_FOLLOWUPS:
        reasons.append("followups")
    return reasons


def all_entries(person: Person) -> list[FaqEntry]:
    """Every entry with its numbers, for the editors' overview: flagged first."""
    require_editor(person)
    entries = list(db.session.scalars(sa.select(FaqEntry).order_by(FaqEntry.id.desc())))
    return sorted(entries, key=lambda entry: not needs_review(entry))


# -- the public ---------------------------------------------------------------------------


def visible_now() -> sa.ColumnElement[bool]:
    return sa.and_(FaqEntry.status == EntryStatus.PUBLISHED, FaqEntry.publish_at <= utcnow())


def public_entry(slug: str) -> FaqEntry:
    entry = db.session.scalar(sa.select(FaqEntry).where(FaqEntry.slug == slug, visible_now()))
    if entry is None:
        raise NotFound(f"no FAQ entry {slug!r}")
    return entry


def public_entries(language: str | None = None, category: str | None = None,
                   per_category: int | None = None) -> list[FaqEntry]:
    """Public entries by category and question; `per_category` keeps each one's most viewed."""
    query = sa.select(FaqEntry).where(visible_now())
    if language:
        query = query.where(FaqEntry.language == language)
    if category:
        query = query.where(FaqEntry.category == category)
    if per_category:
        rank = sa.func.row_number().over(partition_by=FaqEntry.category,
                                         order_by=(FaqEntry.view_count.desc(), FaqEntry.id))
        ranked = query.add_columns(rank.label("rank")).subquery()
        top = sa.orm.aliased(FaqEntry, ranked)
        query = sa.select(top).where(ranked.c.rank <= per_category)
        return list(db.session.scalars(query.order_by(top.category, top.question)))
    return list(db.session.scalars(query.order_by(FaqEntry.category, FaqEntry.question)))


def public_categories(language: str | None = None) -> list[tuple[str, int]]:
    query = sa.select(FaqEntry.category, sa.func.count()).where(visible_now())
    if language:
        query = query.where(FaqEntry.language == language)
    return [tuple(row) for row in db.session.execute(
        query.group_by(FaqEntry.category).order_by(FaqEntry.category))]


def record_view(entry_id: int) -> None:
    db.session.execute(sa.update(FaqEntry).where(FaqEntry.id == entry_id)
                       .values(view_count=FaqEntry.view_count + 1)
                       .execution_options(synchronize_session=False))
    commit()


def visitor_key(visitor_id: str) -> str:
    """The stored form of a visitor's cookie id: keyed, so it cannot be reversed or forged."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"faq-visitor:{visitor_id}".encode(), hashlib.sha256).hexdigest()


def vote(slug: str, visitor_id: str, helpful: bool) -> bool:
    """Count one visitor's answer once; False when this visitor had voted already."""
    entry = public_entry(slug)
    try:
        with savepoint():
            db.session.add(FaqVote(entry_id=entry.id, visitor_key=visitor_key(visitor_id),
                                   is_helpful=helpful))
            db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return False
    counter = FaqEntry.helpful_yes if helpful else FaqEntry.helpful_no
    db.session.execute(sa.update(FaqEntry).where(FaqEntry.id == entry.id)
                       .values({counter: counter + 1})
                       .execution_options(synchronize_session=False))
    commit()
    return True


def has_voted(entry: FaqEntry, visitor_id: str | None) -> bool:
    if not visitor_id:
        return False
    return db.session.scalar(sa.select(FaqVote.id).where(
        FaqVote.entry_id == entry.id, FaqVote.visitor_key == visitor_key(visitor_id))) is not None


# -- back into the desk -------------------------------------------------------------------

_FAQ_LINK = re.compile(r"/faq/([a-z0-9][a-z0-9-]{0,99})(?![a-z0-9-])")


def suggestions_for_ticket(ticket: Ticket) -> list["search.Hit"]:
    """The top public entries for a ticket's newest inbound message."""
    from desk.faq import search
    text = db.session.scalar(
        sa.select(Message.body_text)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND)
        .order_by(Message.created_at.desc(), Message.id.desc()).limit(1))
    return search.matching_entries(f"{ticket.subject}\n{text or ''}", ticket.contact.language)


def count_links(message_id: int) -> int:
    """Count the FAQ entries a reply links to; running twice counts nothing twice."""
    message = db.session.get(Message, message_id)
    if message is None or message.kind != MessageKind.REPLY:
        return 0
    slugs = set(_FAQ_LINK.findall(f"{message.body_text}\n{message.body_html}"))
    if not slugs:
        return 0
    counted = 0
    for entry_id in db.session.scalars(sa.select(FaqEntry.id).where(FaqEntry.slug.in_(slugs))):
        try:
            with savepoint():
                db.session.add(FaqLinkUse(entry_id=entry_id, message_id=message.id))
                db.session.flush()
        except sa.exc.IntegrityError:
            continue
        db.session.execute(sa.update(FaqEntry).where(FaqEntry.id == entry_id)
                           .values(sent_count=FaqEntry.sent_count + 1)
                           .execution_options(synchronize_session=False))
        counted += 1
    commit()
    return counted


def frequent_unanswered(person: Person, limit: int = 20) -> list[FaqCandidate]:
    """What the learning job proposed (desk.faq.learning): frequent questions with no
    entry yet and canned replies that work, the most tickets first."""
    require_editor(person)
    return list(db.session.scalars(
        sa.select(FaqCandidate)
        .where(FaqCandidate.status == CandidateStatus.PENDING,
               FaqCandidate.source.in_([CandidateSource.CLUSTER, CandidateSource.CANNED]))
        .order_by(FaqCandidate.cluster_size.desc(), FaqCandidate.id).limit(limit)))


def candidate_json(candidate: FaqCandidate) -> dict[str, Any]:
    return {
        "id": candidate.id, "source": candidate.source.value, "status": candidate.status.value,
        "question": candidate.question, "answer": candidate.answer,
        "language": candidate.language.value if candidate.language else None,
        "note": candidate.note, "message_id": candidate.message_id,
        "ticket_id": candidate.ticket_id, "cluster_size": candidate.cluster_size,
        "proposer": {"id": candidate.proposer.id, "name": candidate.proposer.name}
        if candidate.proposer else None,
        "reject_reason": candidate.reject_reason, "entry_id": candidate.entry_id,
        "created_at": candidate.created_at,
    }

"""The FAQ learns from the inbox: it proposes candidates by itself, for the editors.

- Frequent questions: clusters of similar inbound questions answered with similar
  replies (desk.faq.search), proposed once per cluster.
- Canned replies that work: used often, and the customer rarely had to write again.
- Follow-ups: per public entry, how many questions on its topic still came in.

All of it runs as one periodic job (desk.faq.jobs.suggest_candidates, desk.schedule)
or `flask desk faq-suggest`; every step is safe to run twice.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from desk.commits import commit
from desk.extensions import db
from desk.faq import search
from desk.faq import text as faq_text
from desk.faq.redaction import redact
from desk.faq.service import MAX_CANDIDATE_TEXT, known_names, visible_now
from desk.models import (
    CandidateSource,
    CandidateStatus,
    FaqCandidate,
    FaqEntry,
    FaqLanguage,
    Message,
    MessageKind,
    Ticket,
    utcnow,
)


def answered_pairs(since: datetime, limit: int) -> list[search.Pair]:
    """Each recent ticket's first inbound message and its first reply."""
    first_inbound = (
        sa.select(Message.ticket_id, sa.func.min(Message.id).label("message_id"))
        .where(Message.kind == MessageKind.INBOUND, Message.created_at >= since)
        .group_by(Message.ticket_id).subquery())
    first_reply = (
        sa.select(Message.ticket_id, sa.func.min(Message.id).label("message_id"))
        .where(Message.kind == MessageKind.REPLY, Message.created_at >= since)
        .group_by(Message.ticket_id).subquery())
    inbound, reply = sa.orm.aliased(Message), sa.orm.aliased(Message)
    rows = db.session.execute(
        sa.select(inbound.ticket_id, inbound.id, inbound.body_text, reply.body_text,
                  inbound.created_at)
        .join(first_inbound, first_inbound.c.message_id == inbound.id)
        .join(first_reply, first_reply.c.ticket_id == inbound.ticket_id)
        .join(reply, reply.id == first_reply.c.message_id)
        .order_by(inbound.id.desc()).limit(limit)).all()
    return [search.Pair(*row) for row in rows]


def suggest_candidates(days: int = 180, limit: int = 100_000, min_size: int = 3,
                       max_new: int = 50) -> dict[str, int]:
    """Propose frequent, consistently answered questions that no entry covers yet.

    Also counts, per public entry, the inbound messages on its topic that still
    came in after it was published (follow-ups). Safe to run twice: a cluster is
    proposed once (unique cluster key); a pending one only gets its size updated.
    """
    since = utcnow() - timedelta(days=days)
    pairs = answered_pairs(since, limit)
    clusters = search.cluster_pairs(pairs, min_size=min_size)
    created = updated = covered = 0
    names = known_names()
    for cluster in clusters:
        existing = db.session.scalar(
            sa.select(FaqCandidate).where(FaqCandidate.cluster_key == cluster.key))
        ticket_ids = sorted({pair.ticket_id for pair in cluster.members})[:500]
        if existing is not None:
            if existing.status == CandidateStatus.PENDING and existing.cluster_size != cluster.size:
                existing.cluster_size, existing.ticket_ids = cluster.size, ticket_ids
                updated += 1
            continue
        best = search.representative(cluster)
        if search.likely_duplicates(best.question, limit=1):
            covered += 1
            continue
        if created >= max_new:
            continue
        language = faq_text.guess_language(best.question + " " + best.answer)
        ticket = db.session.get(Ticket, best.ticket_id)
        local_names = names + known_names(ticket.contact if ticket else None)[len(names):]
        db.session.add(FaqCandidate(
            source=CandidateSource.CLUSTER,
            question=redact(best.question, local_names).text[:MAX_CANDIDATE_TEXT],
            answer=redact(best.answer, local_names).text[:MAX_CANDIDATE_TEXT],
            language=FaqLanguage(language) if language else None,
            message_id=best.message_id, ticket_id=best.ticket_id, ticket_ids=ticket_ids,
            cluster_key=cluster.key, cluster_size=cluster.size,
        ))
        created += 1
    canned = propose_working_canned_replies(since, max_new=max(0, max_new - created))
    followups = _count_followups()
    commit()
    return {"pairs": len(pairs), "clusters": len(clusters), "created": created,
            "updated": updated, "covered": covered, "canned": canned,
            "entries_checked": followups}


def _count_followups(limit: int = 50_000) -> int:
    """Per public entry: similar inbound messages that arrived after it was published."""
    entries = list(db.session.scalars(sa.select(FaqEntry).where(visible_now())))
    if not entries:
        return 0
    earliest = min(entry.publish_at for entry in entries)
    rows = db.session.execute(
        sa.select(Message.body_text, Message.created_at)
        .where(Message.kind == MessageKind.INBOUND, Message.created_at >= earliest)
        .order_by(Message.id.desc()).limit(limit)).all()
    texts = [row.body_text for row in rows]
    times = [row.created_at for row in rows]
    for entry in entries:
        later = [text for text, at in zip(texts, times, strict=True) if at >= entry.publish_at]
        count = search.similar_counts([entry.question], later)[0] if later else 0
        if entry.followup_count != count:
            # A counter, not an edit: the search index and updated_at stay as they are.
            db.session.execute(sa.update(FaqEntry).where(FaqEntry.id == entry.id)
                               .values(followup_count=count)
                               .execution_options(synchronize_session=False))
    return len(entries)


# A canned reply "works" on a ticket when the customer did not write again within this time.
SETTLED_AFTER = timedelta(days=3)
CANNED_MIN_USES = 5
CANNED_MIN_SUCCESS = 0.7


def working_canned_replies(since: datetime, min_uses: int = CANNED_MIN_USES,
                           min_success: float = CANNED_MIN_SUCCESS) -> list[tuple[int, int, int]]:
    """(canned reply id, uses, settled uses) for canned replies that usually end the
    conversation: used at least `min_uses` times since `since`, and in at least
    `min_success` of those the customer did not write again within SETTLED_AFTER.

    Uses younger than SETTLED_AFTER are not judged yet.
    """
    from desk.models import CannedReplyUse

    judged_until = utcnow() - SETTLED_AFTER
    next_inbound = (
        sa.select(sa.func.min(Message.created_at))
        .where(Message.ticket_id == CannedReplyUse.ticket_id,
               Message.kind == MessageKind.INBOUND,
               Message.created_at > CannedReplyUse.created_at)
        .scalar_subquery())
    rows = db.session.execute(
        sa.select(CannedReplyUse.canned_reply_id, CannedReplyUse.created_at,
                  next_inbound.label("next_inbound"))
        .where(CannedReplyUse.created_at >= since, CannedReplyUse.created_at <= judged_until)
    ).all()
    tally: dict[int, list[int]] = {}
    for row in rows:
        uses = tally.setdefault(row.canned_reply_id, [0, 0])
        uses[0] += 1
        # Compared here, not in SQL: date arithmetic differs between the databases.
        wrote_again = (row.next_inbound is not None
                       and row.next_inbound <= row.created_at + SETTLED_AFTER)
        uses[1] += 0 if wrote_again else 1
    return sorted(
        ((reply_id, uses, settled) for reply_id, (uses, settled) in tally.items()
         if uses >= min_uses and settled >= min_success * uses),
        key=lambda found: (-found[2], found[0]))


def propose_working_canned_replies(since: datetime, max_new: int = 50) -> int:
    """Propose each working canned reply once, with a question it answered and the reply
    as it was sent (both redacted); skipped when an entry already answers it."""
    from desk.models import CannedReplyUse

    created = 0
    for reply_id, _uses, settled in working_canned_replies(since):
        key = f"canned-{reply_id}"
        if created >= max_new:
            break
        if db.session.scalar(sa.select(FaqCandidate.id).where(FaqCandidate.cluster_key == key)):
            continue
        use = db.session.scalar(
            sa.select(CannedReplyUse).where(CannedReplyUse.canned_reply_id == reply_id)
            .order_by(CannedReplyUse.created_at.desc(), CannedReplyUse.id.desc()).limit(1))
        sent = db.session.get(Message, use.message_id)
        question = db.session.scalar(
            sa.select(Message.body_text)
            .where(Message.ticket_id == use.ticket_id, Message.kind == MessageKind.INBOUND,
                   Message.id < use.message_id)
            .order_by(Message.id.desc()).limit(1))
        if sent is None or not question or search.likely_duplicates(question, limit=1):
            continue
        ticket = db.session.get(Ticket, use.ticket_id)
        names = known_names(ticket.contact if ticket else None)
        language = faq_text.guess_language(question + " " + sent.body_text)
        ticket_ids = sorted(set(db.session.scalars(
            sa.select(CannedReplyUse.ticket_id)
            .where(CannedReplyUse.canned_reply_id == reply_id).limit(500))))
        db.session.add(FaqCandidate(
            source=CandidateSource.CANNED,
            question=redact(question, names).text[:MAX_CANDIDATE_TEXT],
            answer=redact(sent.body_text, names).text[:MAX_CANDIDATE_TEXT],
            language=FaqLanguage(language) if language else None,
            message_id=sent.id, ticket_id=use.ticket_id, ticket_ids=ticket_ids,
            cluster_key=key, cluster_size=settled,
        ))
        created += 1
    return created

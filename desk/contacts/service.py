"""One person across channels: unify contacts, merge and split them, link cross-posts.

Contacts are unified automatically only by what is verified: an e-mail address (the
e-mail channel's sender, the contact form's address) across all channels, and a
handle its platform keeps unique (X, Instagram, Mastodon with its server) across
that platform's channels; supervisors merge others by hand and can split a wrong
merge. A new ticket whose text matches an open ticket of
the same person on another channel from the last days is linked to it as
"related" (a cross-post), so the team answers once and sees both.
"""

import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk import audit
from desk.auth.access import can_assign_others
from desk.commits import commit
from desk.errors import Forbidden, Invalid, NotFound
from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Attachment,
    Channel,
    ChannelKind,
    Contact,
    Message,
    Person,
    Ticket,
    TicketLink,
)

# Raster images a browser shows without running anything; recognised by their bytes.
SAFE_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
SAFE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def image_type(data: bytes) -> str | None:
    """The image type the bytes really are, if a safe raster image (never SVG)."""
    for magic, kind in SAFE_IMAGES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


EMAIL_KINDS = frozenset({ChannelKind.EMAIL, ChannelKind.FORM})
CROSS_POST_WINDOW = timedelta(days=7)
CROSS_POST_SIMILARITY = 0.5  # Jaccard of word sets; a reworded repost still counts
_WORD = re.compile(r"\w{3,}")


def note_verified_identities(new: list[tuple[Contact, Channel]]) -> None:
    """New contacts (each with its channel) join the person they verifiably are, if
    known, in two queries for a whole intake batch. An e-mail address the channel
    verified (kept on the contact) matches across every channel; a handle the platform
    guarantees unique matches the same platform's other channels. A contact joins only
    one made before it: of two new ones in a batch, the second joins the first."""
    by_email: set[Contact] = set()
    by_handle = []
    for contact, channel in new:
        if channel.kind in EMAIL_KINDS and "@" in contact.handle:
            contact.email = contact.handle.lower()
            by_email.add(contact)
        elif is_verified_handle(channel.kind, contact.handle):
            by_handle.append((contact, channel))
    earliest: dict[str, Contact] = {}
    if by_email:
        for known in db.session.scalars(sa.select(Contact).where(
                Contact.email.in_({c.email for c in by_email})).order_by(Contact.id)):
            earliest.setdefault(known.email or "", known)
    same_handle: dict[tuple[ChannelKind, str], list[tuple[Contact, int]]] = {}
    if by_handle:
        found = db.session.execute(
            sa.select(Contact, Channel.kind).join(Channel, Channel.id == Contact.channel_id)
            .where(Contact.handle.in_({c.handle for c, _channel in by_handle}),
                   Channel.kind.in_({channel.kind for _c, channel in by_handle}))
            .order_by(Contact.id)).all()
        for known, kind in found:
            same_handle.setdefault((kind, known.handle), []).append((known, known.channel_id))
    # In id order, so an earlier new contact is unified before a later one joins it.
    for contact, channel in sorted(new, key=lambda pair: pair[0].id):
        if contact in by_email:
            first = earliest.get(contact.email or "")
            known = first if first is not None and first.id < contact.id else None
        else:
            known = next((other for other, channel_id
                          in same_handle.get((channel.kind, contact.handle), [])
                          if channel_id != channel.id and other.id < contact.id), None)
        if known is not None:
            contact.unified_id = known.person_id


def is_verified_handle(kind: ChannelKind, handle: str) -> bool:
    """Whether the platform vouches that this handle names one account everywhere on it.

    X screen names and Instagram usernames ("@name") are unique on their platform; a
    Mastodon account is unique only with its server ("@name@server": a bare "@name" is
    local to one server). Facebook ids ("fb:…") are page-scoped, feed authors are
    whatever the feed says: neither is verified.
    """
    if not handle.startswith("@"):
        return False
    if kind == ChannelKind.MASTODON:
        return handle.count("@") == 2
    return kind in (ChannelKind.X, ChannelKind.META)


def same_person(contact: Contact) -> list[int]:
    """Ids of every contact of the person behind `contact` (itself included)."""
    root = contact.person_id
    return list(db.session.scalars(
        sa.select(Contact.id).where(sa.or_(Contact.id == root, Contact.unified_id == root))))


def people_on_several_channels(person_ids: set[int]) -> set[int]:
    """Which of these people have more than one contact (only they can cross-post)."""
    if not person_ids:
        return set()
    return set(db.session.scalars(
        sa.select(Contact.unified_id).where(Contact.unified_id.in_(person_ids)).distinct()))


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def similarity(a: str, b: str) -> float:
    left, right = words(a), words(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def link_cross_posts(ticket: Ticket, contact: Contact, text: str) -> list[int]:
    """Link a new ticket to the same person's open, similar tickets on other channels."""
    contacts = same_person(contact)
    if len(contacts) < 2:
        return []
    candidates = db.session.execute(
        sa.select(Ticket.id, Ticket.subject, Ticket.preview).where(
            Ticket.contact_id.in_(contacts), Ticket.id != ticket.id,
            Ticket.channel_id != ticket.channel_id, Ticket.status.in_(OPEN_STATUSES),
            Ticket.created_at >= ticket.created_at - CROSS_POST_WINDOW)
        .order_by(Ticket.id.desc()).limit(50)
    ).all()
    linked = []
    for other_id, subject, preview in candidates:
        if similarity(text, f"{subject} {preview}") >= CROSS_POST_SIMILARITY:
            _link(ticket.id, other_id, "cross-post")
            linked.append(other_id)
    return linked


def _link(a: int, b: int, reason: str) -> None:
    low, high = sorted((a, b))
    exists = db.session.scalar(sa.select(TicketLink.id).where(
        TicketLink.ticket_id == low, TicketLink.related_id == high))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(TicketLink(ticket_id=low, related_id=high, reason=reason))
        except IntegrityError:
            pass  # linked by a concurrent run a moment ago


def related_tickets(ticket_id: int) -> list[Ticket]:
    """Tickets linked to this one (cross-posts), newest first."""
    ids = db.session.execute(
        sa.select(TicketLink.ticket_id, TicketLink.related_id).where(
            sa.or_(TicketLink.ticket_id == ticket_id, TicketLink.related_id == ticket_id))
    ).all()
    others = {a if b == ticket_id else b for a, b in ids}
    if not others:
        return []
    return list(db.session.scalars(
        sa.select(Ticket).where(Ticket.id.in_(others)).order_by(Ticket.created_at.desc())))


def _supervisor(person: Person) -> None:
    if not can_assign_others(person):
        raise Forbidden("only supervisors and admins merge or split contacts")


def merge(person: Person, contact_id: int, into_id: int) -> Contact:
    """The person behind `contact_id` is the one behind `into_id`: unify both groups."""
    _supervisor(person)
    contact, into = db.session.get(Contact, contact_id), db.session.get(Contact, into_id)
    if contact is None or into is None:
        raise NotFound("no such contact")
    root, old_root = into.person_id, contact.person_id
    if root == old_root:
        raise Invalid("these contacts are one person already", {"contact": ["same person"]})
    # Everyone of the old group now points at the new root (a flat tree: one hop).
    db.session.execute(
        sa.update(Contact).where(sa.or_(Contact.id == old_root, Contact.unified_id == old_root))
        .values(unified_id=root).execution_options(synchronize_session=False))
    audit.record("contact.merged", person, contact_id=contact_id, into_id=into_id)
    commit()
    return db.session.get(Contact, contact_id)


def split(person: Person, contact_id: int) -> Contact:
    """Take one contact out of its person (a wrong merge); it stands alone again."""
    _supervisor(person)
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no such contact")
    members = [cid for cid in same_person(contact) if cid != contact.id]
    if not members:
        raise Invalid("this contact stands alone already", {"contact": ["not unified"]})
    if contact.unified_id is None:
        # It was the root: the others keep being one person under the next one.
        new_root = min(members)
        db.session.execute(
            sa.update(Contact).where(Contact.id.in_(members))
            .values(unified_id=sa.case((Contact.id == new_root, None), else_=new_root))
            .execution_options(synchronize_session=False))
    contact.unified_id = None
    audit.record("contact.split", person, contact_id=contact_id)
    commit()
    return contact


def attachments_of(messages: list[Message]) -> dict[int, list[Attachment]]:
    """The attachments of a thread's messages, by message id (one query, bytes not loaded)."""
    ids = [m.id for m in messages]
    found: dict[int, list[Attachment]] = {}
    if ids:
        for row in db.session.scalars(sa.select(Attachment).where(
                Attachment.message_id.in_(ids)).order_by(Attachment.id)):
            found.setdefault(row.message_id, []).append(row)
    return found

"""Canned replies: the library, the picker's search, rendering for a ticket, usage.

Who may do what: everyone who works tickets uses the global replies, the replies
of their teams (supervisors and admins: of every team) and their own personal
ones; agents write only personal replies, supervisors and admins also team and
global ones.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from desk import audit
from desk.canned import templating
from desk.commits import commit
from desk.errors import Forbidden, Invalid, NotFound
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import (
    CannedLanguage,
    CannedReply,
    CannedReplyTag,
    CannedReplyUse,
    CannedReplyVariant,
    CannedScope,
    Message,
    MessageKind,
    Person,
    Role,
    Status,
    Team,
    Ticket,
    utcnow,
)
from desk.sanitize import clean_line, html_to_text

LANGUAGES = tuple(language.value for language in CannedLanguage)
SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
TAG = re.compile(r"^[^\s,][^,]{0,39}$")
MAX_TITLE = 120
MAX_TAGS = 10
MAX_USES_PER_REPLY = 10  # canned replies recorded for one sent message
PICKER_CANDIDATES = 200  # rows the picker ranks per keystroke (most used first)
VALUE_KEY = re.compile(r"^(ask\.)?[a-z][a-z0-9_]{0,39}$|^(contact|agent|ticket)\.[a-z_]{1,20}$")


# -- permissions ------------------------------------------------------------------------


def _supervises(person: Person) -> bool:
    return person.has_role(Role.SUPERVISOR, Role.ADMIN)


def usable(person: Person) -> sa.ColumnElement[bool]:
    """The replies a person may see and insert, as a WHERE clause."""
    mine = sa.and_(CannedReply.scope == CannedScope.PERSONAL, CannedReply.owner_id == person.id)
    shared = CannedReply.scope == CannedScope.GLOBAL
    if _supervises(person):
        teams = CannedReply.scope == CannedScope.TEAM
    else:
        teams = sa.and_(CannedReply.scope == CannedScope.TEAM,
                        CannedReply.team_id.in_(person.team_ids))
    return sa.or_(mine, shared, teams)


def may_use(person: Person, reply: CannedReply) -> bool:
    if reply.scope == CannedScope.PERSONAL:
        return reply.owner_id == person.id
    if reply.scope == CannedScope.TEAM:
        return _supervises(person) or reply.team_id in person.team_ids
    return True


def may_write(person: Person, scope: CannedScope) -> bool:
    """Agents write personal replies; supervisors and admins every scope."""
    return scope == CannedScope.PERSONAL or _supervises(person)


def may_edit(person: Person, reply: CannedReply) -> bool:
    if reply.scope == CannedScope.PERSONAL:
        return reply.owner_id == person.id
    return _supervises(person)


def get(person: Person, reply_id: int) -> CannedReply:
    """A canned reply the person may use."""
    reply = db.session.get(CannedReply, reply_id)
    if reply is None:
        raise NotFound(f"canned reply {reply_id} does not exist")
    if not may_use(person, reply):
        raise Forbidden("this canned reply is not yours to use")
    return reply


def get_for_edit(person: Person, reply_id: int) -> CannedReply:
    """A canned reply the person may change or delete."""
    reply = get(person, reply_id)
    if not may_edit(person, reply):
        raise Forbidden("only supervisors change team and global canned replies")
    return reply


# -- writing ----------------------------------------------------------------------------


def create(
    person: Person,
    *,
    title: str,
    shortcut: str,
    scope: CannedScope,
    bodies: dict[str, str | None],
    team_id: int | None = None,
    tags: Iterable[str] = (),
) -> CannedReply:
    """Add a canned reply; `bodies` maps a language to its body as typed (HTML or text)."""
    if not may_write(person, scope):
        raise Forbidden("agents write personal canned replies only")
    reply = CannedReply(created_by_id=person.id)
    _apply(person, reply, title=title, shortcut=shortcut, scope=scope, team_id=team_id,
           tags=tags, bodies=bodies)
    db.session.add(reply)
    db.session.flush()
    audit.record("canned.created", person, canned_reply_id=reply.id, scope=reply.scope)
    commit()
    return reply


def update(
    person: Person,
    reply_id: int,
    *,
    title: str | None = None,
    shortcut: str | None = None,
    scope: CannedScope | None = None,
    team_id: int | None = None,
    tags: Iterable[str] | None = None,
    bodies: dict[str, str | None] | None = None,
) -> CannedReply:
    """Change what is given; a body of None or "" removes that language."""
    reply = get_for_edit(person, reply_id)
    scope = scope or reply.scope
    if not may_write(person, scope):
        raise Forbidden("agents write personal canned replies only")
    kept = {v.language.value: templating.to_source(v.body_html) for v in reply.variants}
    if team_id is None and scope == CannedScope.TEAM:
        team_id = reply.team_id
    _apply(person, reply, title=reply.title if title is None else title,
           shortcut=reply.shortcut if shortcut is None else shortcut, scope=scope,
           team_id=team_id, tags=reply.tags if tags is None else tags, bodies=bodies or {},
           keep=kept)
    reply.updated_at = utcnow()
    audit.record("canned.updated", person, canned_reply_id=reply.id, scope=reply.scope)
    commit()
    return reply


def delete(person: Person, reply_id: int) -> None:
    """Remove a canned reply and its statistics."""
    reply = get_for_edit(person, reply_id)
    audit.record("canned.deleted", person, canned_reply_id=reply.id, title=reply.title)
    db.session.delete(reply)
    commit()


def _apply(
    person: Person,
    reply: CannedReply,
    *,
    title: str,
    shortcut: str,
    scope: CannedScope,
    team_id: int | None,
    tags: Iterable[str],
    bodies: dict[str, str | None],
    keep: dict[str, str] | None = None,
) -> None:
    """Validate everything, then set it; a refusal names each offending field."""
    problems: dict[str, list[str]] = {}
    title = clean_line(title, MAX_TITLE + 1)
    if not title:
        problems["title"] = ["must not be empty"]
    elif len(title) > MAX_TITLE:
        problems["title"] = [f"at most {MAX_TITLE} characters"]
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    if not SHORTCUT.match(shortcut):
        problems["shortcut"] = ["1 to 40 lower-case letters, digits, - or _"]
    team = None
    if scope == CannedScope.TEAM:
        team = db.session.get(Team, team_id) if team_id else None
        if team is None:
            problems["team"] = ["choose a team for a team reply"]
    clean_tags = sorted({clean_line(tag, 41).lower() for tag in tags if clean_line(tag, 41)})
    if len(clean_tags) > MAX_TAGS or not all(TAG.match(tag) for tag in clean_tags):
        problems["tags"] = [f"at most {MAX_TAGS} tags of up to 40 characters, no commas"]
    sources = dict(keep or {})
    stored: dict[str, str] = {}
    for language, body in bodies.items():
        if language not in LANGUAGES:
            problems[f"body_{language}"] = [f"languages are {', '.join(LANGUAGES)}"]
            continue
        if not (body or "").strip():
            sources.pop(language, None)
            continue
        found = check_body(body or "")
        if found:
            problems[f"body_{language}"] = [str(problem) for problem in found]
            continue
        stored[language] = templating.to_stored_html(body or "")
        sources[language] = templating.to_source(stored[language])
    if not sources and not any(key.startswith("body_") for key in problems):
        problems[f"body_{LANGUAGES[0]}"] = ["write the reply in at least one language"]
    if problems:
        raise Invalid("the canned reply has invalid fields", problems)

    if scope != CannedScope.PERSONAL:
        reply.owner_id = None
    elif reply.scope != CannedScope.PERSONAL or reply.owner_id is None:
        reply.owner_id = person.id  # a shared reply made personal becomes the editor's
    reply.title, reply.shortcut, reply.scope = title, shortcut, scope
    reply.team_id = team.id if team is not None else None
    reply.tag_rows = [CannedReplyTag(tag=tag) for tag in clean_tags]
    variants = {v.language.value: v for v in reply.variants}
    for language in LANGUAGES:
        if language in stored:
            if language in variants:
                variants[language].body_html = stored[language]
            else:
                reply.variants.append(CannedReplyVariant(language=CannedLanguage(language),
                                                         body_html=stored[language]))
        elif language not in sources and language in variants:
            reply.variants.remove(variants[language])
    reply.languages = " ".join(language for language in LANGUAGES if language in sources)
    reply.search_text = " ".join(
        [shortcut, title, *clean_tags, *(html_to_text(sources[lang]) for lang in sorted(sources))]
    ).lower()


def check_body(raw: str) -> list[templating.Problem]:
    """Problems of a body as typed, with the lines as the person typed them."""
    found = templating.check(raw)
    if found:
        return found
    # The stored form must pass too (cleaning could in theory join text into a tag).
    return templating.check(templating.to_source(templating.to_stored_html(raw)))


# -- the picker -------------------------------------------------------------------------


@dataclass
class Candidate:
    id: int
    title: str
    shortcut: str
    scope: CannedScope
    team_id: int | None
    languages: list[str]
    use_count: int
    score: float


def search(person: Person, q: str | None = None, ticket: Ticket | None = None,
           limit: int = 10) -> list[Candidate]:
    """Replies for the picker, best first: text match, then usage, language and team fit.

    Every word of `q` must occur in the shortcut, title, tags or a body. Of the
    matches, the PICKER_CANDIDATES most used are ranked here.
    """
    words = (q or "").lower().split()[:8]
    statement = sa.select(
        CannedReply.id, CannedReply.title, CannedReply.shortcut, CannedReply.scope,
        CannedReply.team_id, CannedReply.languages, CannedReply.use_count,
    ).where(usable(person))
    for word in words:
        statement = statement.where(CannedReply.search_text.like(f"%{_like(word)}%", escape="\\"))
    rows = db.session.execute(
        statement.order_by(CannedReply.use_count.desc(), CannedReply.id).limit(PICKER_CANDIDATES)
    ).all()
    language = ((ticket.contact.language or ticket.channel.language or "")
                if ticket is not None else "")[:2].lower()
    phrase = " ".join(words)
    ranked = []
    for row in rows:
        score = _text_score(phrase, words, row.shortcut, row.title.lower())
        score += 8 * math.log10(1 + row.use_count)
        languages = row.languages.split()
        if language and language in languages:
            score += 15
        if ticket is not None and row.team_id is not None and row.team_id == ticket.team_id:
            score += 10
        if row.scope == CannedScope.PERSONAL:
            score += 5
        ranked.append(Candidate(row.id, row.title, row.shortcut, row.scope, row.team_id,
                                languages, row.use_count, round(score, 2)))
    ranked.sort(key=lambda c: (-c.score, c.shortcut, c.id))
    return ranked[:limit]


def _text_score(phrase: str, words: list[str], shortcut: str, title: str) -> float:
    if not words:
        return 0.0
    score = 0.0
    if shortcut == phrase:
        score += 100
    elif shortcut.startswith(phrase):
        score += 60
    title_words = title.split()
    for word in words:
        if word in shortcut:
            score += 15
        if any(t.startswith(word) for t in title_words):
            score += 20
        elif word in title:
            score += 10
        else:
            score += 3  # only in the body or tags
    return score


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- rendering for a ticket -------------------------------------------------------------


def render_for_ticket(person: Person, reply_id: int, ticket_id: int,
                      values: dict[str, Any] | None = None) -> templating.Rendered:
    """The reply as the contact of this ticket would get it, in their language.

    `values` fills prompted variables (`ask.tracking_number` or `tracking_number`)
    and may override a placeholder the ticket does not know (`contact.first_name`).
    Names still without a value come back in `missing`.
    """
    reply = get(person, reply_id)
    ticket = get_ticket(person, ticket_id)
    asked, overrides = _values(values or {})
    language = templating.pick_language(
        [v.language.value for v in reply.variants],
        # The agent's own language says nothing about what the contact reads.
        [ticket.contact.language, ticket.channel.language,
         current_app.config["BABEL_DEFAULT_LOCALE"]],
    )
    variant = reply.variant(language or "")
    if variant is None:  # a reply always has a variant; guard against a broken row
        raise NotFound(f"canned reply {reply_id} has no body")
    today = templating.today_in(current_app.config["DESK_TIMEZONE"])
    facts = facts_for(person, ticket, variant.language.value, overrides)
    try:
        return templating.render(templating.to_source(variant.body_html), facts, asked,
                                 variant.language.value, today)
    except templating.RenderError as error:
        raise Invalid(f"the canned reply could not be rendered: {error}",
                      {"body": [str(error)]}) from error


def facts_for(person: Person, ticket: Ticket, language: str,
              overrides: dict[str, dict[str, str]] | None = None) -> dict[str, dict[str, Any]]:
    """The placeholder values of a ticket, for its contact and the agent answering."""
    from zoneinfo import ZoneInfo

    created = ticket.created_at.astimezone(ZoneInfo(current_app.config["DESK_TIMEZONE"]))
    facts: dict[str, dict[str, Any]] = {
        "contact": {"name": ticket.contact.name, "first_name":
                    templating.first_name(ticket.contact.name), "handle": ticket.contact.handle},
        "agent": {"name": person.name, "first_name": templating.first_name(person.name),
                  "signature": templating.signature(person.name)},
        "ticket": {"number": str(ticket.id), "subject": ticket.subject,
                   "channel": ticket.channel.name,
                   "created": templating.LocalDate(created.date(), language)},
    }
    for group, values in (overrides or {}).items():
        facts[group].update(values)
    return facts


def _values(values: dict[str, Any]) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Split what the agent filled in into prompted values and placeholder overrides."""
    if not isinstance(values, dict) or len(values) > 50:
        raise Invalid("values must be an object of at most 50 names", {"values": ["invalid"]})
    asked: dict[str, str] = {}
    overrides: dict[str, dict[str, str]] = {}
    bad = [key for key in values if not isinstance(key, str) or not VALUE_KEY.match(key)
           or not isinstance(values[key], str | int | float)]
    if bad:
        raise Invalid("unknown value names: " + ", ".join(map(str, bad)),
                      {"values": [f"unknown: {key}" for key in bad]})
    for key, value in values.items():
        text = clean_line(str(value), templating.MAX_VALUE)
        group, _, name = key.rpartition(".")
        if group in templating.PLACEHOLDERS:
            if name not in templating.PLACEHOLDERS[group]:
                raise Invalid(f"unknown value name: {key}", {"values": [f"unknown: {key}"]})
            if text:
                overrides.setdefault(group, {})[name] = text
        else:
            asked[name] = text
    return asked, overrides


# -- usage ------------------------------------------------------------------------------


def record_uses(person: Person, ticket: Ticket, message: Message,
                reply_ids: Iterable[int]) -> list[int]:
    """Count a sent reply for the canned replies inserted into it (caller commits).

    Ids the person may not use (or deleted meanwhile) are ignored: a reply is
    never refused over its statistics.
    """
    wanted = sorted(set(reply_ids))[:MAX_USES_PER_REPLY]
    if not wanted:
        return []
    found = list(db.session.scalars(
        sa.select(CannedReply.id).where(CannedReply.id.in_(wanted), usable(person))
    ))
    for reply_id in found:
        db.session.add(CannedReplyUse(canned_reply_id=reply_id, person_id=person.id,
                                      ticket_id=ticket.id, message_id=message.id,
                                      created_at=message.created_at))
    if found:
        db.session.execute(
            sa.update(CannedReply).where(CannedReply.id.in_(found))
            .values(use_count=CannedReply.use_count + 1)
            .execution_options(synchronize_session=False)
        )
        audit.record("canned.used", person, ticket.id, message_id=message.id,
                     canned_reply_ids=found)
    return found


@dataclass
class Usage:
    uses: int = 0
    resolved_clean: int = 0  # the ticket is resolved and the contact wrote nothing after

    @property
    def success_rate(self) -> float | None:
        return self.resolved_clean / self.uses if self.uses else None


def usage(reply_ids: Iterable[int]) -> dict[int, Usage]:
    """Uses of each reply, and how many ended resolved without a follow-up from the contact."""
    ids = list(reply_ids)
    if not ids:
        return {}
    follow_up = sa.exists().where(
        Message.ticket_id == CannedReplyUse.ticket_id,
        Message.kind == MessageKind.INBOUND,
        Message.created_at > CannedReplyUse.created_at,
    )
    clean = sa.case((sa.and_(Ticket.status == Status.RESOLVED, ~follow_up), 1), else_=0)
    rows = db.session.execute(
        sa.select(CannedReplyUse.canned_reply_id, sa.func.count(), sa.func.sum(clean))
        .join(Ticket, Ticket.id == CannedReplyUse.ticket_id)
        .where(CannedReplyUse.canned_reply_id.in_(ids))
        .group_by(CannedReplyUse.canned_reply_id)
    ).all()
    return {row[0]: Usage(int(row[1]), int(row[2] or 0)) for row in rows}


# -- the library page -------------------------------------------------------------------


def library(
    person: Person,
    *,
    q: str | None = None,
    scope: CannedScope | None = None,
    tag: str | None = None,
    language: str | None = None,
    limit: int = 200,
) -> list[CannedReply]:
    """The replies a person may use, narrowed by the filters, by scope then title."""
    statement = sa.select(CannedReply).where(usable(person))
    for word in (q or "").lower().split()[:8]:
        statement = statement.where(CannedReply.search_text.like(f"%{_like(word)}%", escape="\\"))
    if scope is not None:
        statement = statement.where(CannedReply.scope == scope)
    if tag:
        statement = statement.where(CannedReply.tag_rows.any(CannedReplyTag.tag == tag.lower()))
    if language:
        statement = statement.where(CannedReply.languages.like(f"%{_like(language)}%",
                                                               escape="\\"))
    order = sa.case({CannedScope.PERSONAL.value: 0, CannedScope.TEAM.value: 1},
                    value=CannedReply.scope, else_=2)
    return list(db.session.scalars(
        statement.order_by(order, CannedReply.title, CannedReply.id).limit(limit)
    ))


def tags_in_use(person: Person) -> list[str]:
    """Every tag on a reply the person may use, for the filter."""
    return list(db.session.scalars(
        sa.select(CannedReplyTag.tag).join(CannedReply).where(usable(person))
        .distinct().order_by(CannedReplyTag.tag)
    ))

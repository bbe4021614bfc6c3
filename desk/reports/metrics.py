"""The report queries: each returns rows (plain dicts) for a period and a scope.

They read the rollup tables (`report_daily` for counts, `report_ticket_facts`
for percentiles), both indexed by day; only `backlog` and `today` read tickets,
through the open-ticket partial indexes and `ix_tickets_created_at`.
Definitions of every number: docs/metrics.md.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from desk.extensions import db
from desk.models import (
    OPEN_STATUSES,
    Channel,
    CsatResponse,
    FaqEntry,
    FaqLinkUse,
    FaqVote,
    Person,
    ReportDaily,
    ReportTicketFact,
    Team,
    Ticket,
)
from desk.reports.periods import Period, Scope

Row = dict[str, Any]
DURATIONS = ("first_response_s", "first_response_bh_s", "resolution_s", "resolution_bh_s")


def ratio(part: int | float | None, whole: int | float | None) -> float | None:
    """part / whole rounded to 4 places, or None when there is nothing to divide by."""
    if not whole:
        return None
    return round((part or 0) / whole, 4)


def daily_source(period: Period, scope: Scope) -> sa.FromClause:
    """Where daily counts come from: `report_daily`, or for a tag filter the same sums
    over the tagged tickets' facts of the period (a tag is not a rollup dimension)."""
    if scope.tag_id is None:
        return ReportDaily.__table__
    from desk.reports.rollups import daily_sums

    return daily_sums(_facts_of(period, scope)).subquery("report_daily_tagged")


def _daily(daily: sa.FromClause, period: Period, scope: Scope) -> sa.ColumnElement[bool]:
    return sa.and_(daily.c.day.between(period.start, period.end), scope.where(daily))


def _facts_of(period: Period, scope: Scope) -> sa.ColumnElement[bool]:
    """Every fact of the period in scope, spam included (daily sums count it apart)."""
    return sa.and_(ReportTicketFact.day.between(period.start, period.end),
                   scope.where(ReportTicketFact))


def _facts(period: Period, scope: Scope) -> sa.ColumnElement[bool]:
    return sa.and_(ReportTicketFact.day.between(period.start, period.end),
                   ReportTicketFact.is_spam.is_(False), scope.where(ReportTicketFact))


def _names(model: type, label: Callable[[Any], str]) -> dict[int, str]:
    return {row.id: label(row) for row in db.session.scalars(sa.select(model))}


def channel_names() -> dict[int, str]:
    return _names(Channel, lambda channel: channel.slug)


def team_names() -> dict[int, str]:
    return _names(Team, lambda team: team.name)


# --- percentiles -----------------------------------------------------------------------

def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def duration_percentiles(
    period: Period, scope: Scope, group: sa.ColumnElement[Any] | None = None,
    columns: Sequence[str] = DURATIONS,
) -> dict[Any, Row]:
    """Median and p90 of each duration column, per group value (None: one group).

    PostgreSQL computes them in SQL (percentile_cont); SQLite has no such
    aggregate, so the values are read in order and interpolated the same way.
    """
    key = group if group is not None else sa.literal(None)
    where = _facts(period, scope)
    if db.engine.dialect.name == "postgresql":
        # One sort per column for both fractions: percentile_cont(ARRAY[0.5, 0.9]).
        fractions = postgresql.array([0.5, 0.9], type_=sa.Float)
        selected = [key.label("key")] + [
            sa.func.percentile_cont(fractions).within_group(getattr(ReportTicketFact, name))
            .label(name) for name in columns
        ]
        query = sa.select(*selected).where(where)
        if group is not None:
            query = query.group_by(group)
        found: dict[Any, Row] = {}
        for row in db.session.execute(query):
            found[row.key] = {}
            for name in columns:
                p50, p90 = getattr(row, name) or (None, None)
                found[row.key] |= {f"{name}_p50": _seconds(p50), f"{name}_p90": _seconds(p90)}
        return found
    result: dict[Any, Row] = defaultdict(dict)
    for name in columns:
        column = getattr(ReportTicketFact, name)
        values: dict[Any, list[float]] = defaultdict(list)
        rows = db.session.execute(
            sa.select(key, column).where(where, column.is_not(None)).order_by(key, column))
        for group_key, value in rows:
            values[group_key].append(value)
        for group_key, ordered in values.items():
            result[group_key][f"{name}_p50"] = _seconds(percentile(ordered, 0.5))
            result[group_key][f"{name}_p90"] = _seconds(percentile(ordered, 0.9))
    return dict(result)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def _empty_durations(columns: Sequence[str] = DURATIONS) -> Row:
    return {f"{name}_{p}": None for name in columns for p in ("p50", "p90")}


# --- the reports -----------------------------------------------------------------------

def volume(period: Period, scope: Scope) -> list[Row]:
    """Complaints received per day and channel (spam separately)."""
    names = channel_names()
    daily = daily_source(period, scope)
    rows = db.session.execute(
        sa.select(daily.c.day, daily.c.channel_id,
                  sa.func.sum(daily.c.tickets).label("tickets"),
                  sa.func.sum(daily.c.spam).label("spam"))
        .where(_daily(daily, period, scope))
        .group_by(daily.c.day, daily.c.channel_id)
        .order_by(daily.c.day, daily.c.channel_id)
    )
    return [{"day": row.day.isoformat(), "channel": names.get(row.channel_id),
             "tickets": int(row.tickets), "spam": int(row.spam)} for row in rows]


def _sums(period: Period, scope: Scope, *group: str) -> list[sa.Row]:
    """Daily counts summed over the period, per the named report_daily columns (or all)."""
    daily = daily_source(period, scope)
    keys = [daily.c[name] for name in group]
    query = sa.select(
        *keys,
        # Cast: over the tagged sums (bigint) PostgreSQL's sum is numeric, a Decimal here.
        *(sa.cast(sa.func.coalesce(sa.func.sum(daily.c[name]), 0), sa.Integer).label(name)
          for name in (
            "tickets", "open", "answered", "resolved", "ever_resolved", "reopened", "escalated",
            "with_sentiment", "negative", "sla_fr_met", "sla_fr_breached", "sla_res_met",
            "sla_res_breached", "sla_nr_met", "sla_nr_breached")),
    ).where(_daily(daily, period, scope))
    if keys:
        query = query.group_by(*keys).order_by(*keys)
    return list(db.session.execute(query))


def response(period: Period, scope: Scope) -> list[Row]:
    """Per day: received, answered, response rate, resolved, and response/resolution times."""
    durations = duration_percentiles(period, scope, ReportTicketFact.day)
    rows = []
    for row in _sums(period, scope, "day"):
        rows.append({"day": row.day.isoformat(), "tickets": row.tickets,
                     "answered": row.answered, "response_rate": ratio(row.answered, row.tickets),
                     "resolved": row.resolved,
                     **(durations.get(row.day) or _empty_durations())})
    return rows


def summary(period: Period, scope: Scope) -> Row:
    """One row of headline numbers for the period (the management view compares two)."""
    sums = _sums(period, scope)[0]
    durations = duration_percentiles(period, scope).get(None) or _empty_durations()
    csat = db.session.execute(
        sa.select(sa.func.count(), sa.func.avg(CsatResponse.score))
        .where(CsatResponse.day.between(period.start, period.end), scope.where(CsatResponse))
    ).one()
    first_total = sums.sla_fr_met + sums.sla_fr_breached
    return {
        "from": period.start.isoformat(), "to": period.end.isoformat(),
        "tickets": sums.tickets, "answered": sums.answered,
        "response_rate": ratio(sums.answered, sums.tickets),
        "resolved": sums.resolved, "reopened": sums.reopened,
        "reopen_rate": ratio(sums.reopened, sums.ever_resolved),
        "escalated": sums.escalated, "escalation_rate": ratio(sums.escalated, sums.tickets),
        "negative_share": ratio(sums.negative, sums.with_sentiment),
        "sla_first_response_compliance": ratio(sums.sla_fr_met, first_total),
        "csat_responses": csat[0], "csat_average": _round(csat[1]),
        **durations,
    }


def _round(value: Any, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def sla(period: Period, scope: Scope) -> list[Row]:
    """Per clock: targets met and breached, and the share met (running clocks not counted).

    The outcomes are the SLA module's (recorded when each clock stopped; a clock still
    running past its due time counts as breached, as the ticket's badge shows it).
    """
    sums = _sums(period, scope)[0]
    rows = []
    for clock, met, breached in (
        ("first_response", sums.sla_fr_met, sums.sla_fr_breached),
        ("next_response", sums.sla_nr_met, sums.sla_nr_breached),
        ("resolution", sums.sla_res_met, sums.sla_res_breached),
    ):
        rows.append({"clock": clock, "met": met, "breached": breached,
                     "compliance": ratio(met, met + breached)})
    return rows


def agents(period: Period, scope: Scope) -> list[Row]:
    """Per agent (assignee): tickets, answered, resolved, reopened, times, CSAT."""
    people = _names(Person, lambda person: person.name)
    durations = duration_percentiles(period, scope, ReportTicketFact.assignee_id,
                                     ("first_response_s", "first_response_bh_s"))
    csat = {row.agent_id: row for row in db.session.execute(
        sa.select(CsatResponse.agent_id, sa.func.count().label("n"),
                  sa.func.avg(CsatResponse.score).label("average"))
        .where(CsatResponse.day.between(period.start, period.end), scope.where(CsatResponse))
        .group_by(CsatResponse.agent_id))}
    rows = []
    for row in _sums(period, scope, "assignee_id"):
        score = csat.get(row.assignee_id)
        rows.append({
            "agent_id": row.assignee_id, "agent": people.get(row.assignee_id),
            "tickets": row.tickets, "answered": row.answered, "resolved": row.resolved,
            "reopened": row.reopened, "escalated": row.escalated,
            **(durations.get(row.assignee_id)
               or _empty_durations(("first_response_s", "first_response_bh_s"))),
            "csat_responses": score.n if score else 0,
            "csat_average": _round(score.average) if score else None,
        })
    return rows


def channels(period: Period, scope: Scope) -> list[Row]:
    """Per channel: received, answered, response rate, first response median (wall, business)."""
    names = channel_names()
    durations = duration_percentiles(period, scope, ReportTicketFact.channel_id,
                                     ("first_response_s", "first_response_bh_s"))
    return [{"channel": names.get(row.channel_id), "tickets": row.tickets,
             "answered": row.answered, "response_rate": ratio(row.answered, row.tickets),
             "resolved": row.resolved, "escalated": row.escalated,
             "negative_share": ratio(row.negative, row.with_sentiment),
             **(durations.get(row.channel_id)
                or _empty_durations(("first_response_s", "first_response_bh_s")))}
            for row in _sums(period, scope, "channel_id")]


def trend(period: Period, scope: Scope) -> list[Row]:
    """Per day: reputation and satisfaction - response rate, share negative, CSAT average."""
    csat_days = {row.day: row for row in db.session.execute(
        sa.select(CsatResponse.day, sa.func.count().label("n"),
                  sa.func.avg(CsatResponse.score).label("average"))
        .where(CsatResponse.day.between(period.start, period.end), scope.where(CsatResponse))
        .group_by(CsatResponse.day))}
    rows = []
    for row in _sums(period, scope, "day"):
        score = csat_days.get(row.day)
        rows.append({"day": row.day.isoformat(), "tickets": row.tickets,
                     "response_rate": ratio(row.answered, row.tickets),
                     "negative_share": ratio(row.negative, row.with_sentiment),
                     "csat_responses": score.n if score else 0,
                     "csat_average": _round(score.average) if score else None})
    return rows


def sentiment(period: Period, scope: Scope) -> list[Row]:
    """Per day and channel: tickets with a sentiment score, negative ones, share negative."""
    names = channel_names()
    return [{"day": row.day.isoformat(), "channel": names.get(row.channel_id),
             "scored": row.with_sentiment, "negative": row.negative,
             "negative_share": ratio(row.negative, row.with_sentiment)}
            for row in _sums(period, scope, "day", "channel_id")]


def topics(period: Period, scope: Scope, limit: int = 20) -> list[Row]:
    """Top topics (FAQ category linked in replies): tickets, and share negative."""
    fact = ReportTicketFact
    rows = db.session.execute(
        sa.select(fact.topic, sa.func.count().label("tickets"),
                  sa.func.sum(sa.case((fact.sentiment.is_not(None), 1), else_=0)).label("scored"),
                  sa.func.sum(sa.case((fact.is_negative.is_(True), 1), else_=0)).label("neg"))
        .where(_facts(period, scope))
        .group_by(fact.topic).order_by(sa.func.count().desc(), fact.topic).limit(limit)
    )
    return [{"topic": row.topic, "tickets": row.tickets, "scored": int(row.scored or 0),
             "negative": int(row.neg or 0), "negative_share": ratio(row.neg, row.scored)}
            for row in rows]


def reopens(period: Period, scope: Scope) -> list[Row]:
    """Per day: tickets ever resolved, reopened after resolving, and the reopen rate."""
    return [{"day": row.day.isoformat(), "resolved": row.ever_resolved,
             "reopened": row.reopened, "reopen_rate": ratio(row.reopened, row.ever_resolved)}
            for row in _sums(period, scope, "day")]


def escalations(period: Period, scope: Scope) -> list[Row]:
    """Per day and team: tickets raised above level 0, and their share of all tickets."""
    names = team_names()
    return [{"day": row.day.isoformat(), "team": names.get(row.team_id),
             "tickets": row.tickets, "escalated": row.escalated,
             "escalation_rate": ratio(row.escalated, row.tickets)}
            for row in _sums(period, scope, "day", "team_id")]


def faq(period: Period, scope: Scope) -> list[Row]:
    """Per FAQ entry: views (all time), helpful votes in the period, times sent in replies.

    FAQ entries are public and belong to no team or channel, so only the period applies.
    """
    start, end = period.utc_bounds(_desk_timezone())
    votes = {row.entry_id: row for row in db.session.execute(
        sa.select(FaqVote.entry_id,
                  sa.func.sum(sa.case((FaqVote.is_helpful.is_(True), 1), else_=0)).label("yes"),
                  sa.func.count().label("votes"))
        .where(FaqVote.created_at >= start, FaqVote.created_at < end)
        .group_by(FaqVote.entry_id))}
    sent = dict(db.session.execute(
        sa.select(FaqLinkUse.entry_id, sa.func.count())
        .where(FaqLinkUse.created_at >= start, FaqLinkUse.created_at < end)
        .group_by(FaqLinkUse.entry_id)).all())
    rows = []
    for entry in db.session.execute(
        sa.select(FaqEntry.id, FaqEntry.slug, FaqEntry.question, FaqEntry.category,
                  FaqEntry.view_count).order_by(FaqEntry.view_count.desc(), FaqEntry.id)
    ):
        vote = votes.get(entry.id)
        yes, total = (int(vote.yes or 0), vote.votes) if vote else (0, 0)
        rows.append({"slug": entry.slug, "question": entry.question, "category": entry.category,
                     "views": entry.view_count, "helpful": yes, "votes": total,
                     "helpful_ratio": ratio(yes, total), "sent": sent.get(entry.id, 0)})
    return rows


def csat(period: Period, scope: Scope) -> list[Row]:
    """Per team and agent: survey answers, average score (1-5), share satisfied (4 or 5)."""
    people, teams = _names(Person, lambda p: p.name), team_names()
    rows = db.session.execute(
        sa.select(CsatResponse.team_id, CsatResponse.agent_id, sa.func.count().label("n"),
                  sa.func.avg(CsatResponse.score).label("average"),
                  sa.func.sum(sa.case((CsatResponse.score >= 4, 1), else_=0)).label("happy"))
        .where(CsatResponse.day.between(period.start, period.end), scope.where(CsatResponse))
        .group_by(CsatResponse.team_id, CsatResponse.agent_id)
        .order_by(CsatResponse.team_id, CsatResponse.agent_id)
    )
    return [{"team": teams.get(row.team_id), "agent_id": row.agent_id,
             "agent": people.get(row.agent_id), "responses": row.n,
             "average": _round(row.average), "satisfied_share": ratio(row.happy, row.n)}
            for row in rows]


AGE_BUCKETS = ((timedelta(hours=1), "<1h"), (timedelta(hours=4), "1-4h"),
               (timedelta(days=1), "4-24h"), (timedelta(days=3), "1-3d"),
               (timedelta(days=7), "3-7d"))
# A literal, not a bound parameter: the planner may then use the partial index (WHERE
# status IN (...)) in a generic plan too (see desk.inbox.queue.OPEN_CONDITION).
_OPEN = Ticket.status.in_(sa.bindparam("open_statuses", [s.value for s in OPEN_STATUSES],
                                       expanding=True, literal_execute=True,
                                       type_=Ticket.status.type))
Snapshot = tuple[datetime, list[sa.Row]]


def open_snapshot(scope: Scope, now: datetime | None = None) -> Snapshot:
    """The open tickets now, per status and age bucket: how many, the oldest, how many
    unassigned and overdue - one pass over `ix_tickets_open_snapshot`, which holds every
    column read, so no table page is visited.

    The backlog table and today's counters both read it; the supervisor's page takes it
    once and hands it to both (`snapshot=`), so they show the same moment.
    """
    from desk.models import utcnow

    now = now or utcnow()
    week_ago = now - AGE_BUCKETS[-1][0]
    sums = (sa.func.count().label("n"), sa.func.min(Ticket.created_at).label("oldest"),
            sa.func.sum(sa.case((Ticket.assignee_id.is_(None), 1), else_=0)).label("unassigned"),
            sa.func.sum(sa.case((Ticket.due_at < now, 1), else_=0)).label("overdue"))
    # Most of a backlog is older than a week: counted per status straight along the index
    # (in status order already, nothing to sort), the recent rest bucketed by age.
    older = sa.select(Ticket.status, sa.literal(">7d").label("age"), *sums).where(
        _OPEN, Ticket.created_at <= week_ago, scope.where(Ticket)).group_by(Ticket.status)
    bucket = sa.case(*((Ticket.created_at > now - age, label) for age, label in AGE_BUCKETS),
                     else_=">7d")
    recent = sa.select(Ticket.status, bucket.label("age"), *sums).where(
        _OPEN, Ticket.created_at > week_ago, scope.where(Ticket)).group_by(Ticket.status, bucket)
    rows = [*db.session.execute(older).all(), *db.session.execute(recent).all()]
    return now, rows


def backlog(period: Period, scope: Scope, now: datetime | None = None,
            snapshot: Snapshot | None = None) -> list[Row]:
    """Open tickets now, by status and age (the period does not apply: it is a snapshot)."""
    now, rows = snapshot or open_snapshot(scope, now)
    order = {label: n for n, (_, label) in enumerate(AGE_BUCKETS)} | {">7d": len(AGE_BUCKETS)}
    result = [{"status": row.status.value, "age": row.age, "tickets": row.n,
               "oldest_age_s": round((now - row.oldest).total_seconds())}
              for row in rows]
    return sorted(result, key=lambda r: (r["status"], order[r["age"]]))


def today(scope: Scope, now: datetime | None = None, snapshot: Snapshot | None = None) -> Row:
    """Live counters for today (local midnight until now), read from tickets."""
    now, open_rows = snapshot or open_snapshot(scope, now)
    zone = _desk_timezone()
    midnight = datetime.combine(now.astimezone(zone).date(), time(), zone)
    received = db.session.execute(
        sa.select(sa.func.count(),
                  sa.func.sum(sa.case((Ticket.first_response_at.is_not(None), 1), else_=0)))
        .where(Ticket.created_at >= midnight, Ticket.status != "spam", scope.where(Ticket))
    ).one()
    return {"received": received[0], "answered": int(received[1] or 0),
            "open": sum(row.n for row in open_rows),
            "unassigned": sum(int(row.unassigned or 0) for row in open_rows),
            "overdue": sum(int(row.overdue or 0) for row in open_rows)}


def _desk_timezone() -> ZoneInfo:
    from flask import current_app

    return ZoneInfo(current_app.config["DESK_TIMEZONE"])


def day_range(period: Period) -> list[date]:
    return period.each_day()


REPORTS: dict[str, Callable[[Period, Scope], Any]] = {
    "volume": volume,
    "response": response,
    "sla": sla,
    "agents": agents,
    "sentiment": sentiment,
    "channels": channels,
    "trend": trend,
    "topics": topics,
    "faq": faq,
    "csat": csat,
    "backlog": backlog,
    "reopens": reopens,
    "escalations": escalations,
    "summary": lambda period, scope: [summary(period, scope)],
}
"""Every report by its public name (GET /api/v1/reports/<name>)."""

"""A queue row as the page shows it, worked out in Python once per row.

Every call a Jinja template makes (a filter, a macro, a helper) goes through its context
and costs several microseconds; a queue row made eight of them and a page has up to a
hundred rows, which was a third of the page's time (docs/benchmarks.md, queue page).
So the row template only reads these attributes; the markup stays in the template
(templates/inbox/_queue_rows.html).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.inbox.queue import Page
from desk.models import Priority, Status
from desk.pages import compact_number, relative_between, viewer_clock
from desk.sla.status import countdown_state

# Priorities marked with a visible, labelled flag (a title and hidden text for screen
# readers); the others only with a colour.
FLAGGED = frozenset({Priority.URGENT, Priority.HIGH})


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    href: str
    subject: str
    preview: str | None
    tags: list[str]
    priority: str  # the enum value, for the CSS class
    priority_flag: str | None  # the label of an urgent or high priority
    status: str
    status_label: str
    contact_name: str
    contact_handle: str | None
    reach: str
    channel_name: str
    assignee_name: str | None
    activity_at: str  # ISO, for static/js/times.js
    activity_text: str  # "3 hours ago"
    due_at: str | None
    due_text: str
    sla_state: str  # "ok" | "warning" | "breached"
    warn_at: str | None
    sla_paused: bool
    escalation_level: int


def row_views(page: Page, href: Callable[[int], str], now: datetime,
               status_labels: Mapping[Status, str],
               priority_labels: Mapping[Priority, str]) -> list[QueueRow]:
    """The page's rows, ready to print."""
    locale = str(viewer_clock()[0])
    return [_row(row, page.tags.get(row.id) or [], href, now, locale, status_labels,
                 priority_labels)
            for row in page.rows]


def _row(row: Any, tags: list[str], href: Callable[[int], str], now: datetime, locale: str,
         status_labels: Mapping[Status, str],
         priority_labels: Mapping[Priority, str]) -> QueueRow:
    activity = row.last_message_at or row.created_at
    due, warn = row.due_at, row.sla_warn_at
    return QueueRow(
        id=row.id,
        href=href(row.id),
        subject=row.subject,
        preview=row.preview,
        tags=tags,
        priority=row.priority.value,
        priority_flag=priority_labels[row.priority] if row.priority in FLAGGED else None,
        status=row.status.value,
        status_label=status_labels[row.status],
        contact_name=row.contact_name or row.contact_handle,
        contact_handle=row.contact_handle,
        reach=compact_number(row.contact_reach),
        channel_name=row.channel_name,
        assignee_name=row.assignee_name,
        activity_at=activity.isoformat(),
        activity_text=relative_between(activity, now, locale),
        due_at=due.isoformat() if due else None,
        due_text=relative_between(due, now, locale) if due else "",
        sla_state=countdown_state(due, warn, now) if due else "ok",
        warn_at=warn.isoformat() if due and warn else None,
        sla_paused=row.sla_paused_at is not None,
        escalation_level=row.escalation_level or 0,
    )


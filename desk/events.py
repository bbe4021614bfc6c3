"""The domain signals. Each is sent only after the commit that makes it true.

Every signal is sent with no sender and keyword arguments only: ids and the
small facts a screen needs, never whole objects (receivers run after the
session that loaded them has committed).
"""

from blinker import Namespace

_signals = Namespace()

ticket_created = _signals.signal("ticket.created")
"""A ticket was opened. kwargs: ticket_id, team_id, channel_id, status, priority."""

ticket_updated = _signals.signal("ticket.updated")
"""Status, priority or another field changed.

kwargs: ticket_id, team_id, changes (dict of field to new value; "tags": the ticket's
tag names after a tag was added or removed), version.
"""

ticket_assigned = _signals.signal("ticket.assigned")
"""The assignee changed. kwargs: ticket_id, team_id, assignee_id (or None), version."""

message_created = _signals.signal("message.created")
"""A message joined a ticket. kwargs: ticket_id, team_id, message_id, kind."""

delivery_updated = _signals.signal("delivery.updated")
"""An outbound reply's delivery changed. kwargs: ticket_id, team_id, message_id, delivery."""

person_changed = _signals.signal("person.changed")
"""A person was deactivated or their roles or teams changed; their live connections end.

kwargs: person_id, change ("deactivated", "roles", "teams" or "logged_out").
Not a Socket.IO event: the live layer disconnects the person's sockets, and
they reconnect (if still allowed) with the rooms their new roles give them.
"""

presence_changed = _signals.signal("presence.changed")
"""A person's presence changed: their sockets (desk.live.presence.record) or their own choice
(PUT /api/v1/me/presence). kwargs: person_id, status ("online", "away" or "offline"; for
source "chosen" the status that results), source ("sockets" or "chosen").

Auto-assignment listens (someone online again: the backlog drains). The live layer
broadcasts `presence.updated` for source "chosen"; socket changes it emits itself.
"""

ALL = {
    signal.name: signal
    for signal in (ticket_created, ticket_updated, ticket_assigned, message_created,
                   delivery_updated)
}

escalation_raised = _signals.signal("escalation.raised")
"""A ticket was escalated (a warning, a breach level, by hand or for risk).

kwargs: ticket_id, team_id, escalation_id, level, kind, clock, reason, notify_id
(the person who must act, or None for every supervisor).
"""

escalation_acknowledged = _signals.signal("escalation.acknowledged")
"""A supervisor acknowledged a ticket's escalations or lowered its level.

kwargs: ticket_id, team_id, level (the ticket's level now).
"""

alert_raised = _signals.signal("alert.raised")
"""Early warning: negative messages spike on a channel or topic. Sent to supervisors only.

kwargs: alert_id, channel_id, topic, count, baseline_mean.
"""

ALL["escalation.raised"] = escalation_raised
ALL["escalation.acknowledged"] = escalation_acknowledged

"""All models, importable from one place; one module per aggregate."""

from desk.models.assignment import AgentState, AssignmentRule, AssignMode, ResponseAction
from desk.models.attachments import Attachment
from desk.models.audit import AuditEvent
from desk.models.base import Base, inline, utcnow
from desk.models.canned import (
    CannedLanguage,
    CannedReply,
    CannedReplyTag,
    CannedReplyUse,
    CannedReplyVariant,
    CannedScope,
)
from desk.models.channels import Channel, ChannelKind
from desk.models.contacts import Contact
from desk.models.drafts import Draft
from desk.models.faq import (
    CandidateSource,
    CandidateStatus,
    EntryStatus,
    FaqCandidate,
    FaqEntry,
    FaqEntryVersion,
    FaqLanguage,
    FaqLinkUse,
    FaqSource,
    FaqVote,
)
from desk.models.intake import IntakeEvent, IntakeStatus
from desk.models.jobs import JobFailure
from desk.models.links import TicketLink
from desk.models.outbox import OutboxItem, OutboxState
from desk.models.people import (
    ApiToken,
    Person,
    PersonRole,
    Presence,
    Role,
    Team,
    hash_token,
    team_members,
)
from desk.models.reports import (
    CsatResponse,
    ReportDaily,
    ReportDigest,
    ReportState,
    ReportTicketFact,
)
from desk.models.sla import (
    Alert,
    Clock,
    ClockOutcome,
    Escalation,
    EscalationKind,
    MessageScore,
    SlaPolicy,
    TicketSla,
)
from desk.models.tags import Tag, TicketTag
from desk.models.tickets import (
    OPEN_STATUSES,
    Delivery,
    Message,
    MessageKind,
    Priority,
    Status,
    Ticket,
)

__all__ = [
    "AgentState",
    "Alert",
    "ApiToken",
    "AssignMode",
    "AssignmentRule",
    "Attachment",
    "AuditEvent",
    "Base",
    "CandidateSource",
    "CandidateStatus",
    "CannedLanguage",
    "CannedReply",
    "CannedReplyTag",
    "CannedReplyUse",
    "CannedReplyVariant",
    "CannedScope",
    "Channel",
    "ChannelKind",
    "Clock",
    "ClockOutcome",
    "Contact",
    "CsatResponse",
    "Delivery",
    "Draft",
    "EntryStatus",
    "Escalation",
    "EscalationKind",
    "FaqCandidate",
    "FaqEntry",
    "FaqEntryVersion",
    "FaqLanguage",
    "FaqLinkUse",
    "FaqSource",
    "FaqVote",
    "IntakeEvent",
    "IntakeStatus",
    "JobFailure",
    "Message",
    "MessageKind",
    "MessageScore",
    "OPEN_STATUSES",
    "OutboxItem",
    "OutboxState",
    "Person",
    "PersonRole",
    "Presence",
    "Priority",
    "ReportDaily",
    "ReportDigest",
    "ReportState",
    "ReportTicketFact",
    "ResponseAction",
    "Role",
    "SlaPolicy",
    "Status",
    "Tag",
    "Team",
    "Ticket",
    "TicketLink",
    "TicketSla",
    "TicketTag",
    "hash_token",
    "inline",
    "team_members",
    "utcnow",
]

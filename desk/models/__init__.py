"""All models, importable from one place; one module per aggregate."""

from desk.models.audit import AuditEvent
from desk.models.base import Base, utcnow
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
    "OPEN_STATUSES",
    "ApiToken",
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
    "Contact",
    "CsatResponse",
    "Delivery",
    "EntryStatus",
    "FaqCandidate",
    "FaqEntry",
    "FaqEntryVersion",
    "FaqLanguage",
    "FaqLinkUse",
    "FaqSource",
    "FaqVote",
    "Draft",
    "IntakeEvent",
    "IntakeStatus",
    "JobFailure",
    "Message",
    "MessageKind",
    "Person",
    "PersonRole",
    "Presence",
    "Priority",
    "ReportDaily",
    "ReportDigest",
    "ReportState",
    "ReportTicketFact",
    "Role",
    "Status",
    "Team",
    "Ticket",
    "hash_token",
    "team_members",
    "utcnow",
]

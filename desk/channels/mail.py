"""E-mail as intake payloads, with the standard library only.

`read_mail()` turns raw RFC 5322 bytes into the documented intake payload:
multipart bodies (text/plain preferred, else text/html), any charset (unknown
ones read as UTF-8 with replacement), RFC 2047 encoded words in headers,
attachments listed by name, type and size (not stored), threading by
Message-ID / In-Reply-To / References. Auto-replies and bounces are recognised
(RFC 3834 `Auto-Submitted`, `Precedence`, `X-Autoreply`, delivery reports, the
mailer daemon), so an out-of-office never opens a ticket and never gets an answer.

`outgoing_mail()` builds the reply with our own Message-ID and threading
headers; a header value with CR, LF or NUL is refused (header injection).
"""

import email
import email.policy
import re
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parsedate_to_datetime
from typing import Any

from desk.errors import Invalid

MAX_HEADER = 8 * 1024  # characters kept of any one header
MAX_BODY = 100_000
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
DAEMONS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|bounces?)([+@-]|$)", re.I)
_POLICY = email.policy.default.clone(max_line_length=998, raise_on_defect=False)


class Unparseable(ValueError):
    """No usable sender or body could be read; the raw mail is kept and quarantined."""


@dataclass
class Mail:
    payload: dict[str, Any]
    auto_reply: bool = False
    bounce: bool = False
    attachments: list[dict[str, Any]] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)

    @property
    def ignored(self) -> str | None:
        """Why this mail must not open a ticket or get an answer, if it must not."""
        if self.bounce:
            return "bounce"
        if self.auto_reply:
            return "auto-reply"
        return None


def read_mail(raw: bytes) -> Mail:
    """Parse one raw message; raises Unparseable when no sender or text can be found."""
    try:
        message = email.message_from_bytes(raw.replace(b"\0", b""), policy=_POLICY)
    except Exception as exc:  # the parser is lenient; anything else is a broken mail
        raise Unparseable(f"the mail cannot be parsed: {exc!r}") from exc
    defects = [type(d).__name__ for part in message.walk() for d in part.defects][:20]
    sender = _address(_header(message, "From"))
    if not sender:
        raise Unparseable("the mail has no readable From address")
    attachments = []
    text = _body(message, attachments)
    subject = _header(message, "Subject")
    if not text.strip() and not subject.strip():
        raise Unparseable("the mail has neither text nor subject")
    message_id = _msgid(_header(message, "Message-ID")) or f"<no-id-{uuid.uuid4()}@desk>"
    references = _msgids(_header(message, "References"))
    in_reply_to = (_msgids(_header(message, "In-Reply-To")) or references[-1:] or [None])[0]
    payload: dict[str, Any] = {
        "external_id": message_id[:200],
        "subject": " ".join(subject.split())[:200] or None,
        "text": (text or subject)[:MAX_BODY],
        "author": {"handle": sender[0].lower()[:200], "name": sender[1][:200] or None},
    }
    if in_reply_to:
        payload["in_reply_to"] = in_reply_to[:200]
    if references:
        payload["thread_id"] = references[0][:200]  # the first message of the thread
    created = _date(_header(message, "Date"))
    if created:
        payload["created_at"] = created
    if attachments:
        listed = ", ".join(f"{a['filename']} ({a['type']}, {a['size']} bytes)"
                           for a in attachments)
        payload["text"] += f"\n\n[attachments: {listed}]"
    payload = {key: value for key, value in payload.items() if value is not None}
    return Mail(payload, auto_reply=_is_auto_reply(message, sender[0]),
                bounce=_is_bounce(message, sender[0]), attachments=attachments,
                defects=defects)


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header so broken that it cannot be decoded at all
        value = message.get_all(name, failobj=[""])[0] if hasattr(message, "get_all") else ""
    return str(value or "")[:MAX_HEADER]


def _address(value: str) -> tuple[str, str] | None:
    for name, address in getaddresses([value]):
        if "@" in address:
            return address.strip(), name.strip()
    return None


def _msgid(value: str) -> str | None:
    found = re.search(r"<[^<>\s]+>", value)
    return found.group(0) if found else (value.strip() or None)


def _msgids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)


def _date(value: str) -> str | None:
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.isoformat() if when and when.tzinfo else None


def _body(message: EmailMessage, attachments: list[dict[str, Any]]) -> str:
    plain: list[str] = []
    html: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        filename = part.get_filename()
        if disposition == "attachment" or filename or not kind.startswith("text/"):
            if kind.startswith("multipart/") or kind == "message/delivery-status":
                continue
            data = part.get_payload(decode=True) or b""
            attachments.append({"filename": (filename or "unnamed")[:200], "type": kind,
                                "size": len(data)})
            continue
        text = _decoded(part)
        (plain if kind == "text/plain" else html if kind == "text/html" else plain).append(text)
    if plain:
        return "\n\n".join(plain).strip()
    if html:
        from desk.sanitize import clean_html, html_to_text

        return html_to_text(clean_html("\n".join(html))).strip()
    return ""


def _decoded(part: EmailMessage) -> str:
    data = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return data.decode("utf-8", errors="replace")


def _is_auto_reply(message: EmailMessage, sender: str) -> bool:
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return True
    if _header(message, "Precedence").strip().lower() in AUTO_PRECEDENCE:
        return True
    if any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond")):
        return True
    return bool(DAEMONS.match(sender.split("@")[0] + "@"))


def _is_bounce(message: EmailMessage, sender: str) -> bool:
    kind = message.get_content_type()
    report = (message.get_param("report-type") or "")
    if kind == "multipart/report" and str(report).lower() == "delivery-status":
        return True
    return sender.lower().startswith(("mailer-daemon@", "postmaster@"))


def refuse_line_breaks(**headers: str) -> None:
    """Header values we send must not carry CR, LF or NUL (header injection)."""
    for name, value in headers.items():
        if value is not None and any(ch in value for ch in "\r\n\0"):
            raise Invalid(f"the {name} header contains a line break",
                          {name: ["line breaks are not allowed"]})


def outgoing_mail(*, sender: str, to: str, subject: str, text: str, in_reply_to: str | None,
                  references: list[str], domain: str) -> EmailMessage:
    """A reply with our own Message-ID and the thread's In-Reply-To and References."""
    refuse_line_breaks(From=sender, To=to, Subject=subject, In_Reply_To=in_reply_to or "",
                       References=" ".join(references))
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Date"] = format_datetime(_now())
    # Asks Exchange-style out-of-office responders not to answer our reply (no ping-pong);
    # a person wrote it, so it is not marked Auto-Submitted.
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = " ".join([*references, in_reply_to][-20:])
    message.set_content(text)
    return message


def _now():  # noqa: ANN202
    from desk.models import utcnow

    return utcnow()


MAX_ATTACHMENT = 5 * 1024 * 1024


def attachment_parts(raw: bytes) -> list[tuple[str, str, bytes]]:
    """(filename, declared type, bytes) of each attachment up to 5 MiB; others skipped."""
    try:
        message = email.message_from_bytes(raw.replace(b"\0", b""), policy=_POLICY)
    except Exception:  # noqa: BLE001 - read_mail() accepted it; be as lenient here
        return []
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        disposition = (part.get_content_disposition() or "").lower()
        kind = part.get_content_type()
        if not (filename or disposition == "attachment") and kind.startswith("text/"):
            continue
        if kind.startswith(("multipart/", "message/delivery-status")):
            continue
        content = part.get_payload(decode=True) or b""
        if len(content) <= MAX_ATTACHMENT:
            parts.append(((filename or "unnamed")[:200], kind[:100], content))
    return parts

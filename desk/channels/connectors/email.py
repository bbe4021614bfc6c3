"""E-mail: a mailbox polled over IMAP, replies sent over SMTP.

Poll: log in, select the mailbox, read UIDVALIDITY; fetch (without setting
\\Seen) every UID above the cursor; each mail becomes an intake payload that
also carries the raw bytes (base64), stored before anything else. Only after
the commit are the mails flagged \\Seen (`after_stored`); nothing is ever
expunged. When UIDVALIDITY changes the cursor starts over; Message-IDs are the
external ids, so mails seen before add nothing. Auto-replies and bounces are
flagged seen and skipped; a mail that cannot be parsed is stored quarantined.

Send: SMTP to the configured server, our own Message-ID, In-Reply-To and
References of the thread; the Message-ID is the remote id, so the customer's
answer to it joins the ticket.
"""

import base64
import imaplib
import json
import smtplib
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

from desk import outbound
from desk.channels.connectors import (
    Batch,
    Description,
    OutboundReply,
    SendFailed,
    SendRefused,
    credentials,
)
from desk.channels.mail import Unparseable, outgoing_mail, read_mail
from desk.errors import Invalid
from desk.models import Channel

MAX_PER_POLL = 200
MAX_MAIL_BYTES = 10 * 1024 * 1024
TIMEOUT = 30


def describe() -> Description:
    return Description(kind="email", title="E-mail (IMAP and SMTP)", intake="poll",
                       replies=True, settings=("imap", "smtp", "address"),
                       credentials=("imap_url", "smtp_url"))


def _parts(url: str, schemes: tuple[str, ...]) -> Any:
    parts = urlsplit(url.strip())
    if parts.scheme not in schemes or not parts.hostname:
        raise Invalid(f"expected {' or '.join(s + '://' for s in schemes)}USER:PASS@HOST:PORT",
                      {"url": ["not a mailbox URL"]})
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise Invalid(f"bad port: {exc}", {"url": ["bad port"]}) from exc
    return parts


def _shown(parts: Any) -> str:
    user = f"{unquote(parts.username)}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname}{port}{parts.path}"


def configure(settings: dict[str, Any], secrets: dict[str, str],
              allow_private: bool) -> tuple[dict[str, Any], dict[str, str]]:
    imap_url = secrets.get("imap_url") or ""
    if not imap_url:
        raise Invalid("missing: imap_url (--imap-url imap://USER:PASS@HOST:PORT/INBOX)",
                      {"imap_url": ["required"]})
    imap = _parts(imap_url, ("imap", "imaps"))
    if not imap.username or imap.password is None:
        raise Invalid("the IMAP URL needs USER:PASS@", {"imap_url": ["no credentials"]})
    _check_host(imap.hostname, allow_private, at_save=True)
    kept = {"imap_url": imap_url.strip()}
    shown: dict[str, Any] = {"imap": _shown(imap)}
    smtp_url = settings.get("smtp_url") or secrets.get("smtp_url") or ""
    if smtp_url:
        smtp = _parts(smtp_url, ("smtp", "smtps"))
        _check_host(smtp.hostname, allow_private, at_save=True)
        kept["smtp_url"] = smtp_url.strip()
        shown["smtp"] = _shown(smtp)
    user = unquote(imap.username)
    shown["address"] = settings.get("address") or (user if "@" in user
                                                   else f"{user}@{imap.hostname}")
    return shown, kept


def _check_host(host: str, allow_private: bool, at_save: bool = False) -> str:
    """The checked address to connect to (the SSRF guard of desk.outbound, for mail)."""
    try:
        return str(outbound.check_url(f"http://{host}/", allow_private)[0]) if ":" not in host \
            else str(outbound.check_url(f"http://[{host}]/", allow_private)[0])
    except outbound.OutboundError:
        if at_save:
            return host
        raise


def can_send(channel: Channel) -> bool:
    return bool(credentials(channel).get("smtp_url"))


def _imap(channel: Channel) -> tuple[imaplib.IMAP4, str]:
    parts = _parts(credentials(channel).get("imap_url") or "", ("imap", "imaps"))
    address = _check_host(parts.hostname, channel.allow_private)
    port = parts.port or (993 if parts.scheme == "imaps" else 143)
    try:
        if parts.scheme == "imaps":
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                address, port, ssl_context=_ssl_for(parts.hostname), timeout=TIMEOUT)
        else:
            connection = imaplib.IMAP4(address, port, timeout=TIMEOUT)
        connection.login(unquote(parts.username or ""), unquote(parts.password or ""))
    except (OSError, imaplib.IMAP4.error) as exc:
        raise outbound.OutboundError(f"IMAP login to {parts.hostname} failed: {exc}") from exc
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return connection, mailbox


def _ssl_for(hostname: str) -> Any:
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = True
    # We connect to the checked IP; the certificate must still name the host.
    original = context.wrap_socket

    def wrap(sock: socket.socket, *args: Any, **kwargs: Any) -> Any:
        kwargs["server_hostname"] = hostname
        return original(sock, *args, **kwargs)

    context.wrap_socket = wrap  # type: ignore[method-assign]
    return context


def poll(channel: Channel) -> Batch:
    connection, mailbox = _imap(channel)
    try:
        status, _ = connection.select(_quoted(mailbox))
        if status != "OK":
            raise outbound.OutboundError(f"mailbox {mailbox} cannot be selected")
        validity = _uidvalidity(connection)
        cursor = dict(channel.cursor or {})
        if cursor.get("uidvalidity") != validity:
            cursor = {"uidvalidity": validity, "uid": 0}  # a new mailbox: start over
        status, data = connection.uid("SEARCH", None, f"UID {cursor['uid'] + 1}:*")
        uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > cursor["uid"])
        batch = Batch(cursor=cursor)
        batch.cursor["to_mark_seen"] = []
        for uid in uids[:MAX_PER_POLL]:
            raw = _fetch(connection, uid)
            batch.cursor["uid"] = uid
            batch.cursor["to_mark_seen"].append(uid)
            _take(raw, batch)
        return batch
    except (OSError, imaplib.IMAP4.error) as exc:
        raise outbound.OutboundError(f"IMAP failed: {exc}") from exc
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(connection: imaplib.IMAP4) -> int:
    response = connection.response("UIDVALIDITY")[1]
    value = response[0] if response and response[0] else b"0"
    return int(value)


def _fetch(connection: imaplib.IMAP4, uid: int) -> bytes:
    status, data = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2:
            return item[1][:MAX_MAIL_BYTES]
    return b""


def _take(raw: bytes, batch: Batch) -> None:
    raw_b64 = base64.b64encode(raw).decode()
    try:
        mail = read_mail(raw)
    except Unparseable as exc:
        # The bytes stay exact (base64) for a retry; the preview is for the admin reading it.
        kept = json.dumps({"raw_mime_b64": raw_b64,
                           "preview": raw[:4000].decode("utf-8", "replace")})
        batch.quarantined.append((kept, str(exc)))
        return
    if mail.ignored:
        batch.skipped += 1  # auto-replies and bounces never open tickets or get answers
        return
    batch.payloads.append({**mail.payload, "raw_mime_b64": raw_b64})


def after_stored(channel: Channel, cursor: dict[str, Any]) -> None:
    """Flag the mails of a committed poll \\Seen; never delete or expunge anything."""
    uids = cursor.pop("to_mark_seen", [])
    if not uids:
        return
    connection, mailbox = _imap(channel)
    try:
        connection.select(_quoted(mailbox))
        connection.uid("STORE", ",".join(str(uid) for uid in uids), "+FLAGS", "(\\Seen)")
    except (OSError, imaplib.IMAP4.error) as exc:
        raise outbound.OutboundError(f"IMAP failed flagging mails seen: {exc}") from exc
    finally:
        try:
            connection.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def send(channel: Channel, reply: OutboundReply) -> str:
    parts = _parts(credentials(channel).get("smtp_url") or "", ("smtp", "smtps"))
    address = _check_host(parts.hostname, channel.allow_private)
    references = [reply.thread_key] if reply.thread_key.startswith("<") else []
    message = outgoing_mail(
        sender=channel.settings.get("address") or "desk@localhost", to=reply.contact_handle,
        subject=reply.subject or "", text=reply.text, in_reply_to=reply.in_reply_to,
        references=[r for r in references if r != reply.in_reply_to],
        domain=(channel.settings.get("address") or "desk@localhost").split("@")[-1])
    port = parts.port or (465 if parts.scheme == "smtps" else 25)
    try:
        smtp_class = smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP
        with smtp_class(address, port, timeout=TIMEOUT) as smtp:
            if parts.username:
                smtp.login(unquote(parts.username), unquote(parts.password or ""))
            try:
                smtp.send_message(message)
            except (TimeoutError, smtplib.SMTPServerDisconnected) as exc:
                raise outbound.OutboundError(f"no answer after sending: {exc}",
                                             sent=True) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendRefused(f"the mail server refused the recipient: {exc}") from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise SendFailed(f"the mail server answered {exc.smtp_code}") from exc
        raise SendRefused(f"the mail server refused the mail ({exc.smtp_code})") from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise SendFailed(f"cannot reach the mail server: {exc}") from exc
    return message["Message-ID"]

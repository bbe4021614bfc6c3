"""E-mail channels: IMAP polling with a UIDVALIDITY+UID cursor, MIME, threading, SMTP replies.

The mailbox is Debian's dovecot started by the test (tests/mailservers.py); the
outgoing server is a local SMTP sink. Mails are built as RFC 5322/2045-2049 and
RFC 2047 describe them.
"""

import email
import email.policy
from email.message import EmailMessage

import sqlalchemy as sa

from desk.channels.mail import Unparseable, read_mail
from desk.channels.polling import poll_channel
from desk.channels.service import create_channel
from desk.errors import Invalid
from desk.extensions import db
from desk.models import (
    ChannelKind,
    IntakeEvent,
    IntakeStatus,
    Message,
    OutboxItem,
    OutboxState,
    Role,
    Ticket,
)
from desk.replies.service import add_reply


def mail(mid: str, text: str = "Meine Rechnung ist falsch.", subject: str = "Rechnung",
         sender: str = "Erika Muster <erika@example.org>", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "care@example.com"
    message["Subject"] = subject
    message["Message-ID"] = mid
    message["Date"] = "Mon, 23 Nov 2026 08:00:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


def mail_channel(imap_server, smtp_sink=None):
    return create_channel("mail", ChannelKind.EMAIL, allow_private=True,
                          settings={"smtp_url": smtp_sink.url} if smtp_sink else {},
                          secrets_given={"imap_url": imap_server.url})


# -- MIME, without servers --------------------------------------------------------------

def test_multipart_charsets_encoded_words_and_attachments():
    raw = (b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <jm@example.org>\r\n"
           b"Subject: =?utf-8?b?w4RyZ2VyIG1pdCBkZXIgTGllZmVydW5nIPCfmKA=?=\r\n"
           b"Message-ID: <a1@example.org>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n"
           b"--XX\r\nContent-Type: multipart/alternative; boundary=YY\r\n\r\n"
           b"--YY\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe, das Paket fehlt.\r\n"
           b"--YY\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--YY--\r\n"
           b"--XX\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
           b"filename=\"foto.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
           b"--XX--\r\n")
    parsed = read_mail(raw)
    assert parsed.payload["author"] == {"handle": "jm@example.org", "name": "Jürgen Müller"}
    assert parsed.payload["subject"] == "Ärger mit der Lieferung 😠"
    assert parsed.payload["text"].startswith("Grüße, das Paket fehlt.")
    assert parsed.attachments == [{"filename": "foto.png", "type": "image/png", "size": 8}]
    assert "foto.png" in parsed.payload["text"]


def test_threading_headers():
    parsed = read_mail(mail("<c@x>", In_Reply_To="<b@x>", References="<a@x> <b@x>"))
    assert parsed.payload["in_reply_to"] == "<b@x>"
    assert parsed.payload["thread_id"] == "<a@x>"


def test_auto_replies_and_bounces_are_recognised():
    assert read_mail(mail("<1@x>", Auto_Submitted="auto-replied")).ignored == "auto-reply"
    assert read_mail(mail("<2@x>", Precedence="bulk")).ignored == "auto-reply"
    assert read_mail(mail("<3@x>", X_Autoreply="yes")).ignored == "auto-reply"
    assert read_mail(mail("<4@x>", sender="MAILER-DAEMON@example.org")).ignored == "bounce"
    report = (b"From: postmaster@example.org\r\nSubject: Undelivered\r\nMessage-ID: <5@x>\r\n"
              b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
              b"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--B--\r\n")
    assert read_mail(report).bounce
    assert read_mail(mail("<6@x>", Auto_Submitted="no")).ignored is None


def test_malformed_mail_does_not_crash():
    # Missing boundary, NULs, 8-bit headers, a huge header: parsed as far as possible.
    broken = (b"From: Kund\xe9 <k@example.org>\r\nSubject: \xff\xfe kaputt\r\n"
              b"X-Huge: " + b"a" * 200_000 + b"\r\n"
              b"Content-Type: multipart/mixed\r\n\r\nText\0 ohne Grenze\r\n")
    parsed = read_mail(broken)
    assert parsed.payload["author"]["handle"] == "k@example.org"
    assert "\0" not in parsed.payload["text"]
    for garbage in (b"", b"\0\0\0", b"no headers at all", b"From: nobody\r\n\r\n"):
        try:
            read_mail(garbage)
        except Unparseable:
            continue
        raise AssertionError(f"{garbage!r} was accepted")


def test_crlf_in_a_header_we_send_is_refused():
    from desk.channels.mail import outgoing_mail

    try:
        outgoing_mail(sender="care@example.com", to="a@b.de\r\nBcc: all@x", subject="s",
                      text="t", in_reply_to=None, references=[], domain="example.com")
    except Invalid as exc:
        assert "line break" in exc.detail
    else:
        raise AssertionError("CRLF accepted")


# -- IMAP and SMTP -----------------------------------------------------------------------

def test_mails_are_polled_stored_and_only_then_flagged_seen(app, ctx, imap_server):
    imap_server.deliver(mail("<m1@example.org>"))
    imap_server.deliver(mail("<m2@example.org>", "Und noch etwas", "Re: Rechnung",
                             In_Reply_To="<m1@example.org>"))
    imap_server.deliver(mail("<ooo@example.org>", "Bin im Urlaub", "Abwesend",
                             Auto_Submitted="auto-replied"))
    channel = mail_channel(imap_server)
    report = poll_channel(channel.id)
    assert report.error is None, report.error
    assert report.taken == ["<m1@example.org>", "<m2@example.org>"] and report.skipped == 1
    assert all("\\Seen" in flags for flags in imap_server.flags())
    ticket = db.session.scalar(sa.select(Ticket))
    assert ticket.message_count == 2 and ticket.subject == "Rechnung"
    event = db.session.scalar(sa.select(IntakeEvent).order_by(IntakeEvent.id))
    assert "raw_mime_b64" in event.payload  # the raw bytes are kept
    # The cursor moved on: nothing is read twice; a new mail is.
    assert poll_channel(channel.id).taken == []
    imap_server.deliver(mail("<m3@example.org>", "Hallo?", "Rechnung"))
    assert poll_channel(channel.id).taken == ["<m3@example.org>"]
    assert len(imap_server.flags()) == 4  # nothing was expunged


def test_an_unparseable_mail_is_quarantined(app, ctx, imap_server):
    imap_server.deliver(b"Subject: no sender\r\n\r\nwho am I\r\n")
    channel = mail_channel(imap_server)
    report = poll_channel(channel.id)
    assert report.quarantined == 1
    event = db.session.scalar(sa.select(IntakeEvent))
    assert event.status == IntakeStatus.FAILED and "From" in event.error
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0


def test_a_changed_uidvalidity_starts_over_without_doubles(app, ctx, imap_server):
    imap_server.deliver(mail("<m1@example.org>"))
    channel = mail_channel(imap_server)
    poll_channel(channel.id)
    channel = db.session.get(type(channel), channel.id)
    channel.cursor = {"uidvalidity": 1, "uid": 99}  # as if the mailbox was recreated
    db.session.commit()
    report = poll_channel(channel.id)
    assert report.error is None and report.taken == []
    assert db.session.get(type(channel), channel.id).cursor["uid"] == 1


def test_a_wrong_password_shows_on_the_channel_but_never_the_password(app, ctx, imap_server,
                                                                     caplog):
    channel = create_channel("mail", ChannelKind.EMAIL, allow_private=True, secrets_given={
        "imap_url": imap_server.url.replace("imap-pass", "Wr0ngSecret")})
    report = poll_channel(channel.id)
    assert "login" in report.error
    assert "Wr0ngSecret" not in report.error and "Wr0ngSecret" not in caplog.text
    assert channel.settings["imap"].startswith("imap://care@example.com@127.0.0.1")


def test_replies_go_out_over_smtp_with_threading_headers(app, ctx, imap_server, smtp_sink,
                                                         make_person):
    imap_server.deliver(mail("<m1@example.org>", References="<root@example.org>"))
    channel = mail_channel(imap_server, smtp_sink)
    poll_channel(channel.id)
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Wir korrigieren die Rechnung.")
    assert len(smtp_sink.received) == 1
    sender, recipients, data = smtp_sink.received[0]
    sent = email.message_from_bytes(data, policy=email.policy.default)
    assert recipients == ["erika@example.org"]
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert sent["References"] == "<root@example.org> <m1@example.org>"
    assert sent["Subject"] == "Re: Rechnung"
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.SENT and item.remote_id == sent["Message-ID"]
    # The customer answers our mail: it joins the ticket.
    imap_server.deliver(mail("<m2@example.org>", "Danke!", "Re: Rechnung",
                             In_Reply_To=sent["Message-ID"]))
    poll_channel(channel.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 1


def test_a_refused_recipient_fails_the_reply(app, ctx, imap_server, smtp_sink, make_person):
    smtp_sink.refuse.add("erika@example.org")
    imap_server.deliver(mail("<m1@example.org>"))
    poll_channel(mail_channel(imap_server, smtp_sink).id)
    ticket = db.session.scalar(sa.select(Ticket))
    add_reply(make_person(roles=(Role.AGENT,)), ticket.id, "Antwort")
    item = db.session.scalar(sa.select(OutboxItem))
    assert item.state == OutboxState.FAILED and "refused the recipient" in item.error


def test_mailbox_urls_are_checked_when_saved(app, ctx):
    for url in ("imap://u:p@10.0.0.1/INBOX", "http://u:p@example.org/", "imap://example.org/"):
        try:
            create_channel("mail", ChannelKind.EMAIL, secrets_given={"imap_url": url})
        except Invalid:
            continue
        raise AssertionError(f"{url} accepted")


def test_a_quarantined_mail_keeps_its_exact_bytes(app, ctx, imap_server):
    import base64
    import json

    raw = b"Subject: =?utf-8?q?kein_Absender?=\r\n\r\n\xe4\xf6\xfc\r\n"
    imap_server.deliver(raw)
    poll_channel(mail_channel(imap_server).id)
    event = db.session.scalar(sa.select(IntakeEvent))
    kept = json.loads(event.payload)
    assert base64.b64decode(kept["raw_mime_b64"]).replace(b"\r\n", b"\n") \
        == raw.replace(b"\r\n", b"\n")
    from desk.intake.service import retry_event

    retry_event(event.id)  # still no sender: back among the problems, not a crash
    db.session.expire_all()
    event = db.session.get(IntakeEvent, event.id)
    assert event.status == IntakeStatus.FAILED and "From" in event.error

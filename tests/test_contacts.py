"""One person across channels, cross-posts as related tickets, safe attachments, emoji."""

import base64
from email.message import EmailMessage

import sqlalchemy as sa

from desk.channels.mail import read_mail
from desk.channels.polling import store_batch
from desk.channels.service import create_channel
from desk.extensions import db
from desk.intake.service import submit_contact_form
from desk.models import Attachment, ChannelKind, Contact, Role, Ticket, TicketLink
from tests.conftest import login

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9Q"
                       "DwADhgGAWjR9awAAAABJRU5ErkJggg==")
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def mail_channel():
    return create_channel("mail", ChannelKind.EMAIL, allow_private=True,
                          secrets_given={"imap_url": "imap://u:p@127.0.0.1:1/INBOX"})


def take_mail(channel, mid, text, attachments=()):
    message = EmailMessage()
    message["From"] = "Erika Muster <erika@example.org>"
    message["Subject"] = "Erstattung"
    message["Message-ID"] = mid
    message.set_content(text)
    for name, data, kind in attachments:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    raw = message.as_bytes()
    payload = {**read_mail(raw).payload, "raw_mime_b64": base64.b64encode(raw).decode()}
    return store_batch(channel, [payload])


def test_the_same_address_is_one_person_and_a_cross_post_is_related(app, ctx, make_channel):
    from desk.models import ChannelKind as Kind

    make_channel(slug="contact-form", kind=Kind.FORM, secret=None)
    channel = mail_channel()
    text = "Seit drei Wochen warte ich auf die Erstattung meiner stornierten Fahrkarte"
    submit_contact_form("Erika", "Erika@Example.org", "Erstattung", text)
    take_mail(channel, "<m1@example.org>", text + " – bitte melden Sie sich!")
    contacts = db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()
    assert [c.email for c in contacts] == ["erika@example.org"] * 2
    assert contacts[1].unified_id == contacts[0].id
    tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
    link = db.session.scalar(sa.select(TicketLink))
    assert (link.ticket_id, link.related_id, link.reason) == (tickets[0].id, tickets[1].id,
                                                              "cross-post")
    # Another complaint of the same person is not a cross-post.
    take_mail(channel, "<m2@example.org>", "Und das WLAN im Zug ging auch nicht.")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TicketLink)) == 1


def test_related_tickets_and_the_persons_other_tickets_show(app, client, make_person,
                                                           make_channel):
    from desk.models import ChannelKind as Kind

    make_channel(slug="contact-form", kind=Kind.FORM, secret=None)
    with app.app_context():
        channel = mail_channel()
        text = "Mein Paket ist beschädigt angekommen 📦😡, ich will mein Geld zurück"
        submit_contact_form("Erika", "erika@example.org", "Paket", text)
        take_mail(channel, "<m1@example.org>", text)
        first, second = db.session.scalars(sa.select(Ticket.id).order_by(Ticket.id)).all()
    make_person(roles=(Role.SUPERVISOR,))
    login(client, "agent@example.com")
    page = client.get(f"/tickets/{second}").get_data(as_text=True)
    assert "Related (same complaint elsewhere)" in page and f"/tickets/{first}" in page
    assert "📦😡" in page  # emoji arrive and render as they were written


def test_supervisors_merge_and_split_agents_may_not(app, client, make_person, make_ticket):
    one = make_ticket(channel="x", handle="@erika")
    two = make_ticket(channel="mastodon", handle="@erika@social.example")
    make_person("agent@example.com", roles=(Role.AGENT,))
    make_person("sup@example.com", "Sam Super", roles=(Role.SUPERVISOR,))
    login(client, "agent@example.com")
    refused = client.post(f"/contacts/{two.contact_id}/merge", data={"ticket": one.id})
    assert refused.status_code == 403
    client.post("/logout")
    login(client, "sup@example.com")
    client.post(f"/contacts/{two.contact_id}/merge",
                data={"ticket": one.id, "back_ticket": two.id})
    with app.app_context():
        assert db.session.get(Contact, two.contact_id).unified_id == one.contact_id
    page = client.get(f"/tickets/{two.id}").get_data(as_text=True)
    assert f"/tickets/{one.id}" in page  # the person's ticket on the other channel
    client.post(f"/contacts/{two.contact_id}/split", data={"back_ticket": two.id})
    with app.app_context():
        assert db.session.get(Contact, two.contact_id).unified_id is None
        from desk.models import AuditEvent

        kinds = set(db.session.scalars(sa.select(AuditEvent.action)))
        assert {"contact.merged", "contact.split"} <= kinds


def test_attachments_are_served_safely(app, client, make_person):
    with app.app_context():
        channel = mail_channel()
        take_mail(channel, "<m1@example.org>", "Foto anbei", attachments=[
            ("schaden.png", PNG, "image/png"), ("logo.svg", SVG, "image/svg+xml"),
            ("fake.png", b"<html><script>x</script>", "image/png")])
        files = {a.filename: a.id for a in db.session.scalars(sa.select(Attachment))}
        ticket_id = db.session.scalar(sa.select(Ticket.id))
    make_person(roles=(Role.AGENT,))
    login(client, "agent@example.com")
    page = client.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert f'src="/attachments/{files["schaden.png"]}"' in page
    assert f'src="/attachments/{files["logo.svg"]}"' not in page
    image = client.get(f"/attachments/{files['schaden.png']}")
    assert image.mimetype == "image/png" and image.data == PNG
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.headers["Content-Disposition"].startswith("inline;")
    for name in ("logo.svg", "fake.png"):
        served = client.get(f"/attachments/{files[name]}")
        assert served.mimetype == "application/octet-stream"
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert "sandbox" in served.headers["Content-Security-Policy"]


def test_attachments_need_a_person_who_may_see_the_ticket(app, client, make_person):
    with app.app_context():
        channel = create_channel("mail", ChannelKind.EMAIL, allow_private=True, team="Bahn",
                                 secrets_given={"imap_url": "imap://u:p@127.0.0.1:1/INBOX"})
        take_mail(channel, "<m1@example.org>", "Foto", attachments=[
            ("a.png", PNG, "image/png")])
        attachment_id = db.session.scalar(sa.select(Attachment.id))
    assert client.get(f"/attachments/{attachment_id}").status_code == 302  # to sign-in
    make_person(roles=(Role.AGENT,), teams=("Bus",))
    login(client, "agent@example.com")
    assert client.get(f"/attachments/{attachment_id}").status_code == 403


def test_platform_media_are_links_not_fetched(app, ctx, make_person):
    from desk.channels.connectors.mastodon import notification_payload

    payload = notification_payload({"id": "1", "type": "mention", "account": {"acct": "k"},
                                    "status": {"id": "5", "content": "<p>Schaden</p>",
                                               "media_attachments": [
                                                   {"url": "https://files.example/a.jpg"}]}})
    channel = create_channel("masto", ChannelKind.MASTODON,
                             settings={"url": "https://social.example"})
    store_batch(channel, [payload])
    attachment = db.session.scalar(sa.select(Attachment))
    assert attachment.url == "https://files.example/a.jpg" and attachment.data is None


def test_a_handle_its_platform_keeps_unique_is_one_person_across_its_channels(app, ctx,
                                                                               make_channel):
    """X and Mastodon (with the server) vouch for a handle; a feed's author name and a
    Mastodon handle without its server do not. Contacts made in one batch join the
    first, never each other."""
    import json

    from desk.intake.service import process_pending
    from desk.models import IntakeEvent

    kinds = {"masto-a": ChannelKind.MASTODON, "masto-b": ChannelKind.MASTODON,
             "x-a": ChannelKind.X, "x-b": ChannelKind.X, "forum": ChannelKind.FEED}
    channels = {slug: make_channel(slug=slug, kind=kind).id for slug, kind in kinds.items()}
    posts = [("masto-a", "@anna@social.example"), ("masto-b", "@anna@social.example"),
             ("masto-a", "@bert"), ("masto-b", "@bert"),
             ("x-a", "@anna_x"), ("x-b", "@anna_x"), ("forum", "@anna_x")]
    for n, (slug, handle) in enumerate(posts):
        payload = {"external_id": f"p{n}", "text": f"Beschwerde {n}", "author": {"handle": handle}}
        db.session.add(IntakeEvent(channel_id=channels[slug], external_id=f"p{n}",
                                   payload=json.dumps(payload)))
    db.session.commit()
    assert process_pending(50) == len(posts)
    found = {(c.channel_id, c.handle): c for c in db.session.scalars(sa.select(Contact))}

    def contact(slug, handle):
        return found[(channels[slug], handle)]

    anna = contact("masto-a", "@anna@social.example")
    assert anna.unified_id is None
    assert contact("masto-b", "@anna@social.example").unified_id == anna.id
    assert contact("masto-b", "@bert").unified_id is None  # two servers' local accounts
    assert contact("x-b", "@anna_x").unified_id == contact("x-a", "@anna_x").id
    assert contact("forum", "@anna_x").unified_id is None
    assert all(c.unified_id != c.id for c in found.values())

"""Small builders shared by the FAQ tests: replies, candidates and entries through services."""

from datetime import datetime

from desk.extensions import db
from desk.models import FaqEntry, Person


def reply(app, person: Person, ticket_id: int, text: str) -> int:
    """Answer a ticket as `person` through the real service; returns the reply's id."""
    from desk.replies.service import add_reply

    with app.app_context():
        return add_reply(db.session.get(Person, person.id), ticket_id, text).id


def propose(app, person: Person, message_id: int, note: str = "") -> int:
    from desk.faq.service import propose as propose_message

    with app.app_context():
        return propose_message(db.session.get(Person, person.id), message_id, note).id


def publish(app, editor: Person, candidate_id: int, question: str, answer: str,
            category: str = "Travel", language: str = "en",
            publish_at: datetime | None = None, confirm: bool = False) -> FaqEntry:
    from desk.faq.service import publish as publish_candidate

    with app.app_context():
        entry_id = publish_candidate(db.session.get(Person, editor.id), candidate_id, question,
                                     answer, category, language, publish_at, confirm).id
    return entry_row(app, entry_id)


def entry_row(app, entry_id: int) -> FaqEntry:
    with app.app_context():
        entry = db.session.get(FaqEntry, entry_id)
        db.session.expunge(entry)
        return entry


def make_entry(app, agent, editor, make_ticket, question: str, answer: str,
               category: str = "Travel", language: str = "en", **kwargs) -> FaqEntry:
    """A published entry that came from a fresh ticket and reply."""
    ticket = make_ticket(subject=question, text=question)
    message_id = reply(app, agent, ticket.id, answer)
    candidate_id = propose(app, agent, message_id)
    return publish(app, editor, candidate_id, question, answer, category, language, **kwargs)

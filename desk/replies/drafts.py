"""Reply drafts on the server: saved while the person types, restored on every load.

A draft belongs to one person and one ticket. Sending the reply deletes it in
the reply's own transaction (desk.replies.service.add_reply), so a draft is
either still there or answered, never lost in between.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from desk.commits import commit, savepoint
from desk.errors import Invalid
from desk.extensions import db
from desk.inbox.service import get_ticket
from desk.models import Draft, Person, utcnow
from desk.replies.service import MAX_BODY


def draft_for(person: Person, ticket_id: int) -> str:
    """The person's draft reply on the ticket, or an empty string."""
    body = db.session.scalar(
        sa.select(Draft.body).where(Draft.person_id == person.id, Draft.ticket_id == ticket_id)
    )
    return body or ""


def save_draft(person: Person, ticket_id: int, body: str) -> None:
    """Keep what the person typed; an empty (or blank) body removes the draft."""
    get_ticket(person, ticket_id)  # same visibility as the ticket itself
    if len(body) > MAX_BODY:
        raise Invalid(f"the draft is longer than {MAX_BODY} characters",
                      {"body": [f"at most {MAX_BODY} characters"]})
    mine = (Draft.person_id == person.id, Draft.ticket_id == ticket_id)
    if not body.strip():
        db.session.execute(sa.delete(Draft).where(*mine))
        commit()
        return
    values = {"body": body, "updated_at": utcnow()}
    if db.session.execute(sa.update(Draft).where(*mine).values(**values)).rowcount == 0:
        try:
            with savepoint():
                db.session.add(Draft(person_id=person.id, ticket_id=ticket_id, **values))
                db.session.flush()
        except IntegrityError:
            # Another tab saved the first draft a moment ago: update that one.
            db.session.execute(sa.update(Draft).where(*mine).values(**values))
    commit()

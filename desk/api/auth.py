"""Bearer-token authentication for /api/v1."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from desk.auth.access import can_work_tickets
from desk.auth.service import person_for_token
from desk.errors import Forbidden, Unauthorized
from desk.models import Person

F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    """The caller must send `Authorization: Bearer <token>` of an active person."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send Authorization: Bearer <token> (see `flask desk create-token`)")
        person = person_for_token(token.strip())
        if person is None:
            raise Unauthorized("the token is unknown, revoked or its person deactivated")
        g.api_person = person
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def api_person() -> Person:
    return g.api_person


def desk_worker() -> Person:
    """The caller, who must work tickets (agent, supervisor or admin)."""
    person = api_person()
    if not can_work_tickets(person):
        raise Forbidden("your roles do not include working tickets")
    return person

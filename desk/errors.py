"""Domain errors raised by services; views turn them into messages and status codes."""

from typing import Any


class DeskError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Unauthorized(DeskError):
    status = 401
    title = "Unauthorized"


class Forbidden(DeskError):
    status = 403
    title = "Forbidden"


class NotFound(DeskError):
    status = 404
    title = "Not found"


class Conflict(DeskError):
    """Someone else changed or holds the thing meanwhile; nothing was written."""

    status = 409
    title = "Conflict"


class StaleThread(Conflict):
    """Messages arrived since the person loaded the ticket; they must see them first.

    `new_message_ids` names the messages they have not seen.
    """

    title = "New messages since you loaded the ticket"

    def __init__(self, detail: str, new_message_ids: list[int]) -> None:
        super().__init__(detail, new_message_ids=new_message_ids)
        self.new_message_ids = new_message_ids


class Invalid(DeskError):
    """Fields failed validation; `fields` maps each field to its messages."""

    status = 422
    title = "Invalid fields"

    def __init__(self, detail: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail, fields=fields or {})
        self.fields = fields or {}

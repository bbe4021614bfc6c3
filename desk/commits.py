"""Side effects that wait for the commit: signals, job enqueues, socket emits.

Services register callbacks with `after_commit()` during the unit of work and
end it with `commit()`. A rollback drops the callbacks, so nothing is announced
that did not happen. The callbacks run after the commit has returned, outside
the transaction, so they may use the session themselves.
"""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Any

from blinker import Signal
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from desk.extensions import db

_PENDING = "desk.pending"
_READY = "desk.ready"

# Wrapped around the callbacks of one commit, so their side effects go out together: an
# intake batch's commit announces hundreds of tickets (desk.live sends its Socket.IO
# publishes in one Redis pipeline; desk.jobs queues a repeated run once).
_AROUND_CALLBACKS: list[Callable[[], AbstractContextManager[Any]]] = []


def around_callbacks(wrapper: Callable[[], AbstractContextManager[Any]]) -> None:
    """Enter `wrapper()` around every commit's callbacks; idempotent."""
    if wrapper not in _AROUND_CALLBACKS:
        _AROUND_CALLBACKS.append(wrapper)


def after_commit(callback: Callable[[], Any]) -> None:
    """Run `callback` once the current transaction has committed."""
    session = db.session()
    if not session.in_transaction():
        # Tie the callback to a transaction, so a rollback before any SQL still drops it.
        session.begin()
    session.info.setdefault(_PENDING, []).append(callback)


def send_after_commit(signal: Signal, **facts: Any) -> None:
    """Send a domain signal once the current transaction has committed."""
    after_commit(lambda: signal.send(**facts))


def commit() -> None:
    """Commit the session, then run what waited for it, in order."""
    session = db.session()
    session.commit()
    ready = session.info.pop(_READY, [])
    if not ready:
        return
    with ExitStack() as stack:
        for wrapper in _AROUND_CALLBACKS:
            stack.enter_context(wrapper())
        for callback in ready:
            callback()


def _move_to_ready(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


def _drop_unless_committed(session: Session, transaction: SessionTransaction) -> None:
    # Fires after after_commit for a commit (pending is empty by then) and alone for a
    # rollback; savepoints inside the unit of work leave the pending callbacks alone.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def install() -> None:
    """Listen on every session; idempotent."""
    if not event.contains(Session, "after_commit", _move_to_ready):
        event.listen(Session, "after_commit", _move_to_ready)
        event.listen(Session, "after_transaction_end", _drop_unless_committed)


@contextmanager
def savepoint() -> Iterator[None]:
    """A nested transaction whose after-commit callbacks vanish with it on failure."""
    session = db.session()
    pending = session.info.setdefault(_PENDING, [])
    mark = len(pending)
    try:
        with session.begin_nested():
            yield
    except BaseException:
        del session.info.setdefault(_PENDING, [])[mark:]
        raise

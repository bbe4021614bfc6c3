"""Socket.IO's Redis message queue, with one commit's publishes sent together.

Every process that emits (web processes, RQ workers) publishes each event to the
Redis channel the web processes listen on. An intake batch's commit announces
hundreds of tickets, two events each; one round trip per event was a seventh of
an intake worker's time. Around the callbacks of one commit (desk.commits) the
publishes are held and sent in one pipeline, in order, when the callbacks end.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import socketio

_held: ContextVar[list[Any] | None] = ContextVar("desk_held_publishes", default=None)


class BatchingRedisManager(socketio.RedisManager):  # type: ignore[misc]
    """python-socketio's RedisManager; inside `publishes_together()` it holds publishes."""

    def _publish(self, data: Any) -> Any:
        held = _held.get()
        if held is None:
            return super()._publish(data)
        held.append(data)
        return None

    def publish_all(self, messages: list[Any]) -> None:
        """Send held messages in one pipeline; on a broken connection, reconnect once
        (as the base class does for a single publish)."""
        encoded = [self.json.dumps(message) for message in messages]
        for retries_left in (1, 0):
            try:
                if not self.connected:
                    self._redis_connect()
                pipeline = self.redis.pipeline(transaction=False)
                for message in encoded:
                    pipeline.publish(self.channel, message)
                pipeline.execute()
                return
            except Exception as exc:  # noqa: BLE001 - as the base class: log, never raise
                self.connected = False
                if not retries_left:
                    self._get_logger().error("Cannot publish to redis... giving up (%s)", exc)


@contextmanager
def publishes_together() -> Iterator[None]:
    """Hold Socket.IO publishes until the block ends, then send them in one pipeline."""
    from desk.extensions import socketio as flask_socketio

    if _held.get() is not None:  # nested: the outer block sends them
        yield
        return
    held: list[Any] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        manager = getattr(getattr(flask_socketio, "server", None), "manager", None)
        if held and isinstance(manager, BatchingRedisManager):
            manager.publish_all(held)

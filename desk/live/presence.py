"""Who is connected, viewing a ticket or typing on it: short-lived state with an expiry.

The state lives in Redis when REDIS_URL is set (every web process sees every
socket), in a dict in this process otherwise. Both hold the same two kinds of
hash, one per person (socket id -> status, last heartbeat, login) and one per
ticket (socket id -> person, name, typing until, last heartbeat). An entry
whose heartbeat is older than EXPIRY counts as gone, whether or not its
process lived to say so; `sweep()` removes such entries and tells which
tickets and people changed.

The last known presence of each person is also written to `people.presence`
(`record()`), so it outlives Redis and is there for reports.
"""

import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from redis import BlockingConnectionPool, Redis

from desk import events
from desk.commits import commit, send_after_commit
from desk.extensions import db
from desk.models import Person, Presence, utcnow

HEARTBEAT = 20  # seconds between a browser's heartbeats
EXPIRY = 45  # seconds without a heartbeat after which a socket counts as gone
TYPING_FOR = 6  # seconds "is typing" lasts after the last keystroke event
POOL_SIZE = 20  # Redis connections for presence, per process

_PEOPLE = "desk:presence:people"
_TICKETS = "desk:presence:tickets"


def _person_key(person_id: int) -> str:
    return f"desk:presence:person:{person_id}"


def _ticket_key(ticket_id: int) -> str:
    return f"desk:presence:ticket:{ticket_id}"


class _MemoryHashes:
    """The few Redis hash and set commands used here, in a dict (embedded default)."""

    def __init__(self) -> None:
        self._hashes: dict[str, dict[str, str]] = {}
        self._sets: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def hset(self, key: str, field: str, value: str) -> None:
        with self._lock:
            self._hashes.setdefault(key, {})[field] = value

    def hdel(self, key: str, field: str) -> int:
        with self._lock:
            found = self._hashes.get(key, {}).pop(field, None)
            if key in self._hashes and not self._hashes[key]:
                del self._hashes[key]
            return 0 if found is None else 1

    def hgetall(self, key: str) -> dict[str, str]:
        with self._lock:
            return dict(self._hashes.get(key, {}))

    def sadd(self, key: str, member: str) -> None:
        with self._lock:
            self._sets.setdefault(key, set()).add(member)

    def srem(self, key: str, member: str) -> None:
        with self._lock:
            self._sets.get(key, set()).discard(member)

    def smembers(self, key: str) -> set[str]:
        with self._lock:
            return set(self._sets.get(key, set()))


class _RedisHashes:
    """The same commands on a real Redis, with str results."""

    def __init__(self, connection: Redis) -> None:
        self._redis = connection

    def hset(self, key: str, field: str, value: str) -> None:
        self._redis.hset(key, field, value)

    def hdel(self, key: str, field: str) -> int:
        return int(self._redis.hdel(key, field))

    def hgetall(self, key: str) -> dict[str, str]:
        return {_text(k): _text(v) for k, v in self._redis.hgetall(key).items()}

    def sadd(self, key: str, member: str) -> None:
        self._redis.sadd(key, member)

    def srem(self, key: str, member: str) -> None:
        self._redis.srem(key, member)

    def smembers(self, key: str) -> set[str]:
        return {_text(member) for member in self._redis.smembers(key)}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _store() -> _MemoryHashes | _RedisHashes:
    """The app's presence store, made on first use."""
    extensions = current_app.extensions
    if "desk.presence" not in extensions:
        connection = extensions.get("desk.redis")
        if connection is not None:
            # Its own pool that waits for a free connection: a thousand sockets closing at
            # once (a proxy restart) must queue up, not fail with "Too many connections".
            pool = BlockingConnectionPool(max_connections=POOL_SIZE, timeout=10,
                                          **connection.connection_pool.connection_kwargs)
            extensions["desk.presence"] = _RedisHashes(Redis(connection_pool=pool))
        else:
            extensions["desk.presence"] = _MemoryHashes()
    return extensions["desk.presence"]


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _load(raw: str) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _live(entries: dict[str, str], now: float) -> dict[str, dict[str, Any]]:
    loaded = {sid: _load(raw) for sid, raw in entries.items()}
    return {sid: entry for sid, entry in loaded.items() if now - entry.get("seen", 0) <= EXPIRY}


# -- people and their sockets ------------------------------------------------------------


def socket_connected(person_id: int, sid: str, via: str, login: str | None = None,
                     now: float | None = None) -> None:
    """A socket opened; `via` is "cookie" or "token", `login` the sign-in that opened it."""
    store = _store()
    entry = {"status": Presence.ONLINE.value, "seen": _now(now), "via": via, "login": login}
    store.hset(_person_key(person_id), sid, json.dumps(entry))
    store.sadd(_PEOPLE, str(person_id))


def socket_seen(person_id: int, sid: str, status: Presence | None = None,
                now: float | None = None) -> None:
    """A heartbeat: the socket is alive (and online or away, when it says so)."""
    store = _store()
    entry = _load(store.hgetall(_person_key(person_id)).get(sid, "{}"))
    entry["seen"] = _now(now)
    if status is not None:
        entry["status"] = status.value
    entry.setdefault("status", Presence.ONLINE.value)
    store.hset(_person_key(person_id), sid, json.dumps(entry))
    store.sadd(_PEOPLE, str(person_id))


def socket_gone(person_id: int, sid: str) -> None:
    _store().hdel(_person_key(person_id), sid)


def sockets_of(person_id: int) -> dict[str, dict[str, Any]]:
    """Every socket registered for a person, expired ones included (for disconnects)."""
    return {sid: _load(raw) for sid, raw in _store().hgetall(_person_key(person_id)).items()}


def status_of(person_id: int, now: float | None = None) -> Presence:
    """Online if any live socket is, away if all live sockets are away, else offline."""
    sockets = _live(_store().hgetall(_person_key(person_id)), _now(now))
    if not sockets:
        return Presence.OFFLINE
    if any(entry.get("status") != Presence.AWAY.value for entry in sockets.values()):
        return Presence.ONLINE
    return Presence.AWAY


def statuses(person_ids: Iterable[int], now: float | None = None) -> dict[int, Presence]:
    return {person_id: status_of(person_id, now) for person_id in person_ids}


# -- who is on a ticket ------------------------------------------------------------------


def view_ticket(ticket_id: int, sid: str, person_id: int, name: str,
                now: float | None = None) -> None:
    store = _store()
    current = _load(store.hgetall(_ticket_key(ticket_id)).get(sid, "{}"))
    entry = {"person_id": person_id, "name": name, "seen": _now(now),
             "typing_until": current.get("typing_until", 0)}
    store.hset(_ticket_key(ticket_id), sid, json.dumps(entry))
    store.sadd(_TICKETS, str(ticket_id))


def set_typing(ticket_id: int, sid: str, typing: bool, now: float | None = None) -> bool:
    """Mark a viewer as typing (or not); False when the socket does not view the ticket."""
    store = _store()
    raw = store.hgetall(_ticket_key(ticket_id)).get(sid)
    if raw is None:
        return False
    entry = _load(raw)
    moment = _now(now)
    entry["seen"] = moment
    entry["typing_until"] = moment + TYPING_FOR if typing else 0
    store.hset(_ticket_key(ticket_id), sid, json.dumps(entry))
    return True


def touch_viewer(ticket_id: int, sid: str, now: float | None = None) -> None:
    """A heartbeat for a socket viewing the ticket; nothing if it does not view it."""
    store = _store()
    raw = store.hgetall(_ticket_key(ticket_id)).get(sid)
    if raw is not None:
        entry = _load(raw)
        entry["seen"] = _now(now)
        store.hset(_ticket_key(ticket_id), sid, json.dumps(entry))


def leave_ticket(ticket_id: int, sid: str) -> bool:
    """Stop viewing; True when the socket was a viewer."""
    return _store().hdel(_ticket_key(ticket_id), sid) == 1


def viewers(ticket_id: int, now: float | None = None) -> list[dict[str, Any]]:
    """Who views the ticket, one entry per person (typing if any of their tabs types)."""
    moment = _now(now)
    people: dict[int, dict[str, Any]] = {}
    for entry in _live(_store().hgetall(_ticket_key(ticket_id)), moment).values():
        person_id = entry.get("person_id")
        if not isinstance(person_id, int):
            continue
        seen = people.setdefault(person_id, {"id": person_id, "name": entry.get("name", ""),
                                             "typing": False})
        seen["typing"] = seen["typing"] or entry.get("typing_until", 0) > moment
    return sorted(people.values(), key=lambda viewer: (viewer["name"], viewer["id"]))


# -- expiry ------------------------------------------------------------------------------


@dataclass
class Swept:
    """What a sweep removed: tickets whose viewers changed, people who may have gone."""

    tickets: set[int]
    people: set[int]


def sweep(now: float | None = None) -> Swept:
    """Remove entries without a heartbeat for EXPIRY seconds (tabs frozen, processes dead)."""
    store = _store()
    moment = _now(now)
    swept = Swept(set(), set())
    for key_set, key_of, changed in ((_TICKETS, _ticket_key, swept.tickets),
                                     (_PEOPLE, _person_key, swept.people)):
        for member in store.smembers(key_set):
            if not member.isdigit():
                store.srem(key_set, member)
                continue
            entries = store.hgetall(key_of(int(member)))
            for sid, raw in entries.items():
                # Only the process whose HDEL removed it reports it: one broadcast per expiry.
                if moment - _load(raw).get("seen", 0) > EXPIRY and store.hdel(key_of(int(member)),
                                                                              sid):
                    changed.add(int(member))
            if not store.hgetall(key_of(int(member))):
                store.srem(key_set, member)
    return swept


# -- the last known presence, on the person ----------------------------------------------


def record(person_id: int, status: Presence) -> bool:
    """Write a person's presence if it changed; True when it did."""
    known = db.session.scalar(sa.select(Person.presence).where(Person.id == person_id))
    db.session.rollback()  # end the read: on SQLite a reader turning writer may meet BUSY
    if known is None or known == status:
        return False
    result = db.session.execute(
        sa.update(Person)
        .where(Person.id == person_id, Person.presence != status)
        .values(presence=status, presence_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        send_after_commit(events.presence_changed, person_id=person_id, status=status.value,
                          source="sockets")
    commit()
    return result.rowcount == 1

"""Report results cached until the rollups change.

Every report except the live ones (`backlog`, the "today" counters, `faq`'s
counters) is a function of the rollup tables and the CSAT answers only. The
rollup job stamps `rollup.changed_at` whenever it recomputed something, so a
result stored under (report, period, scope, that stamp, the newest CSAT answer)
can never be stale: the next change makes a new key. One small dictionary per
process, bounded; a miss costs one primary-key look-up more than no cache.
"""

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

import sqlalchemy as sa

from desk.extensions import db
from desk.models import CsatResponse, ReportState
from desk.reports.periods import Period, Scope

LIVE = frozenset({"backlog", "faq"})
SIZE = 512

_results: OrderedDict[tuple, Any] = OrderedDict()
_lock = Lock()


def data_version() -> tuple[Any, Any]:
    """What every cached result depends on: the last rollup change, the newest CSAT answer."""
    from desk.reports.rollups import CHANGED

    changed = db.session.scalar(sa.select(ReportState.value).where(ReportState.name == CHANGED))
    newest_answer = db.session.scalar(sa.select(sa.func.max(CsatResponse.id)))
    return changed, newest_answer


def cached(name: str, period: Period, scope: Scope, compute: Callable[[], Any],
           version: tuple[Any, Any] | None = None) -> Any:
    """compute(), or the result stored for the same report, filters and data version."""
    if name in LIVE:
        return compute()
    key = (db.engine.url.render_as_string(), name, period, scope, version or data_version())
    with _lock:
        if key in _results:
            _results.move_to_end(key)
            return _results[key]
    result = compute()
    with _lock:
        _results[key] = result
        while len(_results) > SIZE:
            _results.popitem(last=False)
    return result


def clear() -> None:
    with _lock:
        _results.clear()

"""Importing complaints from a file: CSV, a JSON array or JSON Lines (docs/import-format.md).

Every row is checked with the intake schema and, when valid, stored as an
intake event through `service.receive()`, the same path the HTTP intake takes:
idempotent on channel + external id by the database constraint, processed by
the intake job. A row either becomes an intake event or is reported with its
number and reason; nothing is half-imported.
"""

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from desk.errors import DeskError, Invalid, NotFound
from desk.extensions import db
from desk.intake import service
from desk.models import Channel, IntakeEvent, IntakeStatus

# The intake payload's fields; author's fields are flattened to author_* for CSV.
PAYLOAD_FIELDS = (
    "external_id", "text", "html", "subject", "url", "thread_id", "in_reply_to",
    "created_at", "language",
)
AUTHOR_FIELDS = ("handle", "name", "reach")
COLUMNS = (*PAYLOAD_FIELDS, *(f"author_{name}" for name in AUTHOR_FIELDS), "channel")
REQUIRED_COLUMNS = ("external_id", "author_handle")
BODY_COLUMNS = ("text", "html")  # at least one of them
FORMATS = ("csv", "json")
_MULTILINE = frozenset({"text", "html"})  # kept as written; other cells are trimmed


class UnreadableFile(DeskError):
    """The file as a whole cannot be read as an import (encoding, syntax, columns)."""

    title = "Unreadable import file"


@dataclass(frozen=True)
class Row:
    """One record of the file: its number there, its fields, or why it cannot be read."""

    number: int
    fields: dict[str, Any]
    problem: str | None = None


@dataclass(frozen=True)
class Rejection:
    number: int
    reason: str


@dataclass
class ImportReport:
    """What an import did: rows stored, rows seen before, rows refused and why."""

    new: int = 0
    known: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    # Of the new events: not yet processed (RQ workers will) / quarantined by processing.
    waiting: int = 0
    failed: int = 0

    @property
    def summary(self) -> str:
        line = f"{self.new} new, {self.known} already known, {len(self.rejected)} rejected"
        if self.waiting:
            line += f"; {self.waiting} waiting for a worker"
        if self.failed:
            line += f"; {self.failed} failed processing (see Admin, intake problems)"
        return line


def format_for(path: Path, given: str | None = None) -> str:
    """The file's format: as given, else from its extension (.csv, .json, .jsonl)."""
    if given:
        return given
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in {".json", ".jsonl", ".ndjson"}:
        return "json"
    raise UnreadableFile(f"cannot tell the format of '{path.name}' from its extension; "
                         "give --format csv or --format json")


def read_file(path: Path, fmt: str) -> list[Row]:
    """All rows of an import file; raises UnreadableFile when the file as a whole is bad."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"{path.name} is not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        raise UnreadableFile(f"{path.name} is empty")
    return read_csv(text) if fmt == "csv" else read_json(text)


def read_csv(text: str) -> list[Row]:
    """Rows of a CSV text with a header row; each numbered by the line it starts on."""
    # strict: an unterminated quote would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
        _check_columns(header)
        return list(_csv_rows(reader, header))
    except csv.Error as exc:
        raise UnreadableFile(f"not readable as CSV at line {reader.line_num}: {exc}") from exc


def _check_columns(header: list[str]) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if not any(name in header for name in BODY_COLUMNS):
        missing.append("text or html")
    if missing:
        raise UnreadableFile(f"missing required columns: {', '.join(missing)}")


def _csv_rows(reader: Any, header: list[str]) -> Iterable[Row]:
    while True:
        start = reader.line_num + 1
        record = next(reader, None)
        if record is None:
            return
        if not any(cell.strip() for cell in record):
            continue  # blank lines are no rows
        if len(record) > len(header):
            yield Row(start, {}, f"{len(record)} cells, but the header has {len(header)}")
            continue
        cells = dict(zip(header, record, strict=False))
        yield Row(start, {name: _cell(name, value) for name, value in cells.items()})


def _cell(name: str, value: str) -> str:
    return value if name in _MULTILINE else value.strip()


def read_json(text: str) -> list[Row]:
    """Rows of a JSON array (numbered by position) or of JSON Lines (numbered by line)."""
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except ValueError as exc:
            raise UnreadableFile(f"not valid JSON: {exc}") from exc
        return [_json_row(number, item) for number, item in enumerate(items, start=1)]
    rows = list(_json_lines(text))
    if rows and all(row.problem and row.problem.startswith("not valid JSON") for row in rows):
        raise UnreadableFile(f"neither a JSON array nor JSON Lines: line {rows[0].number}: "
                             f"{rows[0].problem}")
    return rows


def _json_lines(text: str) -> Iterable[Row]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            yield Row(number, {}, f"not valid JSON: {exc}")
            continue
        yield _json_row(number, item)


def _json_row(number: int, item: Any) -> Row:
    if not isinstance(item, dict):
        return Row(number, {}, "not a JSON object")
    return Row(number, {str(key).lower(): value for key, value in item.items()})


def to_payload(fields: dict[str, Any]) -> dict[str, Any]:
    """The intake payload for one row: empty cells left out, author nested."""
    payload = {name: fields[name] for name in PAYLOAD_FIELDS if _given(fields.get(name))}
    nested = fields.get("author")
    if nested is not None and not isinstance(nested, dict):
        payload["author"] = nested  # validation names it
        return payload
    author = dict(nested or {})
    for name in AUTHOR_FIELDS:
        if _given(fields.get(f"author_{name}")):
            author[name] = fields[f"author_{name}"]
    if author:
        payload["author"] = author
    return payload


def _given(value: Any) -> bool:
    return value is not None and value != ""


def import_rows(rows: Iterable[Row], default_channel: str | None = None) -> ImportReport:
    """Store every valid row as an intake event; report the others with their reason."""
    report = ImportReport()
    channels = _ChannelCache()
    new_events: list[int] = []
    for row in rows:
        try:
            event_id, created = _import_row(row, default_channel, channels)
        except DeskError as exc:
            report.rejected.append(Rejection(row.number, _reason(exc)))
            continue
        if created:
            report.new += 1
            new_events.append(event_id)
        else:
            report.known += 1
    _count_outcomes(report, new_events)
    return report


def _count_outcomes(report: ImportReport, event_ids: list[int]) -> None:
    """How processing went for the new events (in-process it has run already)."""
    for start in range(0, len(event_ids), 500):  # bounded IN lists
        chunk = event_ids[start:start + 500]
        statuses = db.session.scalars(
            sa.select(IntakeEvent.status).where(IntakeEvent.id.in_(chunk))
        )
        for status in statuses:
            if status == IntakeStatus.FAILED:
                report.failed += 1
            elif status != IntakeStatus.PROCESSED:
                report.waiting += 1


def _import_row(
    row: Row, default_channel: str | None, channels: "_ChannelCache"
) -> tuple[int, bool]:
    if row.problem:
        raise Invalid(row.problem)
    slug = row.fields.get("channel") or default_channel
    if not slug or not isinstance(slug, str):
        raise Invalid("no channel: give --channel or a channel column")
    channel = channels.get(slug)
    payload = to_payload(row.fields)
    data = service.validate_payload(payload)
    raw = json.dumps(payload, ensure_ascii=False)
    return service.receive(channel, data["external_id"], raw)


class _ChannelCache:
    """Look each channel up once per import, remembering unknown or paused ones too."""

    def __init__(self) -> None:
        self._found: dict[str, int | DeskError] = {}

    def get(self, slug: str) -> Channel:
        if slug not in self._found:
            try:
                self._found[slug] = service.active_channel(slug).id
            except DeskError as exc:
                self._found[slug] = exc
        found = self._found[slug]
        if isinstance(found, DeskError):
            raise found
        # Loaded by id each time: a commit per row expires the objects it loaded.
        channel = db.session.get(Channel, found)
        if channel is None:
            raise NotFound(f"channel '{slug}' was deleted during the import")
        return channel


def _reason(error: DeskError) -> str:
    """One line naming each bad field by its import column, or the error's detail."""
    fields = getattr(error, "fields", None)
    if not fields:
        return error.detail
    parts = []
    for name, messages in sorted(fields.items()):
        # Name the column the file has: author.reach -> author_reach.
        column = {"_schema": "row", "author": "author_handle"}.get(name, name)
        column = column.replace("author.", "author_")
        parts.append(f"{column}: {' '.join(messages)}")
    return "; ".join(parts)

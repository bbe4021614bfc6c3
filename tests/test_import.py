"""`flask desk import`: every row becomes an intake event once, or is reported with its reason."""

import csv
import io
import json

import pytest
import sqlalchemy as sa

from desk.extensions import db
from desk.intake import importer
from desk.models import ChannelKind, IntakeEvent, IntakeStatus, Message, Ticket

HEADER = ["external_id", "text", "html", "subject", "author_handle", "author_name",
          "author_reach", "url", "thread_id", "in_reply_to", "created_at", "language"]


def csv_text(rows, header=HEADER):
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def complaint(external_id, **fields):
    row = {"external_id": external_id, "text": f"Beschwerde {external_id}: Zug fällt aus",
           "author_handle": "@pendler", "author_name": "Paul Pendler", "author_reach": "48000",
           "created_at": "2026-03-02T07:45:00+01:00", "language": "de"}
    row.update(fields)
    return row


def desk_import(runner, path, *args):
    return runner.invoke(args=["desk", "import", str(path), *args])


def external_ids(app, model=IntakeEvent):
    with app.app_context():
        return set(db.session.scalars(sa.select(model.external_id)))


def count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def hook(make_channel):
    return make_channel(slug="hook", team="Bahn & Reisen")


MALFORMED = [
    complaint("ok-1"),
    complaint("bad-reach", author_reach="viele"),  # line 3
    complaint("ok-2", text="Zweite Zeile\nim selben Feld", thread_id="conv-1"),  # lines 4-5
    complaint("no-body", text="", html=""),  # line 6
    complaint("naive-time", created_at="2026-03-02T07:45:00"),  # line 7
    complaint("", author_handle=""),  # line 8
    complaint("ok-3", text="", html="<p>Hallo <script>alert(1)</script><b>Team</b></p>",
              thread_id="conv-1"),  # line 9
]


def test_malformed_file_reports_each_bad_row_and_imports_the_good_ones_once(
        app, runner, hook, tmp_path):
    path = tmp_path / "complaints.csv"
    path.write_text(csv_text(MALFORMED), encoding="utf-8")

    result = desk_import(runner, path, "--channel", "hook")

    assert result.exit_code == 1, result.output
    assert result.stdout.strip() == "3 new, 0 already known, 4 rejected"
    reports = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert reports == [
        "row 3: author_reach: Not a valid integer.",
        "row 6: text: text or html is required",
        "row 7: created_at: Not a valid aware datetime.",
        "row 8: author_handle: Missing data for required field.; external_id: Missing data "
        "for required field.",
    ]
    assert external_ids(app) == {"ok-1", "ok-2", "ok-3"}  # nothing of the rejected rows
    with app.app_context():
        tickets = db.session.scalars(sa.select(Ticket).order_by(Ticket.id)).all()
        assert [t.message_count for t in tickets] == [1, 2]  # conv-1 is one conversation
        assert all(t.team.name == "Bahn & Reisen" for t in tickets)
        html = db.session.scalar(sa.select(Message.body_html)
                                 .where(Message.external_id == "ok-3"))
        assert "script" not in html and "<b>Team</b>" in html

    again = desk_import(runner, path, "--channel", "hook")
    assert again.exit_code == 1
    assert again.stdout.strip() == "0 new, 3 already known, 4 rejected"
    assert count(app, IntakeEvent) == 3 and count(app, Message) == 3 and count(app, Ticket) == 2


def test_a_clean_file_exits_0_and_keeps_every_field(app, runner, hook, tmp_path):
    path = tmp_path / "complaints.csv"
    row = complaint("full", subject="ICE 578", url="https://social.example/p/1",
                    author_name="Frau Öztürk", text="Grüße aus Köln – Zug weg, Anschluss weg.")
    path.write_text(csv_text([row]), encoding="utf-8")

    result = desk_import(runner, path, "--channel", "hook")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "1 new, 0 already known, 0 rejected"
    with app.app_context():
        ticket = db.session.scalar(sa.select(Ticket))
        message = db.session.scalar(sa.select(Message))
        assert ticket.subject == "ICE 578"
        assert ticket.contact.name == "Frau Öztürk" and ticket.contact.reach == 48000
        assert ticket.contact.language == "de"
        assert message.body_text == "Grüße aus Köln – Zug weg, Anschluss weg."
        assert message.url == "https://social.example/p/1"
        assert message.created_at.isoformat() == "2026-03-02T06:45:00+00:00"


def test_json_array_with_nested_or_flat_author_and_a_channel_per_row(
        app, runner, make_channel, tmp_path):
    make_channel(slug="hook")
    make_channel(slug="forum", kind=ChannelKind.FEED, secret=None)
    rows = [
        {"external_id": "a", "text": "Router blinkt rot", "author": {"handle": "@k", "reach": 7}},
        {"external_id": "b", "text": "Forum post", "author_handle": "fritz", "channel": "forum"},
        ["not", "an", "object"],
        {"external_id": "c", "text": "Wohin?", "author_handle": "@x", "channel": "nowhere"},
    ]
    path = tmp_path / "complaints.json"
    path.write_text(json.dumps(rows), encoding="utf-8")

    result = desk_import(runner, path, "--channel", "hook")

    assert result.exit_code == 1
    assert [line for line in result.stderr.splitlines() if line.startswith("row ")] == [
        "row 3: not a JSON object",
        "row 4: no channel 'nowhere'",
    ]
    with app.app_context():
        slugs = dict(db.session.execute(
            sa.select(IntakeEvent.external_id, IntakeEvent.channel_id)).all())
        assert set(slugs) == {"a", "b"} and slugs["a"] != slugs["b"]


def test_json_lines_numbers_rows_by_line(app, runner, hook, tmp_path):
    lines = [
        json.dumps({"external_id": "l1", "text": "eins", "author_handle": "@a"}),
        "",
        "{not json",
        json.dumps({"external_id": "l2", "text": "zwei", "author": {"handle": "@a"},
                    "thread_id": 42}),
        json.dumps({"external_id": "l3", "text": "drei", "author": {"handle": "@a"}}),
    ]
    path = tmp_path / "complaints.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = desk_import(runner, path, "--channel", "hook")

    assert result.exit_code == 1
    rows = [line for line in result.stderr.splitlines() if line.startswith("row ")]
    assert rows[0].startswith("row 3: not valid JSON")
    assert rows[1] == "row 4: thread_id: Not a valid string."
    assert external_ids(app) == {"l1", "l3"}


def test_format_option_overrides_the_extension(app, runner, hook, tmp_path):
    path = tmp_path / "export.txt"
    path.write_text(csv_text([complaint("t1")]), encoding="utf-8")
    assert desk_import(runner, path, "--channel", "hook").exit_code == 2
    result = desk_import(runner, path, "--channel", "hook", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert external_ids(app) == {"t1"}


def unreadable(result, *words):
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    for word in words:
        assert word in line
    return line


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("latin1.csv", csv_text([complaint("x", text="Grüße")]).encode("latin-1"), ["UTF-8"]),
        ("broken.json", b'[{"external_id": "x", ', ["not valid JSON"]),
        ("noise.jsonl", b"hello\nworld\n", ["neither a JSON array nor JSON Lines"]),
        ("columns.csv", b"id,message\n1,hallo\n", ["missing required columns",
                                                   "external_id", "author_handle",
                                                   "text or html"]),
        ("empty.csv", b"", ["empty"]),
        ("quote.csv", b'external_id,text,author_handle\nx,"a,@a\ny,b,@b\n', ["CSV", "line 3"]),
    ],
)
def test_an_unreadable_file_is_one_line_and_exit_2_with_nothing_stored(
        app, runner, hook, tmp_path, name, content, words):
    path = tmp_path / name
    path.write_bytes(content)
    unreadable(desk_import(runner, path, "--channel", "hook"), *words)
    assert count(app, IntakeEvent) == 0


def test_a_missing_file_or_channel_is_refused(app, runner, hook, make_channel, tmp_path):
    unreadable(desk_import(runner, tmp_path / "nope.csv", "--channel", "hook"), "nope.csv")
    path = tmp_path / "c.csv"
    path.write_text(csv_text([complaint("x")]), encoding="utf-8")
    unreadable(desk_import(runner, path, "--channel", "nowhere"), "nowhere")
    unreadable(desk_import(runner, path), "--channel")
    make_channel(slug="paused", is_active=False)
    unreadable(desk_import(runner, path, "--channel", "paused"), "paused")
    assert count(app, IntakeEvent) == 0


def test_with_redis_the_rows_wait_for_a_worker(app, runner, hook, redis_jobs, tmp_path):
    from rq import SimpleWorker

    path = tmp_path / "c.csv"
    path.write_text(csv_text([complaint("q1"), complaint("q2")]), encoding="utf-8")
    result = desk_import(runner, path, "--channel", "hook")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "2 new, 0 already known, 0 rejected; 2 waiting for a worker"
    assert count(app, Ticket) == 0
    with app.app_context():
        SimpleWorker(["intake", "default"], connection=redis_jobs).work(burst=True)
    assert count(app, Ticket) == 2


# The service on its own: rows in, report out.

def test_import_rows_reports_new_known_and_rejected(app, ctx, hook):
    rows = [
        importer.Row(1, {"external_id": "s1", "text": "a", "author_handle": "@a"}),
        importer.Row(2, {"external_id": "s1", "text": "same id again", "author_handle": "@a"}),
        importer.Row(3, {}, "3 cells, but the header has 2"),
        importer.Row(4, {"external_id": "s2", "text": "b", "author_handle": "@b",
                         "channel": "nowhere"}),
    ]
    report = importer.import_rows(rows, "hook")
    assert (report.new, report.known) == (1, 1)
    assert report.rejected == [
        importer.Rejection(3, "3 cells, but the header has 2"),
        importer.Rejection(4, "no channel 'nowhere'"),
    ]
    assert report.summary == "1 new, 1 already known, 2 rejected"
    assert db.session.scalar(sa.select(IntakeEvent.status)) == IntakeStatus.PROCESSED


def test_import_rows_counts_events_that_processing_quarantined(app, ctx, hook, monkeypatch):
    def refuse(event):
        from desk.intake.batch import quarantine

        quarantine(event, ValueError("the platform sent nonsense"))

    monkeypatch.setattr("desk.intake.batch.read", refuse)
    report = importer.import_rows(
        [importer.Row(1, {"external_id": "f1", "text": "a", "author_handle": "@a"})], "hook")
    assert (report.new, report.failed) == (1, 1)
    assert report.summary.endswith("1 failed processing (see Admin, intake problems)")


def test_csv_rows_are_numbered_by_the_line_they_start_on():
    text = 'external_id,text,author_handle\n\na,"eins\nzwei",@a\nb,drei,@b,extra\n'
    rows = importer.read_csv(text)
    assert [(row.number, row.problem) for row in rows] == [
        (3, None), (5, "4 cells, but the header has 3")]
    assert rows[0].fields["text"] == "eins\nzwei"


def test_payload_nests_the_author_and_leaves_out_empty_cells():
    payload = importer.to_payload({"external_id": " x ", "text": "t", "html": "",
                                   "author_handle": "@a", "author_reach": "12",
                                   "channel": "hook", "other": "ignored"})
    assert payload == {"external_id": " x ", "text": "t",
                       "author": {"handle": "@a", "reach": "12"}}

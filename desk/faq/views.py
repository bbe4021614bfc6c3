"""The FAQ pages: public reading and voting, the editors' review, proposals from tickets.

Also the /api/v1/faq routes (flask-smorest), registered by desk.api.views.register.
"""

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint as ApiBlueprint
from werkzeug.wrappers import Response

from desk import errors
from desk.api.auth import api_person, token_required
from desk.auth.access import DESK_ROLES, roles_required
from desk.auth.service import person_for_token
from desk.extensions import db, limiter
from desk.faq import redaction
from desk.faq import service as faq
from desk.faq.forms import EntryForm, MergeForm, ProposeForm, RejectForm, VoteForm
from desk.faq.schemas import (
    CandidateCreateSchema,
    CandidateListSchema,
    CandidateQuerySchema,
    CandidateSchema,
    EntryListSchema,
    EntryQuerySchema,
    EntrySchema,
    PublishSchema,
    RejectSchema,
)
from desk.models import (
    CandidateSource,
    CandidateStatus,
    FaqCandidate,
    FaqEntry,
    Message,
    Person,
    Role,
    Ticket,
)

if TYPE_CHECKING:  # imports scikit-learn; views import it where they search
    from desk.faq import search

bp = Blueprint("faq", __name__)
api_bp = ApiBlueprint("api_faq", __name__, url_prefix="/api/v1", description="FAQ")
editor_only = roles_required(Role.FAQ_EDITOR, Role.ADMIN)
desk_only = roles_required(*DESK_ROLES)
proposers = roles_required(*DESK_ROLES, Role.FAQ_EDITOR)

VISITOR_COOKIE = "desk_faq_visitor"
MAX_QUERY = 200
PER_CATEGORY = 8


def _vote_limit() -> str:
    return current_app.config["DESK_FAQ_VOTE_LIMIT"]


def _person() -> Person:
    return current_user._get_current_object()


@bp.errorhandler(errors.Forbidden)
@bp.errorhandler(errors.NotFound)
def _refused(error: errors.DeskError) -> tuple[str, int]:
    if error.status == 404 and request.endpoint in ("faq.entry", "faq.vote"):
        return render_template("faq/not_found.html", q=""), 404
    message = (
        _("You are not allowed to do this.") if error.status == 403 else _("There is nothing here.")
    )
    return render_template("error.html", code=error.status, message=message), error.status


@bp.app_template_filter("faq_marked")
def faq_marked(text: str) -> list[tuple[str, bool]]:
    """Redacted text as pieces; placeholders are shown in <mark> for the editor to check."""
    return redaction.marked(text or "")


@bp.app_template_global("faq_suggestions")
def faq_suggestions(ticket: Ticket) -> list[tuple["search.Hit", FaqEntry]]:
    """Public entries that may answer this ticket, with their full answers."""
    hits = faq.suggestions_for_ticket(ticket)
    entries = {e.id: e for e in db.session.scalars(
        sa.select(FaqEntry).where(FaqEntry.id.in_([hit.entry_id for hit in hits])))}
    return [(hit, entries[hit.entry_id]) for hit in hits if hit.entry_id in entries]


# -- the public ---------------------------------------------------------------------------


def _language() -> str:
    return str(get_locale() or "de")[:2]


@bp.get("/faq")
def index() -> str:
    """Categories and entries in the visitor's language, or search results."""
    from desk.faq import search
    q = (request.args.get("q") or "").strip()[:MAX_QUERY]
    category = (request.args.get("category") or "").strip()[:80] or None
    language = _language()
    if q:
        return render_template("faq/index.html", q=q, hits=search.search(q), entries=None,
                               categories=[], category=None)
    categories = faq.public_categories(language)
    if not categories:  # nothing in this language yet: show what there is
        language = None
        categories = faq.public_categories()
    # The overview shows each category's most read questions; a category shows all of its own.
    entries = faq.public_entries(language, category,
                                 per_category=None if category else PER_CATEGORY)
    return render_template("faq/index.html", q="", hits=None, entries=entries,
                           categories=categories, category=category,
                           counts=dict(categories), per_category=PER_CATEGORY)


@bp.get("/faq/<slug>")
def entry(slug: str) -> str:
    """One public entry; each view counts."""
    found = faq.public_entry(slug)
    faq.record_view(found.id)
    voted = faq.has_voted(found, request.cookies.get(VISITOR_COOKIE))
    return render_template("faq/entry.html", entry=found, voted=voted,
                           form=VoteForm(formdata=None))


@bp.post("/faq/<slug>/vote")
@limiter.limit(_vote_limit)
def vote(slug: str) -> Response:
    """"Was this helpful?": one vote per visitor and entry, no account needed."""
    form = VoteForm()
    if not form.validate_on_submit():
        faq.public_entry(slug)  # an unknown slug is a 404, not a 400
        flash(_("Please answer yes or no."), "error")
        return redirect(url_for("faq.entry", slug=slug))
    visitor = request.cookies.get(VISITOR_COOKIE) or secrets.token_urlsafe(24)
    counted = faq.vote(slug, visitor, form.helpful.data == "yes")
    flash(_("Thank you for your feedback.") if counted
          else _("You answered this already. Thank you."), "success")
    response = redirect(url_for("faq.entry", slug=slug))
    response.set_cookie(VISITOR_COOKIE, visitor, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


# -- agents: proposing --------------------------------------------------------------------


@bp.post("/faq/propose/<int:message_id>")
@desk_only
def propose(message_id: int) -> Response:
    """Propose a reply from the ticket pane; back to the ticket either way."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise errors.NotFound(f"message {message_id} does not exist")
    form = ProposeForm(prefix=f"faq-{message_id}")
    if form.validate_on_submit():
        try:
            faq.propose(_person(), message_id, form.note.data or "")
        except errors.Conflict:
            flash(_("This reply is already waiting for review."), "info")
        except errors.Invalid:
            flash(_("Only replies and customer messages can be proposed."), "error")
        else:
            flash(_("Proposed for the FAQ. The editors will review it."), "success")
    else:
        flash(_("The note is too long."), "error")
    return redirect(url_for("inbox.ticket", ticket_id=message.ticket_id))


@bp.get("/faq/proposals")
@proposers
def proposals() -> str:
    """The person's own proposals and what became of them (with reasons for rejections)."""
    return render_template("faq/proposals.html", proposals=faq.my_proposals(_person()))


# -- editors ------------------------------------------------------------------------------


@bp.get("/faq/review")
@editor_only
def review() -> str:
    """The review queue: proposals, then the most frequent questions with no entry yet."""
    person = _person()
    return render_template(
        "faq/review.html",
        proposed=faq.candidates(person, source=CandidateSource.AGENT),
        frequent=faq.frequent_unanswered(person),
        flagged=[e for e in faq.all_entries(person) if faq.needs_review(e)],
    )


def _local_to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    zone = get_timezone()
    local = zone.localize(value) if hasattr(zone, "localize") else value.replace(tzinfo=zone)
    return local.astimezone(UTC)


def _utc_to_local(value: datetime) -> datetime:
    return value.astimezone(get_timezone()).replace(tzinfo=None, second=0, microsecond=0)


def _candidate_page(candidate: FaqCandidate, status: int = 200, **forms: Any) -> tuple[str, int]:
    from desk.faq import search
    person = _person()
    form = forms.get("form")
    if form is None:
        form = EntryForm(formdata=None, data={
            "question": candidate.question.splitlines()[0][:300] if candidate.question else "",
            "answer": candidate.answer,
            "language": (candidate.language.value if candidate.language else _language()),
        })
    duplicates = search.likely_duplicates(candidate.question)
    categories = _categories()
    html = render_template(
        "faq/candidate.html", candidate=candidate, form=form,
        reject_form=forms.get("reject_form") or RejectForm(formdata=None),
        merge_form=MergeForm(formdata=None), duplicates=duplicates, categories=categories,
        may_open_ticket=faq.may_open_ticket(person, candidate.ticket_id),
        findings=forms.get("findings") or [],
    )
    return html, status


@bp.get("/faq/review/<int:candidate_id>")
@editor_only
def candidate(candidate_id: int) -> tuple[str, int]:
    return _candidate_page(faq.get_candidate(_person(), candidate_id))


@bp.post("/faq/review/<int:candidate_id>")
@editor_only
def publish(candidate_id: int) -> Response | tuple[str, int]:
    """Publish the edited candidate now or at the chosen time."""
    found = faq.get_candidate(_person(), candidate_id)
    form = EntryForm()
    if not form.validate_on_submit():
        return _candidate_page(found, 422, form=form)
    try:
        entry = faq.publish(_person(), candidate_id, form.question.data or "",
                            form.answer.data or "", form.category.data or "",
                            form.language.data or "", _local_to_utc(form.publish_at.data),
                            bool(form.confirm_personal_data.data))
    except errors.Invalid as error:
        findings = error.fields.pop("personal_data", [])
        _field_errors(form, error)
        return _candidate_page(found, 422, form=form, findings=findings)
    except errors.Conflict as error:
        flash(str(error.detail), "error")
        return redirect(url_for("faq.review"))
    flash(_("Published.") if entry.is_visible() else _("Scheduled."), "success")
    return redirect(url_for("faq.entries"))


@bp.post("/faq/review/<int:candidate_id>/reject")
@editor_only
def reject(candidate_id: int) -> Response | tuple[str, int]:
    found = faq.get_candidate(_person(), candidate_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _candidate_page(found, 422, reject_form=form)
    try:
        faq.reject(_person(), candidate_id, form.reason.data or "")
    except errors.Conflict as error:
        flash(str(error.detail), "error")
    else:
        flash(_("Rejected. The proposer sees your reason."), "success")
    return redirect(url_for("faq.review"))


@bp.post("/faq/review/<int:candidate_id>/merge")
@editor_only
def merge(candidate_id: int) -> Response:
    form = MergeForm()
    if form.validate_on_submit():
        try:
            entry = faq.merge(_person(), candidate_id, int(form.entry_id.data))
        except (errors.Conflict, errors.Invalid) as error:
            flash(str(error.detail), "error")
        else:
            flash(_("Merged into “%(question)s”.", question=entry.question), "success")
            return redirect(url_for("faq.edit_entry", entry_id=entry.id))
    return redirect(url_for("faq.review"))


@bp.get("/faq/entries")
@editor_only
def entries() -> str:
    """Every entry with its numbers; those that need another look first."""
    found = faq.all_entries(_person())
    return render_template("faq/entries.html", entries=found, needs_review=faq.needs_review)


@bp.route("/faq/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@editor_only
def edit_entry(entry_id: int) -> Response | tuple[str, int]:
    """Edit an entry; every save is a new version."""
    person = _person()
    found = faq.get_entry(person, entry_id)
    if request.method == "GET":
        form = EntryForm(formdata=None, data={
            "question": found.question, "answer": found.answer_text,
            "category": found.category, "language": found.language.value,
            "publish_at": _utc_to_local(found.publish_at), "version": str(found.version),
            "archived": found.status.value == "archived"})
        return _edit_page(found, form)
    form = EntryForm()
    if not form.validate_on_submit():
        return _edit_page(found, form, 422)
    try:
        faq.update_entry(person, entry_id, form.question.data or "", form.answer.data or "",
                         form.category.data or "", form.language.data or "",
                         _local_to_utc(form.publish_at.data), bool(form.archived.data),
                         int(form.version.data) if form.version.data else None,
                         bool(form.confirm_personal_data.data))
    except errors.Invalid as error:
        findings = error.fields.pop("personal_data", [])
        _field_errors(form, error)
        return _edit_page(found, form, 422, findings)
    except errors.Conflict:
        flash(_("Someone else edited this entry meanwhile. Nothing was saved; your text "
                "is below."), "error")
        return _edit_page(found, form, 409)
    flash(_("Saved as a new version."), "success")
    return redirect(url_for("faq.history", entry_id=entry_id))


def _edit_page(entry: FaqEntry, form: EntryForm, status: int = 200,
               findings: list[str] | None = None) -> tuple[str, int]:
    return render_template("faq/edit.html", entry=entry, form=form, findings=findings or [],
                           sources=faq.sources(entry), categories=_categories()), status


def _categories() -> list[str]:
    return list(db.session.scalars(sa.select(FaqEntry.category).distinct()
                                   .order_by(FaqEntry.category)))


@bp.get("/faq/entries/<int:entry_id>/history")
@editor_only
def history(entry_id: int) -> str:
    """All versions; the chosen one (default: newest) compared with the one before."""
    found = faq.get_entry(_person(), entry_id)
    all_versions = faq.versions(found)
    number = request.args.get("version", type=int) or found.version
    chosen = next((v for v in all_versions if v.version == number), all_versions[0])
    before = next((v for v in all_versions if v.version == chosen.version - 1), None)
    return render_template("faq/history.html", entry=found, versions=all_versions,
                           chosen=chosen, before=before, diff=faq.version_diff(before, chosen),
                           sources=faq.sources(found))


def _field_errors(form: EntryForm, error: errors.Invalid) -> None:
    for name, messages in error.fields.items():
        field = getattr(form, name, None) or form.question
        field.errors = [*field.errors, *messages]


# -- /api/v1/faq --------------------------------------------------------------------------


def _api_editor() -> Person:
    person = api_person()
    faq.require_editor(person)
    return person


def _entry_json(entry: FaqEntry) -> dict[str, Any]:
    return {
        "id": entry.id, "slug": entry.slug,
        "url": url_for("faq.entry", slug=entry.slug, _external=True),
        "question": entry.question, "answer_html": entry.answer_html,
        "answer_text": entry.answer_text, "category": entry.category,
        "language": entry.language.value, "publish_at": entry.publish_at,
        "updated_at": entry.updated_at, "version": entry.version,
    }


@api_bp.route("/faq/candidates", methods=["POST"])
@api_bp.arguments(CandidateCreateSchema)
@api_bp.response(201, CandidateSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_propose(data: dict[str, Any]) -> dict[str, Any]:
    """Propose a reply (or, given an inbound message, its ticket) for the FAQ."""
    return faq.candidate_json(faq.propose(api_person(), data["message_id"], data["note"]))


@api_bp.route("/faq/candidates", methods=["GET"])
@api_bp.arguments(CandidateQuerySchema, location="query")
@api_bp.response(200, CandidateListSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_candidates(args: dict[str, Any]) -> dict[str, Any]:
    """Candidates for FAQ editors (redacted), pending by default."""
    found = faq.candidates(_api_editor(), CandidateStatus(args["status"]),
                           CandidateSource(args["source"]) if "source" in args else None,
                           args["limit"])
    return {"items": [faq.candidate_json(c) for c in found]}


@api_bp.route("/faq/candidates/<int:candidate_id>/publish", methods=["POST"])
@api_bp.arguments(PublishSchema)
@api_bp.response(201, EntrySchema)
@api_bp.alt_response(422, description="invalid fields, or personal data found and not "
                                      "confirmed (`fields.personal_data` names each finding)")
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_publish(data: dict[str, Any], candidate_id: int) -> dict[str, Any]:
    """Publish a candidate as an entry (now, or scheduled with `publish_at`)."""
    entry = faq.publish(_api_editor(), candidate_id, data["question"], data["answer"],
                        data["category"], data["language"], data.get("publish_at"),
                        data["confirm_personal_data"])
    return _entry_json(entry)


@api_bp.route("/faq/candidates/<int:candidate_id>/reject", methods=["POST"])
@api_bp.arguments(RejectSchema)
@api_bp.response(200, CandidateSchema)
@api_bp.doc(security=[{"bearer": []}])
@token_required
def api_reject(data: dict[str, Any], candidate_id: int) -> dict[str, Any]:
    """Reject a candidate; the proposer sees the reason."""
    return faq.candidate_json(faq.reject(_api_editor(), candidate_id, data["reason"]))


@api_bp.route("/faq/entries", methods=["GET"])
@api_bp.arguments(EntryQuerySchema, location="query")
@api_bp.response(200, EntryListSchema)
def api_entries(args: dict[str, Any]) -> dict[str, Any]:
    """Published entries (no token needed); `q` searches, typo-tolerant.

    With an FAQ editor's token, scheduled and archived entries are included too.
    """
    from desk.faq import search
    visible_only = not _optional_editor()
    if args.get("q"):
        hits = search.search(args["q"], limit=args["limit"], visible_only=visible_only,
                             language=args.get("language"))
        by_id = {e.id: e for e in db.session.scalars(
            sa.select(FaqEntry).where(FaqEntry.id.in_([h.entry_id for h in hits])))}
        found = [by_id[h.entry_id] for h in hits if h.entry_id in by_id]
    elif visible_only:
        found = faq.public_entries(args.get("language"))[: args["limit"]]
    else:
        query = sa.select(FaqEntry).order_by(FaqEntry.id.desc()).limit(args["limit"])
        if args.get("language"):
            query = query.where(FaqEntry.language == args["language"])
        found = list(db.session.scalars(query))
    return {"items": [_entry_json(entry) for entry in found]}


def _optional_editor() -> bool:
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    person = person_for_token(token.strip())
    if person is None:
        raise errors.Unauthorized("the token is unknown, revoked or its person deactivated")
    g.api_person = person
    return faq.is_editor(person)


"""/console/unit/…: the responsible unit's portal (责任单位整改平台), phone first.

A responder sees only their own unit's issued items (server/rectification/access.py
decides), signs for them (签收), reports progress with photos, asks for extensions and
applies for closure (申请销号). Every rule lives in server/rectification and
server/evidence: forms load through the API's schemas and call the same workflow; a
refusal is shown in Chinese next to its field, and the refused write is rolled back before
the page is drawn again. The unit never sees the plans, findings or verifications behind an
item: the pages draw only what views.detail gives a responder."""

from __future__ import annotations

import uuid
from datetime import date

from flask import abort, g, redirect, render_template, request, url_for
from marshmallow import ValidationError

from server.console.kit import (
    confirmation_page,
    confirmed,
    field_errors,
    page,
    pages_blueprint,
    present,
    refusal,
)
from server.console.session import console_login_required
from server.errors import ApiError
from server.evidence.intake import accept_photo, received_photos, receives_photos
from server.evidence.queries import photo_file, visible_copy
from server.extensions import db
from server.glossary import AUDIT_ACTIONS, COLOURS, RECTIFICATION_STATUSES
from server.models import ExtensionStatus, PhotoParent, Role
from server.models import RectificationStatus as S
from server.rectification import forms, instructions, queries, views, workflow
from server.rectification.access import (
    UNIT_COPIES,
    get_responded_item,
    get_visible_item,
    item_photo_visible,
)
from server.rectification.notify import inbox
from server.rectification.reminders import summons_for
from server.rectification.schemas import (
    ClosureRequestSchema,
    ExtensionCreateSchema,
    ProgressSchema,
)
from server.settings import get_setting
from server.timeutil import local_today
from server.transaction import body_limit

bp = pages_blueprint("portal_pages", __name__)

R = Role.responder
# The list's tabs: label, and the ledger filters whose items each shows. "待签收" and
# "待销号" say what waits for the unit; the others are the glossary's own words.
TABS = {
    "issued": ("待签收", ({"status": S.issued.value},)),
    "working": (
        RECTIFICATION_STATUSES[S.in_progress],
        ({"status": S.acknowledged.value}, {"status": S.in_progress.value}),
    ),
    "closing": ("待销号", ({"status": S.closure_requested.value},)),
    "closed": (RECTIFICATION_STATUSES[S.closed], ({"status": S.closed.value},)),
    "red": (COLOURS["red"], ({"colour": "red"},)),
}
LIST_LIMIT = 200  # per filter; a unit with more is told so
# What the unit may read of an item's history (queries.UNIT_EVENTS) is named in Chinese.
# Anything else is never named.
HISTORY_LABELS = {
    action: AUDIT_ACTIONS[action]
    for action in (*queries.UNIT_EVENTS, "instruction.written", "instruction.answered")
}
DONE = {
    "acknowledged": "已签收。请按要求组织整改并及时报送进展。",
    "progress": "整改进展已报送。",
    "extension": "延期申请已提交,等待督查室审批。",
    "closure": "销号申请已提交,等待督查室审核。",
    "instruction": "批示已送达责任单位。",
    "answered": "批示已回复。",
}
# Each form and the workflow action it calls (whose ALLOWED statuses decide if it shows).
FORMS = {
    "acknowledge": "acknowledge",
    "progress": "report_progress",
    "extension": "request_extension",
    "closure": "request_closure",
}

# ---- counts and lists (all through queries.ledger, scoped to the unit) ----


def _total(user, **args) -> int:
    return queries.ledger(user, {**args, "per_page": 1})["total"]


def _tab_counts(user) -> dict[str, int]:
    return {name: sum(_total(user, **f) for f in filters) for name, (_, filters) in TABS.items()}


@bp.app_template_global("portal_overview")
def portal_overview(user) -> dict:
    """The responder's start page: what waits for them, and their latest notifications."""
    notes = inbox(user)
    return {
        "counts": _tab_counts(user),
        "notes": notes["items"][:5],
        "unread": notes["unread"],
    }


def _tab_items(user, filters) -> tuple[list[dict], int]:
    rows, total, today = [], 0, local_today()
    for args in filters:
        found = queries.ledger(user, {**args, "per_page": LIST_LIMIT}, today)
        rows += found["items"]
        total += found["total"]
    # The ledger's own order (listed first, then by deadline) across merged filters.
    rows.sort(key=lambda i: (not i.listed, i.deadline is None, i.deadline or date.max, i.code))
    marks = instructions.open_marks([i.id for i in rows], today)  # 批示 awaiting the unit
    return [{**views.summary(i, today), "instruction": marks.get(i.id)} for i in rows], total


@bp.route("/unit/items")
@console_login_required(R)
def portal_items():
    counts = _tab_counts(g.user)
    tab = request.args.get("tab")
    if tab not in TABS:
        tab = "issued" if counts["issued"] or not counts["working"] else "working"
    items, total = _tab_items(g.user, TABS[tab][1])
    return page(
        "portal/items.html",
        tabs=TABS,
        tab=tab,
        counts=counts,
        items=items,
        total=total,
    )


# ---- one item ----


def item_page(item, status: int = 200, failed: dict | None = None):
    view = views.detail(item, g.user)
    pending = any(e.status == ExtensionStatus.pending for e in view["extension_requests"])
    responder = g.user.role == R
    can = {a: responder and item.status in allowed for a, allowed in workflow.ALLOWED.items()}
    if failed and failed["form"] in FORMS:
        # A refusal whose form is no longer offered (the item moved on) is shown on top.
        form = failed["form"]
        failed["orphan"] = not can[FORMS[form]] or (form == "extension" and pending)
    return page(
        "portal/item.html",
        status,
        item=view,
        can=can,
        pending_extension=pending,
        failed=failed or {},
        done=DONE.get(request.args.get("done", "")),
        history_labels=HISTORY_LABELS,
        problem_photos=views.problem_photos(item, g.user),
        findings=item.findings if g.user.role == Role.leader else [],
        max_photos=get_setting("max_photos_per_report"),
        instruction_days=get_setting("leader_instruction_working_days"),
        today=local_today(),
    )


@bp.route("/unit/items/<uuid:item_id>")
@console_login_required(R, Role.leader)
def portal_item(item_id: uuid.UUID):
    """The unit's page of an item; the lead official (牵头领导) reads the same, without
    the unit's forms."""
    return item_page(get_visible_item(g.user, item_id))


@bp.app_template_global("item_url")
def item_url(item_id) -> str:
    """Where an item's link leads for the viewer: the office's page, or the unit's."""
    if g.user.role in (Role.supervisor, Role.admin):
        return url_for("rectification_pages.rectification_detail", item_id=item_id)
    if g.user.role == Role.inspector:
        return "/"  # a 回头看 task is in the field app
    return url_for("portal_pages.portal_item", item_id=item_id)


def _refused(item_id, form: str, values: dict, error: ApiError | None = None, errors=None):
    """Undo everything of the refused submission and draw the item again, the form's
    values kept and its errors next to their fields."""
    refused = refusal(error, form, values, errors, once=True)
    return item_page(get_visible_item(g.user, item_id), refused.status, refused.as_dict())


def _done(item_id, what: str):
    anchors = {"progress": "#reports", "closure": "#reports", "extension": "#extensions"}
    url = url_for("portal_pages.portal_item", item_id=item_id, done=what) + anchors.get(what, "")
    return redirect(url, 303)


def _load(schema, raw: dict, uploads: list) -> tuple[dict | None, dict]:
    errors = {}
    try:
        data = schema.load(raw)
    except ValidationError as error:
        data, errors = None, field_errors(error.messages)
    most = get_setting("max_photos_per_report")
    if len(uploads) > most:
        errors["photos"] = [f"每次最多上传 {most} 张照片,本次选择了 {len(uploads)} 张"]
    return data, errors


def _attach(report, uploads: list) -> None:
    """Each photo through the evidence pipeline. On a refusal the request rolls back and
    the originals already stored for it are removed (server/transaction.after_rollback)."""
    for received in uploads:
        accept_photo(received, PhotoParent.progress_report, report.id, g.user)


@bp.route("/unit/items/<uuid:item_id>/acknowledge", methods=["POST"])
@console_login_required(R)
def portal_acknowledge(item_id: uuid.UUID):
    item = get_responded_item(g.user, item_id)
    if not confirmed():
        back = url_for("portal_pages.portal_item", item_id=item_id)
        return confirmation_page(forms.confirmation("acknowledge", item.code, item.title), back)
    try:
        workflow.acknowledge(item, g.user)
    except ApiError as error:
        return _refused(item_id, "acknowledge", {}, error)
    return _done(item_id, "acknowledged")


def _submit(item_id, form: str, names: tuple, schema, action):
    """One of the unit's forms: the schema, the workflow action, then every photo sent
    with it (a progress report's, a closure request's) through the evidence pipeline; on a
    refusal nothing of it is kept."""
    item = get_responded_item(g.user, item_id)
    values = {name: request.form.get(name, "") for name in names}  # as typed, to show again
    uploads = received_photos()  # an empty file input sends a part with no file name
    data, errors = _load(schema, present(request.form, *names), uploads)
    if errors:
        return _refused(item_id, form, values, errors=errors)
    try:
        _attach(action(item, data, g.user), uploads)
    except ApiError as error:
        return _refused(item_id, form, values, error)
    return _done(item_id, form)


@bp.route("/unit/items/<uuid:item_id>/progress", methods=["POST"])
@body_limit("UPLOAD_MAX_BYTES")
@receives_photos("photos")
@console_login_required(R)
def portal_progress(item_id: uuid.UUID):
    return _submit(
        item_id, "progress", ("body", "percent"), ProgressSchema(), workflow.report_progress
    )


@bp.route("/unit/items/<uuid:item_id>/extension", methods=["POST"])
@console_login_required(R)
def portal_extension(item_id: uuid.UUID):
    names = ("requested_deadline", "reason")
    return _submit(item_id, "extension", names, ExtensionCreateSchema(), workflow.request_extension)


@bp.route("/unit/items/<uuid:item_id>/closure", methods=["POST"])
@body_limit("UPLOAD_MAX_BYTES")
@receives_photos("photos")
@console_login_required(R)
def portal_closure(item_id: uuid.UUID):
    return _submit(item_id, "closure", ("body",), ClosureRequestSchema(), workflow.request_closure)


# ---- photos, summons and notifications ----


@bp.route("/unit/photos/<uuid:photo_id>/<any(thumbnail, display, public):variant>")
@console_login_required(R, Role.leader)
def portal_photo(photo_id: uuid.UUID, variant: str):
    """A photo of one of the unit's progress reports (for the lead official: of the items
    they lead), or a problem photo of the unit's issued item, as one of its UNIT_COPIES;
    nothing else is served here (the photo rule: server/rectification/access.py)."""
    photo = visible_copy(g.user, photo_id, variant)
    report = photo.parent_type == PhotoParent.progress_report and variant != "public"
    problem = (
        photo.parent_type == PhotoParent.finding
        and variant in UNIT_COPIES
        and g.user.role == R
        and item_photo_visible(db.session, g.user, photo, copies=True)
    )
    if not (report or problem):
        abort(404)
    return photo_file(photo, variant)


@bp.route("/unit/summons")
@console_login_required(R)
def portal_summons():
    return page("portal/summons.html", summons=summons_for(g.user), notes=inbox(g.user))


@bp.route("/unit/portal.js")
def portal_script():
    """The one script of the portal ("uploading…" and a double-submit guard). Served from
    here because the site's Content-Security-Policy allows no inline script."""
    body = render_template("portal/portal.js", max_photos=get_setting("max_photos_per_report"))
    return body, 200, {"Content-Type": "text/javascript; charset=utf-8"}

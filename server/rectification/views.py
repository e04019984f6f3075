"""Items as each viewer may read them. The office (and admins) read everything; the unit,
its leader and a verifying inspector never read the plans, findings or verifications
behind an item — only what `unit_view` builds."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from server.evidence.queries import photos_of
from server.extensions import db
from server.glossary import RECTIFICATION_STATUSES
from server.models import (
    Photo,
    PhotoParent,
    Plan,
    ProgressReport,
    Rectification,
    User,
    plan_rectification,
    rectification_finding,
)
from server.rectification import instructions, queries
from server.rectification.access import item_photos_clause, sees_office_view
from server.rectification.colour import ColourRules, colour_of, red_reasons
from server.rectification.verification import verifications_of
from server.rectification.workflow import extensions_of
from server.timeutil import local_today


def ref(obj, name="name"):
    return {"id": obj.id, "name": getattr(obj, name)} if obj is not None else None


def columns(obj, names: str) -> dict:
    """The attributes of `obj` named in `names` (split on spaces), as they are."""
    return {name: getattr(obj, name) for name in names.split()}


def summary(item: Rectification, today: date) -> dict:
    return {
        **columns(
            item,
            "id code title problem region_code listed deadline deadline_confirmed return_count "
            "progress_percent last_progress_at version",
        ),
        "unit": ref(item.unit),
        "lead_official": ref(item.lead_official, "display_name"),
        "status": item.status.value,
        "status_label": RECTIFICATION_STATUSES[item.status],
        "colour": colour_of(item, today),
    }


def photo_refs(parent_type: PhotoParent, parent_ids, with_flags: bool = True) -> dict:
    return {
        parent_id: [
            {
                "id": str(p.id),
                "content_status": p.content_status.value,
                "flags": (p.flags or []) if with_flags else [],
            }
            for p in photos
        ]
        for parent_id, photos in photos_of(parent_type, parent_ids).items()
    }


def progress_reports(item: Rectification, office_view: bool = False) -> list[dict]:
    """The unit's reports. The office's checks on their photos (flags) are the office's:
    `duplicate_content`, matched against every stored photo, would tell a unit what else
    the server holds."""
    reports = list(
        db.session.scalars(
            select(ProgressReport)
            .where(ProgressReport.rectification_id == item.id)
            .order_by(ProgressReport.created_at)
        )
    )
    photos = photo_refs(PhotoParent.progress_report, [r.id for r in reports], office_view)
    return [
        {
            **columns(r, "id body percent closure created_at"),
            "author": ref(r.author, "display_name"),
            "photos": photos.get(r.id, []),
        }
        for r in reports
    ]


def _history(item: Rectification, office_view: bool) -> list[dict]:
    events = queries.history(item, office_view)
    names = queries.names_by_id(User.id, User.display_name, {e.actor_id for e in events})
    return [
        {
            "action": e.action,
            "at": e.at,
            "actor": names.get(e.actor_id),
            "from_status": (e.details or {}).get("from_status"),
            "to_status": (e.details or {}).get("to_status"),
            "reason": (e.details or {}).get("reason"),
        }
        for e in events
    ]


def detail(item: Rectification, user: User, today: date | None = None) -> dict:
    today = today or local_today()
    office_view = sees_office_view(user, item)
    orders = instructions.for_item(item, user, today)
    history = _history(item, office_view) + instructions.history_entries(orders)
    view = {
        **summary(item, today),
        **columns(
            item,
            "measures requirements responsible_person deadline_working_days report_every_days "
            "issued_at acknowledged_at closure_requested_at closed_at created_at",
        ),
        "site": columns(item.site, "id name address") if item.site else None,
        "supporting_units": [ref(u) for u in item.supporting_units],
        "red_reasons": red_reasons(item, today, ColourRules.current()),
        "progress_reports": progress_reports(item, office_view),
        "extension_requests": extensions_of(item),
        "history": sorted(history, key=lambda entry: entry["at"]),
        "instructions": orders,
    }
    if office_view:
        view.update(office_fields(item))
    return view


def office_fields(item: Rectification) -> dict:
    plan = db.session.get(Plan, item.source_plan_id) if item.source_plan_id else None
    follow_ups = db.session.scalars(
        select(Plan)
        .join(plan_rectification, plan_rectification.c.plan_id == Plan.id)
        .where(plan_rectification.c.rectification_id == item.id)
    ).all()
    verifications = verifications_of(item)
    photos = photo_refs(PhotoParent.verification, [v.id for v in verifications])
    return {
        "source_plan": plan,
        "follow_up_plans": follow_ups,
        "finding_ids": [f.id for f in item.findings],
        "verifications": [
            {
                **columns(
                    v,
                    "id instructions report opinion reported_at lat lon decision_reason "
                    "decided_at version",
                ),
                "method": v.method.value,
                "status": v.status.value,
                "inspector": ref(v.inspector, "display_name"),
                "photos": photos.get(v.id, []),
            }
            for v in verifications
        ],
    }


def problem_photos(item: Rectification, user: User) -> list[Photo]:
    """The photos of the findings behind the item whose unit copies the viewer may have
    (the responsible unit, once the item is issued: access.UNIT_COPIES)."""
    link = rectification_finding
    return list(
        db.session.scalars(
            select(Photo)
            .join(link, link.c.finding_id == Photo.parent_id)
            .where(
                link.c.rectification_id == item.id,
                Photo.parent_type == PhotoParent.finding,
                Photo.deleted_at.is_(None),
                item_photos_clause(user, copies=True),
            )
            .order_by(Photo.captured_at)
        )
    )

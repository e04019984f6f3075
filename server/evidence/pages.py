"""/console/evidence and /console/photos/…: the office's photos beside their field-truth
checks, filtered and searched, each linked back to what it belongs to; and the stored
copies of a photo the viewer may see."""

from __future__ import annotations

from flask import g

from server.console.kit import page, pages_blueprint, query_args
from server.console.session import console_login_required
from server.evidence import listing
from server.evidence.queries import inspector_names, photo_file, visible_photo
from server.evidence.schemas import EvidenceArgsSchema
from server.models import Role
from server.plans.queries import active_sites, target_units
from server.timeutil import CHINA

bp = pages_blueprint("evidence_pages", __name__)

# The filters that narrow the list (the empty state then offers to clear them).
NARROWING = (
    *("plan_id", "site_id", "unit_id", "parent_type", "content_status"),
    *("captured_from", "captured_to", "q"),
)


@bp.route("/evidence")
@console_login_required(Role.supervisor, Role.admin)
def evidence():
    """The office's photos, newest first, each next to its field-truth checks."""
    raw, args, errors = query_args(EvidenceArgsSchema())
    result = listing.photo_page(g.user, args) if args is not None else None
    photos = result["photos"] if result else []
    return page(
        "evidence/photos.html",
        422 if errors else 200,
        result=result,
        photos=photos,
        pages=-(-result["total"] // result["per_page"]) if result else 0,
        owners=listing.owners(photos),
        names=inspector_names({p.created_by_id for p in photos}),
        china=CHINA,
        filters={k: v for k, v in raw.items() if k != "page"},
        narrowed=any(k in raw for k in NARROWING),
        errors=errors,
        plans=listing.plan_choices(g.user),
        sites=active_sites(),
        units=target_units(),
    )


@bp.route("/photos/<uuid:photo_id>/<any(original, thumbnail, display, evidence, public):variant>")
@console_login_required(Role.supervisor, Role.admin)
def photo_content(photo_id, variant):
    return photo_file(visible_photo(g.user, photo_id), variant)

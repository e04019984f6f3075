"""/console/evidence and /console/photos/…: the office's recent photos beside their
field-truth checks, and the stored copies of a photo the viewer may see."""

from __future__ import annotations

from flask import g

from server.console.kit import page, pages_blueprint
from server.console.session import console_login_required
from server.evidence.queries import inspector_names, photo_file, recent_photos, visible_photo
from server.models import Role
from server.timeutil import CHINA

bp = pages_blueprint("evidence_pages", __name__)


@bp.route("/evidence")
@console_login_required(Role.supervisor, Role.admin)
def evidence():
    """Recent photos of the office's plans, each next to its field-truth checks."""
    photos = recent_photos(g.user)
    names = inspector_names({p.created_by_id for p in photos})
    return page("evidence/photos.html", photos=photos, names=names, china=CHINA)


@bp.route("/photos/<uuid:photo_id>/<any(original, thumbnail, display, evidence, public):variant>")
@console_login_required(Role.supervisor, Role.admin)
def photo_content(photo_id, variant):
    return photo_file(visible_photo(g.user, photo_id), variant)

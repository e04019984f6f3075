"""/api/photos/<id>: a photo's record with its field-truth checks, its original (download
only) and its derived copies. A photo the caller may not see is a 404."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from server.auth.guards import api_login_required
from server.evidence.queries import photo_file, visible_copy, visible_photo
from server.schemas import BaseSchema, ErrorSchema
from server.sync_api.registry import registry

blp = Blueprint("photos", __name__, url_prefix="/api/photos", description="影像证据")


class PhotoSchema(BaseSchema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    data = fields.Dict(required=True, metadata={"description": "as in sync pull, with flags"})


@blp.route("/<uuid:photo_id>")
@api_login_required(blp)
@blp.response(200, PhotoSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such photo for this user")
def photo_record(photo_id):
    """The photo record: EXIF witness, distance to the site and flags."""
    photo = visible_photo(current_user, photo_id)
    return {
        "id": str(photo.id),
        "version": photo.version,
        "data": registry["photo"].serialize(photo),
    }


@blp.route("/<uuid:photo_id>/<any(original, thumbnail, display, evidence, public):variant>")
@api_login_required(blp)
@blp.response(200, description="original: the exact bytes as a download; others: JPEG")
@blp.alt_response(404, schema=ErrorSchema, description="No such photo for this user")
@blp.alt_response(409, schema=ErrorSchema, description="Content not uploaded or processed")
def photo_content(photo_id, variant):
    """original (byte for byte, attachment), thumbnail (≤ 400 px), display (≤ 2048 px),
    evidence (watermarked caption), public (no metadata, no inspector identity). A
    responsible unit gets the thumbnail and public copies of its issued items' problem
    photos."""
    return photo_file(visible_copy(current_user, photo_id, variant), variant)

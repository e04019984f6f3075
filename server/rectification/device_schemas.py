"""Items and verifications as devices pull them, and the one thing a device pushes: the
inspector's report on a follow-up visit (server/rectification/sync.py). The same family
as the API's forms in schemas.py (ItemDetailFields, SiteRefSchema)."""

from __future__ import annotations

from marshmallow import fields, validate

from server.rectification.schemas import ItemDetailFields, SiteRefSchema
from server.schemas import BaseSchema
from server.sync_api.fields import Accuracy, Lat, Lon


class PlaceSchema(SiteRefSchema):
    """Where an item's site is, for a device to go there offline."""

    lat = fields.Float()
    lon = fields.Float()
    radius_m = fields.Integer()


class ItemDeviceSchema(ItemDetailFields):
    """An issued item as devices pull it: the same payload for every viewer, so only what
    the unit may read."""

    unit_id = fields.UUID()
    supporting_unit_ids = fields.Function(lambda item: [str(u.id) for u in item.supporting_units])
    site = fields.Nested(PlaceSchema, allow_none=True)
    lead_official = fields.Function(
        lambda item: item.lead_official.display_name if item.lead_official else None
    )
    # Red on and after this day (null: not on a red course); see the ledger docs.
    red_from = fields.Date(allow_none=True)


class VerificationReportData(BaseSchema):
    """The inspector's report on a follow-up visit (回头看); the only fields a device may
    change on a verification."""

    report = fields.String(validate=validate.Length(max=4000))
    opinion = fields.String(allow_none=True, validate=validate.OneOf(["passed", "failed"]))
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy


class OriginalPhotoSchema(BaseSchema):
    id = fields.UUID()
    captured_at = fields.DateTime()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)


class VerificationDeviceSchema(VerificationReportData):
    """A follow-up visit as the inspector's device pulls it, with what it needs offline
    from its item (the handler adds the original photos)."""

    rectification_id = fields.UUID()
    code = fields.String(attribute="rectification.code")
    title = fields.String(attribute="rectification.title")
    problem = fields.String(attribute="rectification.problem")
    measures = fields.String(attribute="rectification.measures")
    requirements = fields.String(attribute="rectification.requirements")
    site = fields.Nested(PlaceSchema, attribute="rectification.site", allow_none=True)
    method = fields.String()
    status = fields.String()
    inspector_id = fields.UUID(allow_none=True)
    instructions = fields.String()
    reported_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)

"""What devices push for a 回头看 report on a verification (updates are partial)."""

from __future__ import annotations

from marshmallow import fields, validate

from server.schemas import BaseSchema
from server.sync_api.fields import Accuracy, Lat, Lon


class VerificationReportData(BaseSchema):
    """The inspector's report on a follow-up visit (回头看); the only fields a device may
    change on a verification."""

    report = fields.String(validate=validate.Length(max=4000))
    opinion = fields.String(allow_none=True, validate=validate.OneOf(["passed", "failed"]))
    lat = Lat
    lon = Lon
    accuracy_m = Accuracy

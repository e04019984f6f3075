"""Unit, region and site payloads: the console's forms and each imported row load through
these same schemas, so a typed form and a spreadsheet row are refused alike."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, pre_load, validate, validates

from server import regions
from server.models import UnitKind
from server.schemas import BaseSchema
from server.settings import SETTINGS

UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")
UNIT_CODE_ERROR = "单位代码为1至40位字母、数字或 - _ .,以字母或数字开头"
RADIUS = SETTINGS["geofence_radius_m"]  # a site's own radius keeps within the setting's range


def _region_code(value: str) -> None:
    if not regions.is_region_code(value):
        raise ValidationError(regions.ERROR)


def _text(max_len: int, required: bool = True, **kwargs) -> fields.String:
    length = validate.Length(min=1 if required else 0, max=max_len)
    return fields.String(required=required, validate=length, **kwargs)


class TrimmedSchema(BaseSchema):
    @pre_load
    def trim(self, data, **kwargs):
        """Spaces around a typed or imported value are not part of it (a full-width one
        from a Chinese input method neither); an empty value is an absent one."""
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip().strip("\u3000")
                if value == "":
                    continue
            out[key] = value
        return out


class UnitSchema(TrimmedSchema):
    code = _text(40)
    name = _text(120)
    region_code = fields.String(required=True, validate=_region_code)
    kind = fields.String(
        required=True,
        validate=validate.OneOf([k.value for k in UnitKind], error="单位类型无效"),
    )
    parent_id = fields.UUID(load_default=None)

    @validates("code")
    def code_shape(self, value, **kwargs):
        if not UNIT_CODE.match(value):
            raise ValidationError(UNIT_CODE_ERROR)


class RegionSchema(TrimmedSchema):
    code = fields.String(required=True, validate=_region_code)
    name = _text(60)


class SiteSchema(TrimmedSchema):
    name = _text(200)
    address = _text(300, required=False, load_default="")
    lat = fields.Float(
        required=True,
        validate=validate.Range(min=-90, max=90, error="纬度须在 -90 与 90 之间"),
    )
    lon = fields.Float(
        required=True,
        validate=validate.Range(min=-180, max=180, error="经度须在 -180 与 180 之间"),
    )
    radius_m = fields.Integer(
        load_default=None,
        validate=validate.Range(
            min=RADIUS.minimum,
            max=RADIUS.maximum,
            error=f"围栏半径须在 {RADIUS.minimum:g} 与 {RADIUS.maximum:g} 米之间",
        ),
    )
    unit_id = fields.UUID(required=True)
    # Empty: the site lies in its unit's region.
    region_code = fields.String(load_default=None, validate=_region_code)


class ListArgsSchema(TrimmedSchema):
    q = _text(100, required=False)
    status = fields.String(validate=validate.OneOf(["active", "inactive", "all"]))
    unit_id = fields.UUID()
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))

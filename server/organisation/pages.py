"""/console/units, /console/regions, /console/sites: an admin's lists (search, paging),
add and edit forms, deactivation and reactivation. The forms load through the schemas of
server/organisation/schemas.py and call the same operations an import does; a refusal is
drawn again next to its field in Chinese with what was typed kept. Supervisors and the
other roles have no access: DOMAIN.md gives units and sites to the administrator.

A site's place is typed as WGS-84 coordinates, or picked on the map (map.js, pick mode:
a click fills the two fields); without JavaScript the fields are all there is."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.console.kit import keep, page, pages_blueprint, present, query_args, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.glossary import UNIT_KINDS
from server.models import Role
from server.organisation import operations, queries
from server.organisation.schemas import ListArgsSchema, RegionSchema, SiteSchema, UnitSchema
from server.settings import get_setting

bp = pages_blueprint("organisation_pages", __name__)

admin_only = console_login_required(Role.admin)
UNIT_FORM = ("code", "name", "region_code", "kind", "parent_id")
SITE_FORM = ("name", "address", "unit_id", "region_code", "lat", "lon", "radius_m")


@bp.app_template_global("region_label")
def region_label(code: str | None) -> str:
    """A region code with its name when it has one: 龙山镇(522730100)."""
    if not code:
        return "—"
    names = g.get("region_names")
    if names is None:
        names = g.region_names = queries.region_names()
    name = names.get(code)
    return f"{name}({code})" if name else code


def _version() -> int | None:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else None


def _list(template: str, lister, **extra):
    raw, args, errors = query_args(ListArgsSchema())
    result = lister(args) if args is not None else None
    filters = {k: v for k, v in raw.items() if k != "page"}
    return page(
        template, 422 if errors else 200, result=result, filters=filters, errors=errors, **extra
    )


def _toggle(record, setter, endpoint: str, what: str):
    active = request.form.get("active") == "1"
    setter(record, active, g.user)
    flash(f"{what}“{record.name}”已{'启用' if active else '停用'}")
    return redirect(url_for(endpoint), 303)


# ---- units ----


@bp.route("/units")
@admin_only
def unit_list():
    return _list("organisation/units.html", queries.list_units)


def _unit_form(unit=None, values=None, refused=None):
    parents = [u for u in queries.unit_choices() if unit is None or u.id != unit.id]
    if unit is not None:
        parents = keep(parents, [unit.parent])
    return page(
        "organisation/unit_form.html",
        refused.status if refused else 200,
        unit=unit,
        values=values or {},
        errors=refused.errors if refused else {},
        message=refused.message if refused else None,
        parents=parents,
        kinds=UNIT_KINDS,
        regions=queries.region_choices(),
    )


def _unit_values(unit) -> dict:
    values = {k: getattr(unit, k) for k in ("code", "name", "region_code")}
    values.update(kind=unit.kind.value, parent_id=str(unit.parent_id or ""))
    return values | {"version": unit.version}


@bp.route("/units/new")
@admin_only
def unit_new():
    return _unit_form(values={"kind": "department"})


@bp.route("/units/new", methods=["POST"])
@admin_only
def unit_create():
    values = {k: request.form.get(k, "") for k in UNIT_FORM}
    try:
        unit = operations.create_unit(UnitSchema().load(present(request.form, *UNIT_FORM)), g.user)
    except (ValidationError, ApiError) as error:
        return _unit_form(None, values, refusal(error, "unit", values, once=True))
    flash(f"已添加单位“{unit.name}”")
    return redirect(url_for("organisation_pages.unit_list", q=unit.code), 303)


@bp.route("/units/<uuid:unit_id>")
@admin_only
def unit_edit(unit_id):
    unit = operations.get_unit(unit_id)
    return _unit_form(unit, _unit_values(unit))


@bp.route("/units/<uuid:unit_id>", methods=["POST"])
@admin_only
def unit_update(unit_id):
    unit = operations.get_unit(unit_id)
    values = {k: request.form.get(k, "") for k in UNIT_FORM} | {"version": _version()}
    try:
        data = UnitSchema().load(present(request.form, *UNIT_FORM))
        changed = operations.update_unit(unit, data, g.user, _version())
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "unit", values, once=True)
        return _unit_form(operations.get_unit(unit_id), values, refused)
    flash(f"单位“{unit.name}”已保存" if changed else "没有修改")
    return redirect(url_for("organisation_pages.unit_list", q=unit.code), 303)


@bp.route("/units/<uuid:unit_id>/active", methods=["POST"])
@admin_only
def unit_active(unit_id):
    unit = operations.get_unit(unit_id)
    return _toggle(unit, operations.set_unit_active, "organisation_pages.unit_list", "单位")


# ---- regions ----


@bp.route("/regions")
@admin_only
def region_list():
    return _list("organisation/regions.html", queries.list_regions)


def _region_form(region=None, values=None, refused=None):
    return page(
        "organisation/region_form.html",
        refused.status if refused else 200,
        region=region,
        values=values or {},
        errors=refused.errors if refused else {},
        message=refused.message if refused else None,
    )


@bp.route("/regions/new")
@admin_only
def region_new():
    return _region_form(values={"code": request.args.get("code", "")[:12]})


@bp.route("/regions/new", methods=["POST"])
@admin_only
def region_create():
    values = {k: request.form.get(k, "") for k in ("code", "name")}
    try:
        region = operations.create_region(
            RegionSchema().load(present(request.form, "code", "name")), g.user
        )
    except (ValidationError, ApiError) as error:
        return _region_form(None, values, refusal(error, "region", values, once=True))
    flash(f"已添加区划“{region.name}”")
    return redirect(url_for("organisation_pages.region_list", q=region.code), 303)


@bp.route("/regions/<region_code>")
@admin_only
def region_edit(region_code):
    region = operations.get_region(region_code)
    return _region_form(region, {"code": region.code, "name": region.name})


@bp.route("/regions/<region_code>", methods=["POST"])
@admin_only
def region_update(region_code):
    region = operations.get_region(region_code)
    values = {"code": region.code, "name": request.form.get("name", "")}
    try:
        data = RegionSchema().load({"code": region.code, **present(request.form, "name")})
        changed = operations.rename_region(region, data["name"], g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "region", values, once=True)
        return _region_form(operations.get_region(region_code), values, refused)
    flash(f"区划“{region.name}”已保存" if changed else "没有修改")
    return redirect(url_for("organisation_pages.region_list", q=region.code), 303)


# ---- sites ----


@bp.route("/sites")
@admin_only
def site_list():
    return _list("organisation/sites.html", queries.list_sites, units=queries.unit_choices())


def _site_form(site=None, values=None, refused=None):
    units = queries.unit_choices()
    if site is not None:
        units = keep(units, [site.unit])
    return page(
        "organisation/site_form.html",
        refused.status if refused else 200,
        site=site,
        values=values or {},
        errors=refused.errors if refused else {},
        message=refused.message if refused else None,
        units=units,
        regions=queries.region_choices(),
        default_radius=get_setting("geofence_radius_m"),
    )


def _site_values(site) -> dict:
    values = {k: getattr(site, k) for k in ("name", "address", "region_code", "radius_m")}
    values.update(lat=repr(site.lat), lon=repr(site.lon), unit_id=str(site.unit_id))
    return values | {"version": site.version}


@bp.route("/sites/new")
@admin_only
def site_new():
    return _site_form(values={"unit_id": request.args.get("unit_id", "")})


@bp.route("/sites/new", methods=["POST"])
@admin_only
def site_create():
    values = {k: request.form.get(k, "") for k in SITE_FORM}
    try:
        site = operations.create_site(SiteSchema().load(present(request.form, *SITE_FORM)), g.user)
    except (ValidationError, ApiError) as error:
        return _site_form(None, values, refusal(error, "site", values, once=True))
    flash(f"已添加点位“{site.name}”")
    return redirect(url_for("organisation_pages.site_list", q=site.name), 303)


@bp.route("/sites/<uuid:site_id>")
@admin_only
def site_edit(site_id):
    site = operations.get_site(site_id)
    return _site_form(site, _site_values(site))


@bp.route("/sites/<uuid:site_id>", methods=["POST"])
@admin_only
def site_update(site_id):
    site = operations.get_site(site_id)
    values = {k: request.form.get(k, "") for k in SITE_FORM} | {"version": _version()}
    try:
        data = SiteSchema().load(present(request.form, *SITE_FORM))
        changed = operations.update_site(site, data, g.user, _version())
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "site", values, once=True)
        return _site_form(operations.get_site(site_id), values, refused)
    flash(f"点位“{site.name}”已保存" if changed else "没有修改")
    return redirect(url_for("organisation_pages.site_list", q=site.name), 303)


@bp.route("/sites/<uuid:site_id>/active", methods=["POST"])
@admin_only
def site_active(site_id):
    site = operations.get_site(site_id)
    return _toggle(site, operations.set_site_active, "organisation_pages.site_list", "点位")

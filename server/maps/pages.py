"""/console/map…: sites, check-ins, findings and items on a map, and the base map file.

The points come from server/maps/queries.py (scoped by the domains' access rules) in
WGS-84 and are converted here, at the edge, for the base map's datum (coords.py,
ZHICHA_MAP_DATUM). The base map is either online raster tiles (ZHICHA_MAP_TILE_URL, whose
origin this page alone adds to its Content-Security-Policy) or a PMTiles file in the
instance folder served with HTTP range requests; with neither the points are drawn on a
plain background. docs/map.md says how an administrator provides one."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    g,
    jsonify,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)
from markupsafe import Markup
from marshmallow import ValidationError
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from server import content_security_policy, glossary
from server.console.kit import field_errors, page, pages_blueprint
from server.console.session import console_login_required
from server.errors import envelope
from server.maps import queries
from server.maps.coords import for_base_map
from server.maps.schemas import LAYERS, MapArgsSchema

bp = pages_blueprint("map_pages", __name__)

LAYER_LABELS = {"site": "点位", "visit": "签到", "finding": "问题", "item": "整改事项"}
LIST_MAX = 300  # per layer, in the page's list of the points (the map itself takes more)
NO_BASEMAP = "底图文件不存在:请管理员将 PMTiles 底图放在实例目录(见 docs/map.md)"


def basemap_path() -> Path:
    """ZHICHA_MAP_PMTILES, or basemap.pmtiles in the instance folder."""
    configured = current_app.config.get("MAP_PMTILES")
    return Path(configured) if configured else Path(current_app.instance_path) / "basemap.pmtiles"


def tile_origin(url: str) -> str:
    """The scheme and host (with its port) the tiles come from, for this page's CSP."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _base_map() -> dict:
    tiles = current_app.config.get("MAP_TILE_URL") or ""
    if tiles:
        origin = tile_origin(tiles)
        return {
            "kind": "tiles",
            "url": tiles,
            "csp": {"img-src": [origin], "connect-src": [origin]},
        }
    if basemap_path().is_file():
        return {"kind": "pmtiles", "url": url_for("map_pages.basemap")}
    return {"kind": "none", "url": ""}


def _layers_from(raw: dict) -> dict:
    """`layers` arrives as one comma-separated value (or as ?layers= repeated)."""
    out = dict(raw)
    if "layers" in out:
        out["layers"] = [part for part in out["layers"].split(",") if part]
    return out


def _filters() -> tuple[dict, dict | None, dict]:
    """The query string through the schema: (raw, args or None, field errors)."""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    layers = [v.strip() for v in request.args.getlist("layers") if v.strip()]
    if len(layers) > 1:  # the form's check boxes: ?layers=site&layers=item
        raw["layers"] = ",".join(layers)
    try:
        return raw, MapArgsSchema().load(_layers_from(raw)), {}
    except ValidationError as error:
        return raw, None, field_errors(error.messages)


@bp.route("/map")
@console_login_required(*queries.VIEWERS)
def map_page():
    raw, args, errors = _filters()
    base_map = _base_map()
    datum = current_app.config["MAP_DATUM"]
    # The points as a list too, from the same query as the GeoJSON: for readers without
    # JavaScript and for screen readers (the canvas says nothing to them).
    listing = None
    if args is not None:
        listing = feature_collection(queries.map_points(g.user, args, limit=LIST_MAX), datum)
    body, status = page(
        "maps/map.html",
        422 if errors else 200,
        filters=raw,
        errors=errors,
        choices=queries.filter_choices(g.user),
        kinds=glossary.PLAN_KINDS,
        layer_labels=LAYER_LABELS,
        layers=LAYERS,
        base_map=base_map,
        datum=datum,
        listing=listing,
        list_max=LIST_MAX,
    )
    response = make_response(body, status)
    if base_map.get("csp"):  # this page only: the tile server's origin
        response.headers["Content-Security-Policy"] = content_security_policy(base_map["csp"])
    return response


def feature_collection(layers: queries.Layers, datum: str) -> dict:
    features = []
    for point in layers.points:
        lat, lon = for_base_map(point.lat, point.lon, datum)
        endpoint, values = point.link
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {
                    "layer": point.layer,
                    "layer_label": LAYER_LABELS[point.layer],
                    "id": point.id,
                    "colour": point.colour or "none",
                    "colour_label": glossary.COLOURS.get(point.colour or "", "未上台账"),
                    "title": point.title,
                    "detail": point.detail,
                    "url": url_for(endpoint, **values),
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "datum": datum,
        "truncated": layers.truncated,
    }


@bp.app_template_global("site_map")
def site_map(site_id, unit_id=None, colour: str | None = None) -> Markup:
    """A small map of one site, for another domain's page (an item's): the same base map
    as the map page, the point in its datum, and a link to the map page filtered to the
    unit. Empty for a reader the map page would refuse, or without a site."""
    user = g.get("user")
    site = queries.site_point(site_id) if user and user.role in queries.VIEWERS else None
    if site is None:
        return Markup("")
    base_map = _base_map()
    if base_map.get("csp"):
        g.map_csp = base_map["csp"]  # widened for this answer in map_csp() below
    datum = current_app.config["MAP_DATUM"]
    lat, lon = for_base_map(site.lat, site.lon, datum)
    return Markup(
        render_template(
            "maps/_site_map.html",
            site=site,
            point=f"{round(lon, 7)},{round(lat, 7)}",
            colour=colour if colour in ("red", "yellow", "green") else "none",
            unit_id=unit_id,
            base_map=base_map,
            datum=datum,
        )
    )


@bp.app_template_global("map_base")
def map_base() -> dict:
    """The base map for another domain's page that draws its own map (a site's form, to
    pick a place): kind, url and datum. Online tiles widen this answer's policy."""
    base_map = _base_map()
    if base_map.get("csp"):
        g.map_csp = base_map["csp"]
    return {**base_map, "datum": current_app.config["MAP_DATUM"]}


@bp.app_template_global("map_point")
def map_point(lat, lon) -> str:
    """A stored (WGS-84) point as "lon,lat" in the base map's datum; "" when it is not a
    point (a form's half-typed value)."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return ""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    lat, lon = for_base_map(lat, lon, current_app.config["MAP_DATUM"])
    return f"{round(lon, 7)},{round(lat, 7)}"


@bp.after_app_request
def map_csp(response):
    """A page that drew a small map over online tiles lets in the tile server's origin
    (runs after the app's own security headers, which set the default policy)."""
    extra = g.pop("map_csp", None)
    if extra:
        response.headers["Content-Security-Policy"] = content_security_policy(extra)
    return response


@bp.route("/map/features")
@console_login_required(*queries.VIEWERS)
def map_features():
    """The map's points as GeoJSON, under the page's filters (422 on a bad one)."""
    _, args, errors = _filters()
    if args is None:
        # JSON whatever the Accept header: this URL is only ever read by the map's script
        return envelope(422, "validation_error", "筛选条件有误", {"fields": errors})
    datum = current_app.config["MAP_DATUM"]
    return jsonify(feature_collection(queries.map_points(g.user, args), datum))


@bp.route("/map/basemap.pmtiles")
@console_login_required(*queries.VIEWERS)
def basemap():
    """The offline base map, in byte ranges as the pmtiles library asks (206, 416)."""
    path = basemap_path()
    if not path.is_file():
        return Response(NO_BASEMAP, status=404, mimetype="text/plain")
    try:
        response = send_file(path, mimetype="application/vnd.pmtiles", conditional=True)
    except RequestedRangeNotSatisfiable:  # answered here: the error page would drop the size
        size = path.stat().st_size
        return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response

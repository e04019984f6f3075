"""Field-truth checks (直插现场): recomputed on the server, never trusted from the device.

The device location at capture is the location of record; EXIF, when a file still has it,
is a second witness (exif_location_mismatch), never the distance. Thresholds are rule
settings (server/settings.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from geopy.distance import geodesic
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Finding, Photo, Plan, Site, Visit
from server.rectification.access import photo_item
from server.settings import get_setting
from server.sync_api.cache import cached_get
from server.timeutil import CHINA

FLAGS = (
    "outside_geofence",
    "low_accuracy",
    "exif_location_mismatch",
    "outside_plan_window",
    "clock_skew",
    "impossible_speed",
    "from_gallery",
    "duplicate_content",
)


def metres(lat1, lon1, lat2, lon2) -> float:
    return geodesic((lat1, lon1), (lat2, lon2)).meters


def _has_location(record) -> bool:
    return record.lat is not None and record.lon is not None


def _place_flags(record, site: Site | None, plan: Plan | None, when: datetime) -> set[str]:
    """Flags shared by visits and photos; sets distance_to_site_m."""
    flags = set()
    record.distance_to_site_m = None
    if site is not None and _has_location(record):
        record.distance_to_site_m = round(metres(record.lat, record.lon, site.lat, site.lon), 1)
        if record.distance_to_site_m > site.radius_m:
            flags.add("outside_geofence")
    if record.accuracy_m is not None and record.accuracy_m > get_setting("low_accuracy_m"):
        flags.add("low_accuracy")
    if plan is not None:
        day = when.astimezone(CHINA).date()
        if not plan.window_start <= day <= plan.window_end:
            flags.add("outside_plan_window")
    offset = record.device_clock_offset_s
    if offset is not None and abs(offset) > get_setting("clock_skew_s"):
        flags.add("clock_skew")
    return flags


def clock_offset(device_time: datetime | None, received_at: datetime) -> float | None:
    return (device_time - received_at).total_seconds() if device_time else None


def evaluate_visit(session: Session, visit: Visit) -> None:
    with session.no_autoflush:  # written once, with its flags
        site = cached_get(session, Site, visit.site_id)
        plan = cached_get(session, Plan, visit.plan_id)
        visit.flags = sorted(_place_flags(visit, site, plan, visit.arrived_at))


def photo_site(session: Session, photo: Photo) -> Site | None:
    """The site a photo should have been taken at: its finding's or visit's, or for a
    progress report or verification, the rectification item's."""
    parent_model = {"finding": Finding, "visit": Visit}.get(str(photo.parent_type))
    if parent_model:
        parent = cached_get(session, parent_model, photo.parent_id)
    else:
        parent = photo_item(session, photo)
    site_id = getattr(parent, "site_id", None)
    return cached_get(session, Site, site_id) if site_id else None


def evaluate_photo(session: Session, photo: Photo, exif_taken_at: datetime | None = None):
    """Set distance_to_site_m and flags; returns neighbours whose flags changed too.
    (No autoflush: a photo being created is written once, with its flags, at version 1.)"""
    with session.no_autoflush:
        return _evaluate_photo(session, photo, exif_taken_at)


def _evaluate_photo(session: Session, photo: Photo, exif_taken_at: datetime | None):
    # Only the plan's own columns are needed: get (from the identity map when a push has it),
    # not cached_get, which loads its team and sites too.
    plan = session.get(Plan, photo.plan_id) if photo.plan_id else None
    flags = _place_flags(photo, photo_site(session, photo), plan, photo.captured_at)
    exif_known = photo.exif_lat is not None and photo.exif_lon is not None
    limit = get_setting("exif_mismatch_m")
    if (
        exif_known
        and _has_location(photo)
        and metres(photo.lat, photo.lon, photo.exif_lat, photo.exif_lon) > limit
    ):
        flags.add("exif_location_mismatch")
    if photo.capture_source == "gallery":
        flags.add("from_gallery")
    elif exif_taken_at is not None and photo.captured_at - exif_taken_at > timedelta(
        seconds=get_setting("clock_skew_s")
    ):
        flags.add("from_gallery")  # the file was made well before the capture
    if session.scalar(
        select(Photo.id)
        .where(Photo.sha256 == photo.sha256, Photo.id != photo.id, Photo.deleted_at.is_(None))
        .limit(1)
    ):
        flags.add("duplicate_content")
    changed = []
    for neighbour in _neighbours(session, photo):
        if _too_fast(photo, neighbour):
            flags.add("impossible_speed")
            if "impossible_speed" not in (neighbour.flags or []):
                neighbour.flags = sorted({*(neighbour.flags or []), "impossible_speed"})
                changed.append(neighbour)
    photo.flags = sorted(flags | ({"impossible_speed"} & set(photo.flags or [])))
    return changed


def _neighbours(session: Session, photo: Photo) -> list[Photo]:
    """The same inspector's captures just before and just after this one."""
    if not _has_location(photo):
        return []
    mine = select(Photo).where(
        Photo.created_by_id == photo.created_by_id,
        Photo.id != photo.id,
        Photo.deleted_at.is_(None),
        Photo.lat.is_not(None),
        Photo.lon.is_not(None),
    )
    before = session.scalar(
        mine.where(Photo.captured_at <= photo.captured_at).order_by(Photo.captured_at.desc())
    )
    after = session.scalar(
        mine.where(Photo.captured_at > photo.captured_at).order_by(Photo.captured_at)
    )
    return [p for p in (before, after) if p is not None]


def _too_fast(a: Photo, b: Photo) -> bool:
    km = metres(a.lat, a.lon, b.lat, b.lon) / 1000
    hours = max(abs((a.captured_at - b.captured_at).total_seconds()), 1) / 3600
    return km / hours > get_setting("max_speed_kmh")

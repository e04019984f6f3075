"""What the photo's metadata says: EXIF (GPS, DateTimeOriginal with its offset, Make,
Model, Orientation), each field read on its own (a broken one is None, never an error);
XMP `exif:DateTimeOriginal` / GPS are the fallback when the EXIF block is unusable."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image

from server.evidence.imaging.decoding import DEFAULT_MAX_PIXELS, LOCK, ImageRefused, open_image


@dataclass(frozen=True)
class ExifInfo:
    """What the photo's metadata says (nothing here is verified: it is the camera's word).

    lat/lon: WGS-84 decimal degrees, south/west negative; None when absent, unreadable,
    out of range or exactly 0/0 (what cameras write without a fix). altitude: metres,
    negative below sea level. taken_at: DateTimeOriginal; **timezone-aware** when the file
    gave its offset (EXIF OffsetTimeOriginal, or a 'Z'/offset in the XMP fallback), else
    **naive** = the camera's local clock, zone unknown. orientation: the EXIF value 1-8 as
    recorded in the file (for HEIF informational only: the container's transform is what
    is applied when decoding)."""

    lat: float | None = None
    lon: float | None = None
    altitude: float | None = None
    taken_at: datetime | None = None
    make: str | None = None
    model: str | None = None
    orientation: int | None = None


def read_exif(path: str | os.PathLike) -> ExifInfo:
    """The photo's EXIF (XMP as fallback). Never fails on content: a file that is not a
    supported image, or is too large to open, gives an empty ExifInfo."""
    path = Path(path)
    try:
        with LOCK:
            im, fmt, _ = open_image(path, DEFAULT_MAX_PIXELS)
    except ImageRefused:
        return ExifInfo()
    with im:
        return exif_of(im, fmt)


def _safely(fn, *args):
    try:
        return fn(*args)
    except Exception:  # a broken field is ignored on its own
        return None


def exif_of(im: Image.Image, fmt: str) -> ExifInfo:
    """The metadata of an opened image (of format `fmt`), each field on its own."""
    try:
        exif = im.getexif()
    except Exception:
        exif = Image.Exif()

    def ifd(tag: int) -> dict:
        try:
            return dict(exif.get_ifd(tag))
        except Exception:
            return {}

    ifd0 = {key: _safely(exif.get, key) for key in (0x010F, 0x0110, 0x0112)}
    exif_ifd = ifd(0x8769)
    gps = ifd(0x8825)

    lat = _safely(_gps_coordinate, gps.get(2), gps.get(1), "NS", 90)
    lon = _safely(_gps_coordinate, gps.get(4), gps.get(3), "EW", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        lat = lon = None
    altitude = _safely(_gps_altitude, gps.get(6), gps.get(5))
    taken_at = _safely(_exif_datetime, exif_ifd.get(0x9003), exif_ifd.get(0x9011))

    xmp = _safely(_xmp_text, im.info)
    if xmp and taken_at is None:
        taken_at = _safely(_xmp_datetime, xmp, "DateTimeOriginal")
    if xmp and lat is None:
        xlat = _safely(_xmp_coordinate, xmp, "GPSLatitude", "NS", 90)
        xlon = _safely(_xmp_coordinate, xmp, "GPSLongitude", "EW", 180)
        if xlat is not None and xlon is not None and (xlat, xlon) != (0, 0):
            lat, lon = xlat, xlon

    orientation = _safely(_orientation, ifd0[0x0112])
    if fmt == "HEIF":  # pillow-heif reset the EXIF value to 1 after reading it
        orientation = _safely(_orientation, im.info.get("original_orientation")) or orientation
    return ExifInfo(
        lat=lat,
        lon=lon,
        altitude=altitude,
        taken_at=taken_at,
        make=_safely(_text, ifd0[0x010F]),
        model=_safely(_text, ifd0[0x0110]),
        orientation=orientation,
    )


def _number(value) -> float | None:
    """A finite float from an EXIF rational/int; 0/0 (written for "unknown") is 0."""
    numerator = getattr(value, "numerator", None)
    denominator = getattr(value, "denominator", None)
    if denominator == 0:
        return 0.0 if numerator == 0 else None
    number = float(value)
    return number if math.isfinite(number) else None


def _ref(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return str(value or "").strip("\x00 ").upper()[:1]


def _gps_coordinate(value, ref, refs: str, limit: float) -> float | None:
    if value is None:
        return None
    parts = list(value) if isinstance(value, list | tuple) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(p) for p in parts]
    if any(n is None or n < 0 for n in numbers):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    sign = _ref(ref)
    if sign not in ("", *refs):  # missing ref: taken as N/E
        return None
    if sign == refs[1]:
        degrees = -degrees
    return degrees if abs(degrees) <= limit else None


def _gps_altitude(value, ref) -> float | None:
    if value is None:
        return None
    altitude = _number(value)
    if altitude is None or abs(altitude) > 100_000:
        return None
    if isinstance(ref, bytes):
        ref = ref[:1] and ref[0]
    return -altitude if ref == 1 else altitude


_EXIF_DT = re.compile(r"(\d{4})[:\-](\d{2})[:\-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})\s*(Z?)")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).replace("\x00", "").strip()
    return text[:200] or None


def _offset(value) -> timezone | None:
    text = _text(value)
    if not text:
        return None
    if text == "Z":
        return UTC
    match = _OFFSET.fullmatch(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _exif_datetime(value, offset) -> datetime | None:
    text = _text(value)
    match = _EXIF_DT.match(text or "")
    if not match:
        return None
    taken = datetime(*(int(g) for g in match.groups()[:6]))
    zone = UTC if match.group(7) else _safely(_offset, offset)
    return taken.replace(tzinfo=zone) if zone else taken


def _orientation(value) -> int | None:
    if value is None:
        return None
    number = int(value)
    return number if 1 <= number <= 8 else None


def _xmp_text(info: dict) -> str | None:
    raw = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if not raw:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return str(raw)[:1_000_000]


def _xmp_value(xmp: str, name: str) -> str | None:
    match = re.search(rf'exif:{name}\s*=\s*"([^"]*)"|<exif:{name}>([^<]*)</exif:{name}>', xmp)
    return (match.group(1) or match.group(2)).strip() if match else None


def _xmp_datetime(xmp: str, name: str) -> datetime | None:
    value = _xmp_value(xmp, name)
    if not value or "T" not in value:
        return None
    taken = datetime.fromisoformat(value)
    return taken.replace(microsecond=0)


def _xmp_coordinate(xmp: str, name: str, refs: str, limit: float) -> float | None:
    """XMP GPS: "DDD,MM,SSk" or "DDD,MM.mmk" (k = N/S/E/W)."""
    value = _xmp_value(xmp, name)
    if not value or value[-1].upper() not in refs:
        return None
    parts = [float(p) for p in value[:-1].split(",")]
    if not 1 <= len(parts) <= 3 or any(not math.isfinite(p) or p < 0 for p in parts):
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))
    if value[-1].upper() == refs[1]:
        degrees = -degrees
    return degrees if abs(degrees) <= limit else None

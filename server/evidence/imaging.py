"""Photo processing for field evidence: format check, EXIF, derived copies.

Pure functions on files: this module imports Pillow, pillow-heif and `fonts` only (no
Flask, no database). The web workers never call `process_photo` themselves: they go
through `server.evidence.worker.process_in_subprocess`, which runs it in a child process
with a memory limit and a wall-clock timeout, so a hostile file can cost at most one child.

What `process_photo(original, out_dir, caption)` does:

- **Format by content.** `sniff_format` reads magic bytes (JPEG, PNG, WebP, HEIC/HEIF);
  the file name and the declared type are never looked at. Anything else is refused
  (`unsupported_format`), a zero-byte file is `empty`.
- **Pixel limit before decoding.** The header is read (Pillow's `Image.open` is lazy; for
  WebP, whose decoder allocates its canvas when opened, the RIFF header is parsed here;
  for HEIF, the size pillow-heif reports from the container). More than `max_pixels`:
  refused as `decompression_bomb` when the file is implausibly small for the size its
  header declares (less than one byte per `BOMB_PIXELS_PER_BYTE` pixels: a tiny file
  claiming 30000x30000, a zlib bomb), else as `too_many_pixels` (an honest but too large
  photo, e.g. a 108 MP phone photo: the inspector can lower the resolution and retry).
  (Pillow's own check is off while the header is read, so that ours can tell the two
  apart.) During decoding `Image.MAX_IMAGE_PIXELS` is the limit and
  `DecompressionBombWarning` an error (`decompression_bomb`), in case a decoder grows the
  image after the header.
- **Decoding.** `ImageFile.LOAD_TRUNCATED_IMAGES` stays False: a truncated or damaged
  file is refused as `corrupt` with a reason, never an exception of another kind.
  JPEG is decoded in draft mode (libjpeg DCT scaling by 1/2, 1/4 or 1/8) as small as
  keeps the display copy at >= 1920 px: a 4000x3000 photo decodes at 2000x1500 and
  needs no resize (4x less work than a full decode). An allocation that fails is
  `too_much_memory` (Pillow's MemoryError; or a decoder's generic failure when the image
  could not have fitted under the process's RLIMIT_AS, as libheif reports it).
  Bytes after the image (a script appended after a JPEG's EOI) are never copied: every
  derived file is re-encoded from pixels.
- **EXIF** (`read_exif`): GPS, DateTimeOriginal + OffsetTimeOriginal, Make, Model,
  Orientation, every field read on its own (a broken one is None, never an error); XMP
  `exif:DateTimeOriginal` / GPS are the fallback when the EXIF block is unusable.
- **Derived copies** in `out_dir` (one directory per photo: the names are fixed), all
  JPEG, upright, with no EXIF, XMP, ICC profile or comment (colours are converted to sRGB
  first when the original carries an ICC profile):
  `thumbnail.jpg` (longest side <= 400), `display.jpg` (<= 2048; 1920-2048 for large
  JPEGs, see draft mode above; 2048 for the other formats),
  `evidence.jpg` (the display image with a caption band appended below it: capture time
  in Beijing time, coordinates and accuracy, site, plan, inspector, sha256 prefix;
  at least `EVIDENCE_MIN_WIDTH` wide so the caption stays legible for small photos),
  `public.jpg` (for bulletins: the display image, nothing else, no inspector identity;
  the same bytes as display.jpg, written as its own file).
  Files are written under a temporary name and renamed, so a killed worker leaves no
  half-written copy under a final name.

Orientation: EXIF orientation (JPEG, PNG, WebP) is applied after resizing (the small
image is rotated). HEIF carries its rotation/mirroring in the container (irot/imir);
pillow-heif applies it when decoding and resets the EXIF orientation to 1, so nothing is
applied on top (the iPhone fixture: 4032x3024 in the container with orientation 6 decodes
to an upright 3024x4032 portrait).

Threads: `Image.MAX_IMAGE_PIXELS` and the warnings filter are process-global, so the
open/decode step holds a module lock (in the worker there is one photo per process).
"""

from __future__ import annotations

import io
import math
import os
import re
import shutil
import struct
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pillow_heif
from PIL import Image, ImageDraw, ImageFile

from server.evidence import fonts

# HEIF through pillow-heif; its embedded thumbnails, depth and auxiliary images are not
# needed (less work, less memory). Options set one by one: older releases lack some.
pillow_heif.register_heif_opener()
for _option in ("THUMBNAILS", "DEPTH_IMAGES", "AUX_IMAGES"):
    if hasattr(pillow_heif.options, _option):
        setattr(pillow_heif.options, _option, False)

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
DEFAULT_MAX_PIXELS = 50_000_000
THUMBNAIL_MAX = 400
DISPLAY_MAX = 2048
DISPLAY_DRAFT_MIN = 1920  # JPEG display copies are 1920-2048 px when the original allows
EVIDENCE_MIN_WIDTH = 640
THUMBNAIL_QUALITY = 80
DISPLAY_QUALITY = 85
# Over the pixel limit with fewer than 1 byte per 1,000 declared pixels: a bomb. Real
# photos are 0.05-0.5 bytes per pixel; even a flat PNG scan is above 0.002.
BOMB_PIXELS_PER_BYTE = 1_000
SHANGHAI = ZoneInfo("Asia/Shanghai")
NAMES = {
    "thumbnail": "thumbnail.jpg",
    "display": "display.jpg",
    "evidence": "evidence.jpg",
    "public": "public.jpg",
}

# HEIF brands pillow-heif decodes (HEVC); "mif1"/"msf1" only with one of them listed.
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}

MESSAGES = {
    "unsupported_format": "文件不是受支持的图片格式(JPEG/PNG/WebP/HEIC)",
    "too_many_pixels": "图片像素过多,超过上限,请降低拍摄分辨率后重新上传",
    "decompression_bomb": "图片声明的尺寸与文件大小严重不符(疑似“解压炸弹”),已拒收",
    "corrupt": "图片文件已损坏,无法解码",
    "empty": "文件为空(0 字节)",
    "timeout": "图片处理超时,已中止",
    "too_much_memory": "图片处理所需内存超出上限,已中止",
    "worker_failed": "图片处理进程意外退出,请稍后重试或联系管理员",
}


class ImageRefused(Exception):
    """Content we refuse. Never a crash: the caller shows `message` to supervisors.

    code: a stable identifier (one of MESSAGES' keys); message: Chinese, for people;
    reason: technical detail in English for logs (may be None)."""

    def __init__(self, code: str, message: str | None = None, reason: str | None = None):
        self.code = code
        self.message = message or MESSAGES.get(code, MESSAGES["corrupt"])
        self.reason = reason
        super().__init__(f"{code}: {self.message}" + (f" ({reason})" if reason else ""))

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.reason))


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


@dataclass(frozen=True)
class Caption:
    """What the evidence copy shows burned in. captured_at must be timezone-aware; it is
    shown in Beijing time ("2026-11-20 09:15:00 (北京时间)"). sha256: of the original,
    hex; the first 12 digits are shown."""

    captured_at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    site_name: str
    plan_code: str
    inspector_name: str
    sha256: str


@dataclass(frozen=True)
class Processed:
    format: str  # "JPEG" | "PNG" | "WEBP" | "HEIF"
    width: int  # of the original, upright (after orientation)
    height: int
    exif: ExifInfo
    thumbnail: str  # file names in out_dir
    display: str
    evidence: str
    public: str


# --- format and header


def sniff_format(path: str | os.PathLike) -> str:
    """ "JPEG", "PNG", "WEBP" or "HEIF", from the file's first bytes (never its name).

    Raises ImageRefused("empty") for a zero-byte file, ImageRefused("unsupported_format")
    for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head:
        raise ImageRefused("empty")
    fmt = _format_of(head)
    if fmt is None:
        raise ImageRefused("unsupported_format", reason=f"magic bytes {head[:12].hex()}")
    return fmt


def _format_of(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and len(head) >= 12:
        box = int.from_bytes(head[:4], "big")
        major = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(box, len(head)) - 3, 4)}
        if major in _HEVC_BRANDS or (major in _GENERIC_HEIF_BRANDS and compatible & _HEVC_BRANDS):
            return "HEIF"
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    """Canvas size from a WebP's first chunk (VP8X, VP8 or VP8L), or None."""
    chunk, data = head[12:16], head[20:30]
    if len(data) < 10:
        return None
    if chunk == b"VP8X":
        return 1 + int.from_bytes(data[4:7], "little"), 1 + int.from_bytes(data[7:10], "little")
    if chunk == b"VP8 " and data[3:6] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[6:10])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L" and data[0] == 0x2F:
        bits = int.from_bytes(data[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


def _check_pixels(width: int, height: int, file_size: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageRefused("corrupt", reason=f"size {width}x{height}")
    pixels = width * height
    if pixels <= max_pixels:
        return
    detail = f"{width}x{height} = {pixels:,} pixels > {max_pixels:,}, file {file_size:,} bytes"
    if file_size * BOMB_PIXELS_PER_BYTE < pixels:
        raise ImageRefused(
            "decompression_bomb",
            f"图片声明的尺寸({width}×{height})与文件大小({file_size:,} 字节)严重不符"
            "(疑似“解压炸弹”),已拒收",
            detail,
        )
    raise ImageRefused(
        "too_many_pixels",
        f"图片像素过多({width}×{height},约 {pixels / 10_000:,.0f} 万像素;"
        f"上限 {max_pixels / 10_000:,.0f} 万像素),请降低拍摄分辨率后重新上传",
        detail,
    )


_LOCK = threading.RLock()


@contextmanager
def _pillow_guard(max_pixels: int | None) -> Iterator[None]:
    """Pillow's process-global limits for one open/decode (under _LOCK)."""
    saved = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    Image.MAX_IMAGE_PIXELS = max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def _refusal(exc: BaseException) -> ImageRefused:
    """The refusal for an exception raised by a decoder."""
    if isinstance(exc, ImageRefused):
        return exc
    if isinstance(exc, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return ImageRefused("decompression_bomb", reason=str(exc))
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, MemoryError) or re.search(
        r"out of memory|memory allocation", str(exc), re.I
    ):
        return ImageRefused("too_much_memory", reason=text)
    if "truncated" in str(exc) or isinstance(exc, EOFError):
        return ImageRefused("corrupt", "图片文件不完整(可能上传中断),无法解码", text)
    return ImageRefused("corrupt", reason=text)


def _open(path: Path, max_pixels: int) -> tuple[Image.Image, str, int]:
    """The image opened lazily (header only) after the format and pixel checks."""
    fmt = sniff_format(path)
    file_size = path.stat().st_size
    if fmt == "WEBP":
        with open(path, "rb") as handle:
            size = _webp_size(handle.read(32))
        if size is None:
            raise ImageRefused("corrupt", reason="unreadable WebP header")
        _check_pixels(*size, file_size, max_pixels)
    try:
        # Pillow's own size check is off for the header read: ours classifies below.
        with _pillow_guard(None):
            im = Image.open(path, formats=[fmt])
    except Exception as exc:  # any decoder complaint about the header
        raise _refusal(exc) from exc
    try:
        if im.format != fmt:
            raise ImageRefused("unsupported_format", reason=f"opened as {im.format}")
        _check_pixels(*im.size, file_size, max_pixels)
    except BaseException:
        im.close()
        raise
    return im, fmt, file_size


# --- EXIF


def read_exif(path: str | os.PathLike) -> ExifInfo:
    """The photo's EXIF (XMP as fallback). Never fails on content: a file that is not a
    supported image, or is too large to open, gives an empty ExifInfo."""
    path = Path(path)
    try:
        with _LOCK:
            im, fmt, _ = _open(path, DEFAULT_MAX_PIXELS)
    except ImageRefused:
        return ExifInfo()
    with im:
        return _exif_of(im, fmt)


def _safely(fn, *args):
    try:
        return fn(*args)
    except Exception:  # a broken field is ignored on its own
        return None


def _exif_of(im: Image.Image, fmt: str) -> ExifInfo:
    try:
        exif = im.getexif()
    except Exception:
        exif = Image.Exif()

    def ifd(tag: int) -> dict:
        try:
            return dict(exif.get_ifd(tag))
        except Exception:
            return {}

    def tag(mapping: dict, key: int):
        try:
            return mapping.get(key)
        except Exception:
            return None

    ifd0 = {}
    for key in (0x010F, 0x0110, 0x0112):
        ifd0[key] = _safely(exif.get, key)
    exif_ifd = ifd(0x8769)
    gps = ifd(0x8825)

    lat = _safely(_gps_coordinate, tag(gps, 2), tag(gps, 1), "NS", 90)
    lon = _safely(_gps_coordinate, tag(gps, 4), tag(gps, 3), "EW", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        lat = lon = None
    altitude = _safely(_gps_altitude, tag(gps, 6), tag(gps, 5))
    taken_at = _safely(_exif_datetime, tag(exif_ifd, 0x9003), tag(exif_ifd, 0x9011))

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


# --- pixels


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, longest / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return im.convert("I").point(lambda v: v * (1 / 256)).convert("RGB")
    if "A" in im.mode or "a" in im.mode or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")


def _to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """Colours converted from the embedded ICC profile to sRGB (the copies carry none)."""
    if not icc:
        return im
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return im
        if source.profile.xcolor_space.strip() != "RGB":
            return im
        srgb = ImageCms.createProfile("sRGB")
        return ImageCms.profileToProfile(im, source, srgb, outputMode="RGB")
    except Exception:  # an unusable profile: the pixels as they are
        return im


def _resizable(im: Image.Image) -> Image.Image:
    """Modes that resize badly (nearest only) converted first; others resize as they are
    and are converted to RGB afterwards, at display size (less memory)."""
    if im.mode == "1":
        return im.convert("L")
    if im.mode in ("P", "PA"):
        return im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
    return im


def _vm_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _as_limit() -> int | None:
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    return None if limit == resource.RLIM_INFINITY else limit


def _address_space_short(size: tuple[int, int]) -> bool:
    """Whether decoding an image of `size` would not fit under this process's RLIMIT_AS:
    then a decoder's generic failure (libheif reports a refused allocation as "unexpected
    C++ exception") is a memory refusal, not a corrupt file."""
    limit, used = _as_limit(), _vm_kib("VmSize")
    if limit is None or used is None:
        return False
    return used * 1024 + size[0] * size[1] * 8 > limit


def near_memory_limit() -> bool:
    """Whether this process came within 10 % of its RLIMIT_AS: an unexpected error after
    that (a library failing a small allocation) is counted as a memory refusal."""
    limit, peak = _as_limit(), _vm_kib("VmPeak")
    return limit is not None and peak is not None and peak * 1024 > 0.9 * limit


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size to ask libjpeg for: the largest DCT scaling (1/2, 1/4, 1/8) that keeps the
    longest side >= DISPLAY_DRAFT_MIN (a 4000x3000 photo decodes at 2000x1500, 4x less
    work, and needs no resize for the display copy); the full size otherwise."""
    longest = max(size)
    for scale in (8, 4, 2):
        if longest > DISPLAY_MAX and longest / scale >= DISPLAY_DRAFT_MIN:
            return size[0] // scale, size[1] // scale  # Pillow picks `scale` for it
    return size


def _decode(im: Image.Image, fmt: str, max_pixels: int) -> Image.Image:
    """Decoded to RGB at no more than display size (JPEG: DCT-scaled in libjpeg)."""
    stored = im.size
    icc = im.info.get("icc_profile")
    try:
        with _pillow_guard(max_pixels):
            if fmt == "JPEG":
                im.draft("RGB", _draft_size(stored))
            im.load()
            target = _fit(im.size, DISPLAY_MAX)
            if im.size[0] * im.size[1] > max_pixels:
                raise ImageRefused("decompression_bomb", reason=f"decoded as {im.size}")
            small = _resizable(im)
            if small.size != target:
                # What Image.thumbnail does: an integer reduce, then bicubic.
                small = small.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
            rgb = _to_rgb(small)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal.code == "corrupt" and _address_space_short(stored):
            refusal = ImageRefused("too_much_memory", reason=refusal.reason)
        raise refusal from exc
    return _to_srgb(rgb, icc)


# --- caption


def caption_lines(caption: Caption, cjk: bool) -> list[str]:
    """The caption's lines: Chinese with a CJK font, else an ASCII-only version (time,
    coordinates, plan code if it is ASCII, sha256 prefix; site and inspector are left to
    the record rather than drawn as boxes)."""
    when = caption.captured_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    has_fix = caption.lat is not None and caption.lon is not None
    where = f"{caption.lat:.6f}, {caption.lon:.6f}" if has_fix else None
    accuracy = caption.accuracy_m
    if accuracy is not None and not (math.isfinite(accuracy) and accuracy >= 0):
        accuracy = None
    metres = None if accuracy is None else max(1, round(accuracy))
    sha = (caption.sha256 or "")[:12]
    if cjk:
        return [
            f"拍摄时间 {when} (北京时间)",
            f"位置 {where}" + (f" (±{metres} 米)" if metres else "") if where else "位置 无定位",
            f"点位 {_oneline(caption.site_name)}",
            f"计划 {_oneline(caption.plan_code)}    检查人员 {_oneline(caption.inspector_name)}",
            f"SHA-256 {sha}",
        ]
    plan = _oneline(caption.plan_code)
    if not (plan.isascii() and plan.isprintable()):
        plan = "see record"
    return [
        f"Taken {when} (Beijing time, UTC+8)",
        f"GPS {where}" + (f" (+/-{metres} m)" if metres else "") if where else "GPS: no fix",
        f"Plan {plan}",
        f"SHA-256 {sha}",
        "Site/inspector: see record",
    ]


def _oneline(text: str | None) -> str:
    return " ".join(str(text or "").split()) or "-"


def _fit_text(font, text: str, width: float, ellipsis: str) -> str:
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle] + ellipsis) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ellipsis


def render_evidence(display: Image.Image, caption: Caption) -> Image.Image:
    """The display image with the caption band appended below it."""
    choice = fonts.cjk_font()
    lines = caption_lines(caption, cjk=choice is not None)
    if choice is not None:
        lines = [fonts.printable(choice, line) for line in lines]
    width = max(display.width, EVIDENCE_MIN_WIDTH)
    size = max(14, min(44, round(width / 48)))
    font = fonts.load(choice, size)
    pad, leading = round(size * 0.6), round(size * 1.45)
    band = 2 * pad + leading * len(lines)
    canvas = Image.new("RGB", (width, display.height + band), (22, 22, 22))
    canvas.paste(display, ((width - display.width) // 2, 0))
    draw = ImageDraw.Draw(canvas)
    ellipsis = "…" if choice is not None else "..."
    top = display.height + pad
    for n, line in enumerate(lines):
        text = _fit_text(font, line, width - 2 * pad, ellipsis)
        draw.text((pad, top + n * leading), text, font=font, fill=(255, 255, 255))
    return canvas


# --- output


def _save(im: Image.Image, out_dir: Path, name: str, quality: int) -> str:
    """Encode straight into the file: Pillow releases the GIL while it encodes into a real
    file (not into a BytesIO), so the copies are encoded side by side. Written under a
    partial name and renamed, so a copy is either whole or absent."""
    if im.info:
        im.info = {}  # no EXIF, XMP, ICC profile or comment carried over
    partial = out_dir / f".{name}.partial"
    im.save(partial, "JPEG", quality=quality, optimize=False)
    os.replace(partial, out_dir / name)
    return name


def _check_caption(caption: Caption) -> None:
    if caption.captured_at.tzinfo is None or caption.captured_at.utcoffset() is None:
        raise ValueError("Caption.captured_at must be timezone-aware")


def process_photo(
    original: Path, out_dir: Path, caption: Caption, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Processed:
    """Check and decode `original`, write the four derived copies into `out_dir`.

    Raises ImageRefused for content we refuse (see the module docstring); ValueError for a
    caption without a timezone. Call it through worker.process_in_subprocess from a web
    process."""
    original, out_dir = Path(original), Path(out_dir)
    _check_caption(caption)
    with _LOCK:
        im, fmt, _ = _open(original, max_pixels)
        with im:
            exif = _exif_of(im, fmt)
            width, height = im.size
            # HEIF: the container's transform was applied by the decoder.
            rotate = None if fmt == "HEIF" else exif.orientation
            decoded = _decode(im, fmt, max_pixels)
    transpose = _TRANSPOSE.get(rotate or 1)
    if transpose in (
        Image.Transpose.TRANSPOSE,
        Image.Transpose.TRANSVERSE,
        Image.Transpose.ROTATE_90,
        Image.Transpose.ROTATE_270,
    ):
        width, height = height, width
    out_dir.mkdir(parents=True, exist_ok=True)
    decoded.info = {}  # no EXIF, XMP, ICC profile or comment carried over

    def upright(im: Image.Image) -> Image.Image:
        return im if transpose is None else im.transpose(transpose)  # rotate small images

    def thumbnail() -> str:
        # Resized before it is turned upright: the small image is quick to rotate.
        small = decoded.resize(
            _fit(decoded.size, THUMBNAIL_MAX), Image.Resampling.BICUBIC, reducing_gap=2.0
        )
        return _save(upright(small), out_dir, NAMES["thumbnail"], THUMBNAIL_QUALITY)

    # Pillow releases the GIL while it rotates, resizes and encodes into files: the copies
    # are made side by side (images are only read once made).
    with ThreadPoolExecutor(max_workers=2) as pool:
        thumbnail_done = pool.submit(thumbnail)
        display = upright(decoded)
        evidence_done = pool.submit(
            lambda: _save(
                render_evidence(display, caption), out_dir, NAMES["evidence"], DISPLAY_QUALITY
            )
        )
        names = {"display": _save(display, out_dir, NAMES["display"], DISPLAY_QUALITY)}
        names["thumbnail"] = thumbnail_done.result()
        names["evidence"] = evidence_done.result()
    # The public copy is the display copy (no caption): the same bytes, its own file.
    partial = out_dir / f".{NAMES['public']}.partial"
    shutil.copyfile(out_dir / names["display"], partial)
    os.replace(partial, out_dir / NAMES["public"])
    names["public"] = NAMES["public"]
    return Processed(format=fmt, width=width, height=height, exif=exif, **names)

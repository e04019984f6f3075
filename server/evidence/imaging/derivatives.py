"""`process_photo`: the checked, decoded original turned into its four derived copies
(see the package docstring: "Derived copies", "Orientation"), encoded straight into their
files side by side."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from server.evidence.imaging.captions import Caption, check_caption, render_evidence
from server.evidence.imaging.decoding import DEFAULT_MAX_PIXELS, LOCK, open_image
from server.evidence.imaging.metadata import ExifInfo, exif_of
from server.evidence.imaging.pixels import decode, fit

THUMBNAIL_MAX = 400
THUMBNAIL_QUALITY = 80
DISPLAY_QUALITY = 85
NAMES = {copy: f"{copy}.jpg" for copy in ("thumbnail", "display", "evidence", "public")}


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


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


def process_photo(
    original: Path, out_dir: Path, caption: Caption, max_pixels: int = DEFAULT_MAX_PIXELS
) -> Processed:
    """Check and decode `original`, write the four derived copies into `out_dir`.

    Raises ImageRefused for content we refuse (see the package docstring); ValueError for a
    caption without a timezone. Call it through worker.process_in_subprocess from a web
    process."""
    original, out_dir = Path(original), Path(out_dir)
    check_caption(caption)
    with LOCK:
        im, fmt, _ = open_image(original, max_pixels)
        with im:
            exif = exif_of(im, fmt)
            width, height = im.size
            # HEIF: the container's transform was applied by the decoder.
            rotate = None if fmt == "HEIF" else exif.orientation
            decoded = decode(im, fmt, max_pixels)
    transpose = _TRANSPOSE.get(rotate or 1)
    if rotate in (5, 6, 7, 8):  # the orientations that turn the image a quarter
        width, height = height, width
    out_dir.mkdir(parents=True, exist_ok=True)
    decoded.info = {}  # no EXIF, XMP, ICC profile or comment carried over

    def upright(im: Image.Image) -> Image.Image:
        return im if transpose is None else im.transpose(transpose)  # rotate small images

    def thumbnail() -> str:
        # Resized before it is turned upright: the small image is quick to rotate.
        small = decoded.resize(
            fit(decoded.size, THUMBNAIL_MAX), Image.Resampling.BICUBIC, reducing_gap=2.0
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

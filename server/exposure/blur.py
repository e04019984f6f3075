"""Pure image work for exposure copies (no Flask, no database): find faces and number
plates with OpenCV's bundled Haar cascades, and render a copy with boxes blurred.

The detector ships inside the maintained `opencv-python-headless` wheel (cv2.data):
frontal faces (`haarcascade_frontalface_default.xml`) and plates
(`haarcascade_russian_plate_number.xml`, the one plate cascade OpenCV ships; it finds
light rectangular plates with dark characters, Chinese blue plates less reliably, so the
office checks every draft and adds boxes by hand). OpenCV 5 dropped the cascades, hence
the `<5` bound in pyproject.

Blurring is irreversible: each box is pixelated to blocks of about a tenth of its shorter
side, then Gaussian-blurred; the copy is re-encoded from pixels with no metadata."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageFilter

QUALITY = 85
BLOCKS = 10  # pixel blocks across a box's shorter side (the exposure_blur_blocks setting)
MARGIN = 0.15  # a detected box grows by this share on each side (hair, plate rim)
CASCADES = {
    "face": ("haarcascade_frontalface_default.xml", 1.1, 5, (24, 24)),
    "plate": ("haarcascade_russian_plate_number.xml", 1.1, 4, (40, 12)),
}


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int
    kind: str  # face | plate | manual


def detector_version() -> str:
    import cv2

    names = "+".join(name.removesuffix(".xml") for name, *_ in CASCADES.values())
    return f"opencv-{cv2.__version__} {names}"[:120]


@cache
def _classifier(name: str):
    import cv2

    classifier = cv2.CascadeClassifier(os.path.join(cv2.data.haarcascades, name))
    if classifier.empty():
        raise RuntimeError(f"OpenCV cascade {name} could not be loaded")
    return classifier


def detect(path: Path) -> list[Box]:
    """Faces and plates in the image at `path`, grown by MARGIN and kept inside it."""
    import cv2
    import numpy as np

    with Image.open(path) as im:
        gray = np.asarray(im.convert("L"))
    gray = cv2.equalizeHist(gray)
    height, width = gray.shape
    found = []
    for kind, (name, scale, neighbours, smallest) in CASCADES.items():
        rects = _classifier(name).detectMultiScale(
            gray, scaleFactor=scale, minNeighbors=neighbours, minSize=smallest
        )
        for x, y, w, h in rects:
            found.append(_grown(int(x), int(y), int(w), int(h), kind, width, height))
    return found


def _grown(x, y, w, h, kind, width, height) -> Box:
    dx, dy = round(w * MARGIN), round(h * MARGIN)
    left, top = max(0, x - dx), max(0, y - dy)
    right, bottom = min(width, x + w + dx), min(height, y + h + dy)
    return Box(left, top, right - left, bottom - top, kind)


def clamp(box: dict, width: int, height: int) -> dict | None:
    """A box cut to the image; None when nothing of it is left."""
    left, top = max(0, int(box["x"])), max(0, int(box["y"]))
    right = min(width, int(box["x"]) + int(box["w"]))
    bottom = min(height, int(box["y"]) + int(box["h"]))
    if right - left < 1 or bottom - top < 1:
        return None
    return {**box, "x": left, "y": top, "w": right - left, "h": bottom - top}


def obscure(region: Image.Image, blocks: int = BLOCKS) -> Image.Image:
    """Pixelate, then blur: nothing of the detail is left to recover."""
    w, h = region.size
    block = max(4, min(w, h) // blocks)
    small = region.resize(
        (max(1, w // block), max(1, h // block)), Image.Resampling.BOX, reducing_gap=None
    )
    coarse = small.resize((w, h), Image.Resampling.NEAREST)
    return coarse.filter(ImageFilter.GaussianBlur(radius=max(2, block / 2)))


def render(source: Path, boxes: list[dict], target: Path, blocks: int = BLOCKS) -> tuple[int, int]:
    """Write `source` with every box obscured to `target` (JPEG, no EXIF, XMP, ICC or
    comment). Returns the image's size."""
    with Image.open(source) as opened:
        im = opened.convert("RGB")
    for box in boxes:
        cut = clamp(box, *im.size)
        if cut is None:
            continue
        area = (cut["x"], cut["y"], cut["x"] + cut["w"], cut["y"] + cut["h"])
        im.paste(obscure(im.crop(area), blocks), area[:2])
    im.info = {}
    im.save(target, "JPEG", quality=QUALITY)
    return im.size

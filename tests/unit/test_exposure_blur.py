"""The exposure copy's image work (server/exposure/blur.py) on a real face and a
synthetic number plate: found by OpenCV's bundled cascades, obscured beyond recovery,
the rest of the picture kept, no metadata written."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from server.exposure import blur
from tests.conftest import PHOTOS

ASTRONAUT = PHOTOS.parent / "astronaut.png"
FACE = (177, 66, 95, 95)  # where the frontal-face cascade finds it (tests/fixtures/README.md)


def edge_energy(im: Image.Image, box) -> float:
    """Mean squared gradient of the grey image inside `box` (x, y, w, h)."""
    x, y, w, h = box
    grey = np.asarray(im.convert("L"), dtype=float)[y : y + h, x : x + w]
    return float((np.diff(grey, axis=0) ** 2).mean() + (np.diff(grey, axis=1) ** 2).mean())


def plate_image(path, size=40) -> tuple[int, int, int, int]:
    """A grey street with a white plate-like rectangle with dark characters; its box."""
    im = Image.new("RGB", (640, 400), (90, 110, 120))
    draw = ImageDraw.Draw(im)
    font = ImageFont.load_default(size)
    left, top, right, bottom = draw.textbbox((0, 0), "A123BC", font=font)
    x, y, w, h = 150, 180, right - left + 20, int(size * 1.3)
    draw.rectangle([x - 4, y - 4, x + w + 4, y + h + 4], fill=(20, 20, 20))
    draw.rectangle([x, y, x + w, y + h], fill=(235, 235, 235))
    draw.text((x + 10 - left, y + (h - (bottom - top)) // 2 - top), "A123BC", font=font, fill=0)
    im.save(path)
    return x, y, w, h


def test_the_cascade_finds_the_astronauts_face():
    faces = [b for b in blur.detect(ASTRONAUT) if b.kind == "face"]
    assert len(faces) == 1
    face = faces[0]
    # The detected box, grown by the margin, holds the whole face.
    assert face.x <= FACE[0] and face.y <= FACE[1]
    assert face.x + face.w >= FACE[0] + FACE[2] and face.y + face.h >= FACE[1] + FACE[3]
    assert face.w < 200 and face.h < 200  # the face, not the picture
    assert "haarcascade_frontalface_default" in blur.detector_version()


def test_the_face_is_obscured_and_the_rest_kept(tmp_path):
    face = blur.detect(ASTRONAUT)[0]
    out = tmp_path / "copy.jpg"
    box = {"x": face.x, "y": face.y, "w": face.w, "h": face.h}
    assert blur.render(ASTRONAUT, [box], out) == (512, 512)
    before, after = Image.open(ASTRONAUT).convert("RGB"), Image.open(out).convert("RGB")
    region = (face.x, face.y, face.w, face.h)
    assert edge_energy(after, region) < edge_energy(before, region) / 10
    # The blurred face is far from the original, pixel by pixel.
    crop = (face.x, face.y, face.x + face.w, face.y + face.h)
    a = np.asarray(before.crop(crop), dtype=float)
    b = np.asarray(after.crop(crop), dtype=float)
    assert np.abs(a - b).mean() > 15
    # Outside the box only the JPEG re-encoding differs.
    outside = np.ones((512, 512), dtype=bool)
    outside[face.y : face.y + face.h, face.x : face.x + face.w] = False
    diff = np.abs(np.asarray(before, dtype=float) - np.asarray(after, dtype=float))
    assert diff[outside].mean() < 4


def test_no_metadata_is_written(tmp_path):
    source = tmp_path / "with_exif.jpg"
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x013B] = "督查人员张三"  # Artist
    Image.open(ASTRONAUT).convert("RGB").save(source, exif=exif, comment=b"inspector")
    assert Image.open(source).getexif()
    out = tmp_path / "copy.jpg"
    blur.render(source, [], out)
    copy = Image.open(out)
    assert not copy.getexif()
    assert not {"exif", "icc_profile", "comment", "xmp"} & set(copy.info)
    assert "督查" not in out.read_bytes().decode("latin-1")


def test_boxes_are_cut_to_the_image_and_empty_ones_dropped():
    assert blur.clamp({"x": -10, "y": 500, "w": 30, "h": 40}, 512, 512) == {
        "x": 0, "y": 500, "w": 20, "h": 12,
    }  # fmt: skip
    assert blur.clamp({"x": 600, "y": 0, "w": 30, "h": 40}, 512, 512) is None


def test_a_plate_like_rectangle_is_found_and_obscured(tmp_path):
    street = tmp_path / "street.png"
    x, y, w, h = plate_image(street)
    plates = [b for b in blur.detect(street) if b.kind == "plate"]
    assert len(plates) == 1
    p = plates[0]
    assert p.x <= x and p.y <= y and p.x + p.w >= x + w and p.y + p.h >= y + h
    assert not [b for b in blur.detect(street) if b.kind == "face"]
    out = tmp_path / "copy.jpg"
    blur.render(street, [{"x": p.x, "y": p.y, "w": p.w, "h": p.h}], out)
    plate = (x, y, w, h)
    assert edge_energy(Image.open(out), plate) < edge_energy(Image.open(street), plate) / 10

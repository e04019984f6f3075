"""Decoding to RGB at no more than display size (see the package docstring:
"Decoding"): JPEG in draft mode, modes converted, colours to sRGB."""

from __future__ import annotations

import io

from PIL import Image

from server.evidence.imaging.decoding import (
    ImageRefused,
    address_space_short,
    pillow_guard,
    refusal_for,
)

DISPLAY_MAX = 2048
DISPLAY_DRAFT_MIN = 1920  # JPEG display copies are 1920-2048 px when the original allows


def fit(size: tuple[int, int], longest: int) -> tuple[int, int]:
    """`size` scaled down (never up) to a longest side of `longest`."""
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


def _draft_size(size: tuple[int, int]) -> tuple[int, int]:
    """The size to ask libjpeg for: the largest DCT scaling (1/2, 1/4, 1/8) that keeps the
    longest side >= DISPLAY_DRAFT_MIN (a 4000x3000 photo decodes at 2000x1500, 4x less
    work, and needs no resize for the display copy); the full size otherwise."""
    longest = max(size)
    for scale in (8, 4, 2):
        if longest > DISPLAY_MAX and longest / scale >= DISPLAY_DRAFT_MIN:
            return size[0] // scale, size[1] // scale  # Pillow picks `scale` for it
    return size


def decode(im: Image.Image, fmt: str, max_pixels: int) -> Image.Image:
    """Decoded to RGB at no more than display size (JPEG: DCT-scaled in libjpeg)."""
    stored = im.size
    icc = im.info.get("icc_profile")
    try:
        with pillow_guard(max_pixels):
            if fmt == "JPEG":
                im.draft("RGB", _draft_size(stored))
            im.load()
            target = fit(im.size, DISPLAY_MAX)
            if im.size[0] * im.size[1] > max_pixels:
                raise ImageRefused("decompression_bomb", reason=f"decoded as {im.size}")
            small = _resizable(im)
            if small.size != target:
                # What Image.thumbnail does: an integer reduce, then bicubic.
                small = small.resize(target, Image.Resampling.BICUBIC, reducing_gap=2.0)
            rgb = _to_rgb(small)
    except Exception as exc:
        refusal = refusal_for(exc)
        if refusal.code == "corrupt" and address_space_short(stored):
            refusal = ImageRefused("too_much_memory", reason=refusal.reason)
        raise refusal from exc
    return _to_srgb(rgb, icc)

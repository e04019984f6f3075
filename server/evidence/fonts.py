"""Fonts for the caption burned into evidence copies.

Chinese text needs a CJK font. On Debian/Ubuntu that is the package **fonts-noto-cjk**
(Noto Sans CJK, `/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc`; CI installs it,
and so should every server). Looked for, in this order:

1. the Debian paths of fonts-noto-cjk, fonts-noto-cjk-extra, fonts-wqy-microhei,
   fonts-wqy-zenhei and fonts-droid-fallback (`CANDIDATES`);
2. any file `fc-list :lang=zh` names (not `fc-match`: fontconfig happily "matches"
   DejaVu Sans for `:lang=zh`, a font without a single Han glyph).

In a `.ttc` collection the Simplified Chinese face is chosen (Noto Sans CJK **SC**: the
JP/KR/TC faces draw some characters differently, e.g. 直). A font is only accepted if it
really draws Han characters (its glyph for 直 is not its "missing glyph" box).

Without a CJK font, `cjk_font()` returns None and the caller renders an ASCII-only caption
with Pillow's built-in font (see imaging.caption_lines): never tofu boxes. Characters that
the CJK font lacks (rare characters in a place name) are drawn as "?" (`printable`).

Pure functions, no Flask; results are cached per process.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

# (path, Debian package)
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "fonts-noto-cjk"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc", "fonts-noto-cjk-extra"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "fonts-droid-fallback"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "fonts-noto-cjk"),
)
PROBE = "直查"  # must be drawn, not replaced by the missing-glyph box
_MISSING = "\uffff"  # a noncharacter: every font draws its .notdef glyph for it


@dataclass(frozen=True)
class FontChoice:
    path: str
    index: int  # face index inside a .ttc collection
    name: str  # family and style, e.g. "Noto Sans CJK SC Regular"


def _open(path: str, index: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, 24, index=index)


def _face_names(path: str) -> list[tuple[int, str, str]]:
    """(index, family, style) of every face in the file. One face is open at a time:
    FreeType maps the whole file for each open face, and a 10-face Noto CJK collection held
    at once costs ~170 MB of address space, which the photo worker's RLIMIT_AS counts."""
    names = []
    for index in range(16):
        try:
            family, style = _open(path, index).getname()
        except OSError:
            break
        names.append((index, family or "", style or ""))
        if not path.lower().endswith((".ttc", ".otc")):
            break
    return names


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    size = int(font.size * 2)
    canvas = Image.new("L", (size, size))
    ImageDraw.Draw(canvas).text((0, 0), char, font=font, fill=255)
    return canvas.tobytes()


def _draws(font: ImageFont.FreeTypeFont, text: str) -> bool:
    missing = _glyph(font, _MISSING)
    return all(_glyph(font, ch) != missing for ch in text)


def _pick(path: str) -> FontChoice | None:
    """The best face of `path` that draws Han characters (Simplified Chinese preferred)."""
    faces = _face_names(path)
    faces.sort(key=lambda f: (not f[1].endswith(" SC"), "SC" not in f[1].split(), f[0]))
    for index, family, style in faces:
        if _draws(_open(path, index), PROBE):
            return FontChoice(path, index, f"{family} {style or ''}".strip())
    return None


def _fc_list_zh() -> list[str]:
    try:
        out = subprocess.run(
            ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({line.split(":")[0].strip() for line in out.splitlines() if line.strip()})
    # Sans before serif, regular before bold.
    return sorted(files, key=lambda f: ("serif" in f.lower(), "bold" in f.lower(), f))


@lru_cache(maxsize=1)
def cjk_font() -> FontChoice | None:
    """The CJK font used for captions, or None when none is installed."""
    seen = set()
    for path in [p for p, _ in CANDIDATES] + _fc_list_zh():
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        try:
            choice = _pick(path)
        except (OSError, ValueError):
            continue
        if choice:
            return choice
    return None


@lru_cache(maxsize=16)
def load(choice: FontChoice | None, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The CJK font at `size` px, or Pillow's built-in (Latin-only) font when choice is None."""
    if choice is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(choice.path, size, index=choice.index)


@lru_cache(maxsize=4096)
def _has_glyph(choice: FontChoice, char: str) -> bool:
    font = load(choice, 24)
    return _glyph(font, char) != _missing_glyph(choice)


@lru_cache(maxsize=8)
def _missing_glyph(choice: FontChoice) -> bytes:
    return _glyph(load(choice, 24), _MISSING)


def printable(choice: FontChoice, text: str) -> str:
    """`text` with the characters the font cannot draw replaced by "?"."""
    return "".join(
        ch if ch.isascii() or ch.isspace() or _has_glyph(choice, ch) else "?" for ch in text
    )

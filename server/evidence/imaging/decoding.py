"""Format by content, the pixel limit read from the header, Pillow's process-global
limits for one open or decode, and the refusal for what a decoder raised (see the
package docstring: "Format by content", "Pixel limit before decoding")."""

from __future__ import annotations

import os
import re
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pillow_heif
from PIL import Image, ImageFile

from server.glossary import PHOTO_REFUSALS

# HEIF through pillow-heif; its embedded thumbnails, depth and auxiliary images are not
# needed (less work, less memory). Options set one by one: older releases lack some.
pillow_heif.register_heif_opener()
for _option in ("THUMBNAILS", "DEPTH_IMAGES", "AUX_IMAGES"):
    if hasattr(pillow_heif.options, _option):
        setattr(pillow_heif.options, _option, False)

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
DEFAULT_MAX_PIXELS = 50_000_000
# Over the pixel limit with fewer than 1 byte per 1,000 declared pixels: a bomb. Real
# photos are 0.05-0.5 bytes per pixel; even a flat PNG scan is above 0.002.
BOMB_PIXELS_PER_BYTE = 1_000

# HEIF brands pillow-heif decodes (HEVC); "mif1"/"msf1" only with one of them listed.
# Not AVIF ("avif", "avis"): this pillow-heif has no AV1 decoder.
_HEVC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1"}

MESSAGES = PHOTO_REFUSALS  # code → the reason shown to people (server/glossary.py)


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


# --- format and header


def sniff_format(path: str | os.PathLike) -> str:
    """ "JPEG", "PNG", "WEBP" or "HEIF", from the file's first bytes (never its name).

    Raises ImageRefused("empty") for a zero-byte file, ImageRefused("unsupported_format")
    for anything else."""
    with open(path, "rb") as handle:
        head = handle.read(64)
    if not head:
        raise ImageRefused("empty")
    fmt = format_of(head)
    if fmt is None:
        raise ImageRefused("unsupported_format", reason=f"magic bytes {head[:12].hex()}")
    return fmt


def format_of(head: bytes) -> str | None:
    """ "JPEG", "PNG", "WEBP" or "HEIF" from a file's first bytes (64 are enough), or None.

    An ISO-BMFF file (`ftyp` box) is HEIF only with a brand pillow-heif decodes: an HEVC
    brand as the major brand, or the generic mif1/msf1 with an HEVC brand among the
    compatible ones. An MP4 video (`ftyp isom`), AVIF and the like are None."""
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


LOCK = threading.RLock()


@contextmanager
def pillow_guard(max_pixels: int | None) -> Iterator[None]:
    """Pillow's process-global limits for one open/decode (under LOCK)."""
    saved = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES)
    Image.MAX_IMAGE_PIXELS = max_pixels
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def refusal_for(exc: BaseException) -> ImageRefused:
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


def open_image(path: Path, max_pixels: int) -> tuple[Image.Image, str, int]:
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
        with pillow_guard(None):
            im = Image.open(path, formats=[fmt])
    except Exception as exc:  # any decoder complaint about the header
        raise refusal_for(exc) from exc
    try:
        if im.format != fmt:
            raise ImageRefused("unsupported_format", reason=f"opened as {im.format}")
        _check_pixels(*im.size, file_size, max_pixels)
    except BaseException:
        im.close()
        raise
    return im, fmt, file_size


# --- memory


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


def address_space_short(size: tuple[int, int]) -> bool:
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

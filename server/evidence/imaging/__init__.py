"""Photo processing for field evidence: format check, EXIF, derived copies.

Pure functions on files: this package imports Pillow, pillow-heif and `fonts` only (no
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

Modules: `decoding` (format sniffing, the pixel checks on the header, Pillow's limits,
the refusals), `pixels` (decoding to RGB at display size, sRGB), `metadata` (EXIF, XMP),
`captions` (the caption's lines and the evidence band), `derivatives` (`process_photo`:
the copies, written side by side). The names below are the package's interface.
"""

from server.evidence.imaging.captions import (
    EVIDENCE_MIN_WIDTH,
    Caption,
    caption_lines,
    render_evidence,
)
from server.evidence.imaging.decoding import (
    ImageRefused,
    format_of,
    near_memory_limit,
    sniff_format,
)
from server.evidence.imaging.derivatives import Processed, process_photo
from server.evidence.imaging.metadata import ExifInfo, read_exif
from server.evidence.imaging.pixels import _draft_size

__all__ = [
    "EVIDENCE_MIN_WIDTH",
    "Caption",
    "ExifInfo",
    "ImageRefused",
    "Processed",
    "_draft_size",  # bench/photo_ingest.py gives its floor the same DCT scaling
    "caption_lines",
    "format_of",
    "near_memory_limit",
    "process_photo",
    "read_exif",
    "render_evidence",
    "sniff_format",
]

"""The evidence copy's caption: its lines (Chinese with a CJK font, else ASCII) and the
band drawn below the display image."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw

from server.evidence import fonts

EVIDENCE_MIN_WIDTH = 640
SHANGHAI = ZoneInfo("Asia/Shanghai")


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


def check_caption(caption: Caption) -> None:
    """ValueError for a capture time without a timezone (a programming error)."""
    if caption.captured_at.tzinfo is None or caption.captured_at.utcoffset() is None:
        raise ValueError("Caption.captured_at must be timezone-aware")

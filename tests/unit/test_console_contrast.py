"""The console's muted grey and medium-severity orange meet WCAG AA contrast (4.5:1 for
normal text) on every background they are drawn on (issue 15: #6b7785 measured 4.02:1 on
the missing-thumbnail box, #e65100 3.45:1)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).parents[2] / "server/console/static/console.css").read_text()
BACKGROUNDS = {"card": "#ffffff", "page": "#f4f6f8", "missing thumbnail": "#eef1f4"}


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_muted_text_is_readable_on_every_background():
    muted = re.search(r"--muted:(#[0-9a-f]{6})", CSS).group(1)
    for name, background in BACKGROUNDS.items():
        assert contrast(muted, background) >= 4.5, (name, muted)


def test_coloured_labels_are_readable_on_their_own_background():
    rules = re.findall(r"\{ background:(#[0-9a-f]{6}); color:(#[0-9a-f]{6}); \}", CSS)
    assert len(rules) >= 7  # the severity and status labels
    for background, colour in rules:
        assert contrast(colour, background) >= 4.5, (background, colour)

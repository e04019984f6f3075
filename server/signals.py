"""What one domain tells the others without importing them (blinker, as Flask uses).
Receivers are connected by create_app (server/hooks.py), never by importing a module.

- `calendar_imported`, sender: the year (int). Receivers return how many records they
  recounted (rectification: deadlines in working days).
- `setting_changed`, sender: the setting's key. (rectification: an item's colour depends
  on the colour settings.)
- `photo_stored`, sender: the photo, once its content is stored and viewable
  (rectification: the open follow-up visits that show it as an original photo)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()
calendar_imported = _signals.signal("calendar-imported")
setting_changed = _signals.signal("setting-changed")
photo_stored = _signals.signal("photo-stored")

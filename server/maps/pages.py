"""/console/map…: sites, check-ins, findings and items on a map, and the base map file."""

from __future__ import annotations

from server.console.kit import pages_blueprint

bp = pages_blueprint("map_pages", __name__)

"""/console/dashboard…: each role's figures (charts with their numbers as tables)."""

from __future__ import annotations

from server.console.kit import pages_blueprint

bp = pages_blueprint("dashboard_pages", __name__)

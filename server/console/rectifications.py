"""/console/triage and /console/rectifications/…: triage queue and item pages (to build)."""

from server.console.routes import bp  # noqa: F401

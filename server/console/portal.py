"""/console/unit/…: the responsible unit's portal (to build)."""

from server.console.routes import bp  # noqa: F401

"""/console/ledger, three lists, summons, notifications (to build)."""

from server.console.routes import bp  # noqa: F401

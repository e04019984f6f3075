"""The sync protocol core (see docs/reference/SYNC_PROTOCOL.md and docs/sync.md).

No Flask and nothing from server/: it takes a session, a principal and plain data, owns
its tables (sync.models) and knows entities only through registered handlers."""

from sync.changelog import install, note_change
from sync.cursor import InvalidCursor
from sync.pull import pull
from sync.push import payload_hash, push
from sync.registry import EntityHandler, MutationContext, Principal, Registry, Rejected

__all__ = [
    "EntityHandler",
    "InvalidCursor",
    "MutationContext",
    "Principal",
    "Registry",
    "Rejected",
    "install",
    "note_change",
    "payload_hash",
    "pull",
    "push",
]

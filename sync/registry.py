"""How the sync core knows entities: handlers that the application registers.

The core never imports the application. A handler validates and applies mutations, says
who may see a record (now, and as audience tags for the change log) and serializes it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Principal:
    """The user a push or pull is for, as the core sees them."""

    id: uuid.UUID
    tags: frozenset[str]  # audience tags this user matches, e.g. "u:<id>", "all"
    user: Any = None  # the application's user object, opaque to the core


class Rejected(Exception):
    """A mutation that cannot be applied; `code` is stable, `message` is for people."""

    def __init__(self, code: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def as_errors(self) -> dict:
        errors = {"code": self.code, "message": self.message}
        if self.fields:
            errors["fields"] = self.fields
        return errors


@dataclass
class MutationContext:
    session: Session
    principal: Principal
    device_id: uuid.UUID | None
    client_time: str | None
    received_at: datetime
    device_time: datetime | None = None  # the device's clock when it sent the push
    # Other records this mutation changed: (entity, record, audience before the change).
    side_changes: list[tuple[str, Any, frozenset[str]]] = field(default_factory=list)

    def changed(self, entity: str, record: Any, before: frozenset[str] = frozenset()) -> None:
        self.side_changes.append((entity, record, before))


class EntityHandler:
    """Base for the application's handlers. Pull-only entities leave `pushable` False."""

    name: str = ""
    pushable: bool = False
    # Columns an application changes for its own bookkeeping: a change to these alone is
    # not noted for devices (the application's change-log hook reads this).
    quiet_fields: frozenset[str] = frozenset()
    # Ops whose mutations may run after earlier ones of the same push without those being
    # flushed first (their rows are then inserted together). Only where the handler reads
    # the push's earlier records through session.get or autoflushing queries, never inside
    # `no_autoflush`, and changes no record but its own and those it reports as
    # `ctx.changed`. Anything else is flushed before, as if in its own savepoint.
    batchable_ops: frozenset[str] = frozenset()

    # --- reading
    def load(self, session: Session, record_id: uuid.UUID) -> Any | None:
        raise NotImplementedError

    def load_many(self, session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
        return {i: r for i in ids if (r := self.load(session, i)) is not None}

    def record_id(self, record: Any) -> uuid.UUID:
        return record.id

    def version(self, record: Any) -> int:
        return record.version

    def is_deleted(self, record: Any) -> bool:
        return getattr(record, "deleted_at", None) is not None

    def visible(self, session: Session, principal: Principal, record: Any) -> bool:
        raise NotImplementedError

    def audience(self, session: Session, record: Any) -> frozenset[str]:
        raise NotImplementedError

    def refusal(self, session: Session, principal: Principal, record: Any) -> Rejected:
        """Why a change to a record this principal cannot see is refused. By default the
        same answer as for a record that does not exist (the two are indistinguishable)."""
        return Rejected("not_found", "记录不存在或无权访问")

    def serialize(self, record: Any) -> dict:
        raise NotImplementedError

    def snapshot(
        self, session: Session, principal: Principal, after: uuid.UUID | None, limit: int
    ) -> list[Any]:
        """Visible, not deleted records with id > after, ordered by id."""
        raise NotImplementedError

    # --- writing (pushable entities)
    def create(self, ctx: MutationContext, record_id: uuid.UUID, data: dict) -> Any:
        raise Rejected("forbidden", "该类数据不能由设备创建")

    def update(self, ctx: MutationContext, record: Any, data: dict) -> None:
        raise Rejected("forbidden", "该类数据不能由设备修改")

    def delete(self, ctx: MutationContext, record: Any) -> None:
        raise Rejected("forbidden", "该类数据不能由设备删除")


class Registry:
    def __init__(self) -> None:
        self._handlers: dict[str, EntityHandler] = {}

    def register(self, handler: EntityHandler) -> EntityHandler:
        if not handler.name or handler.name in self._handlers:
            raise ValueError(f"handler name missing or taken: {handler.name!r}")
        self._handlers[handler.name] = handler
        return handler

    def get(self, name: str) -> EntityHandler | None:
        return self._handlers.get(name)

    def __getitem__(self, name: str) -> EntityHandler:
        return self._handlers[name]

    @property
    def names(self) -> list[str]:
        """In registration order: the order of the first pull's snapshot."""
        return list(self._handlers)

    @property
    def pushable(self) -> list[str]:
        return [n for n, h in self._handlers.items() if h.pushable]

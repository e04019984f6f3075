"""Writing to the notification outbox. Each row is shown in the recipient's app and kept
for a later SMS / DingTalk / webhook sender (docs/rectification.md, "Notifications")."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update

from server.errors import not_found
from server.extensions import db
from server.models import Notification, Rectification, Role, User, utcnow

INBOX_PAGE = 100


def _active_users(unit_id, role: Role) -> list[User]:
    query = select(User).where(User.unit_id == unit_id, User.role == role, User.active.is_(True))
    return list(db.session.scalars(query))


def responders_of(unit_id) -> list[User]:
    return _active_users(unit_id, Role.responder)


def supervisors_of(office_unit_id) -> list[User]:
    return _active_users(office_unit_id, Role.supervisor)


def notify(
    recipients,
    kind: str,
    item: Rectification | None,
    title: str,
    body: str = "",
    occasion: str | None = None,
) -> int:
    """One row per recipient. `occasion` names a recurring event (a reminder for a given
    deadline, a week); a row already written for it is not written again. Without one,
    every call is its own occasion. Returns how many rows were added. The item's title
    follows the line, so a reader knows which item without opening it."""
    occasion = occasion or uuid.uuid4().hex
    if item is not None and item.title:
        title = f"{title}「{item.title}」"
    added = 0
    keys = {f"{kind}:{item.id if item else '-'}:{occasion}:{u.id}": u for u in recipients}
    if not keys:
        return 0
    existing = set(
        db.session.scalars(select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys)))
    )
    for key, user in keys.items():
        if key in existing:
            continue
        db.session.add(
            Notification(
                recipient_id=user.id,
                kind=kind,
                rectification_id=item.id if item else None,
                title=title[:200],
                body=body,
                dedupe_key=key,
            )
        )
        added += 1
    return added


# ---- the recipient's side ----


def inbox(user: User) -> dict:
    """The latest notifications, newest first, and how many are unread."""
    mine = Notification.recipient_id == user.id
    items = db.session.scalars(
        select(Notification).where(mine).order_by(Notification.created_at.desc()).limit(INBOX_PAGE)
    ).all()
    unread = db.session.scalar(select(func.count()).where(mine, Notification.read_at.is_(None)))
    return {"items": items, "unread": unread}


def mark_read(user: User, notification_id: uuid.UUID) -> Notification:
    note = db.session.get(Notification, notification_id)
    if note is None or note.recipient_id != user.id:
        raise not_found("通知不存在")
    note.read_at = note.read_at or utcnow()
    return note


def mark_all_read(user: User) -> int:
    result = db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount

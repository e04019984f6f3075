"""/api/notifications: your reminders (the in-app side of the outbox)."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy import func, select

from server.auth.guards import api_login_required
from server.errors import not_found
from server.extensions import db
from server.models import Notification, utcnow
from server.rectification.schemas import NotificationPageSchema, NotificationSchema

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/notifications", description="提醒与通知"
)
PAGE = 100


def inbox(user) -> dict:
    mine = Notification.recipient_id == user.id
    items = db.session.scalars(
        select(Notification).where(mine).order_by(Notification.created_at.desc()).limit(PAGE)
    ).all()
    unread = db.session.scalar(select(func.count()).where(mine, Notification.read_at.is_(None)))
    return {"items": items, "unread": unread}


@blp.route("")
@api_login_required(blp)
@blp.response(200, NotificationPageSchema)
def list_notifications():
    """Your latest notifications, newest first, and how many are unread."""
    return inbox(current_user)


@blp.route("/<uuid:notification_id>/read", methods=["POST"])
@api_login_required(blp)
@blp.response(200, NotificationSchema)
def mark_read(notification_id: uuid.UUID):
    note = db.session.get(Notification, notification_id)
    if note is None or note.recipient_id != current_user.id:
        raise not_found("通知不存在")
    note.read_at = note.read_at or utcnow()
    return note

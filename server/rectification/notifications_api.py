"""/api/notifications: your reminders (the in-app side of the outbox)."""

from __future__ import annotations

import uuid

from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from marshmallow import fields

from server.auth.guards import api_login_required
from server.rectification import notify
from server.rectification.schemas import NotificationPageSchema, NotificationSchema
from server.schemas import BaseSchema

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/notifications", description="提醒与通知"
)


class MarkedSchema(BaseSchema):
    marked = fields.Integer(required=True, metadata={"description": "how many were unread"})


@blp.route("")
@api_login_required(blp)
@blp.response(200, NotificationPageSchema)
def list_notifications():
    """Your latest notifications, newest first, and how many are unread."""
    return notify.inbox(current_user)


@blp.route("/<uuid:notification_id>/read", methods=["POST"])
@api_login_required(blp)
@blp.response(200, NotificationSchema)
def mark_read(notification_id: uuid.UUID):
    """Mark one of your notifications read."""
    return notify.mark_read(current_user, notification_id)


@blp.route("/read", methods=["POST"])
@api_login_required(blp)
@blp.response(200, MarkedSchema)
def mark_all_read():
    """Mark all your notifications read."""
    return {"marked": notify.mark_all_read(current_user)}

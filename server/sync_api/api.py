"""/api/sync/push and /api/sync/pull: thin routes over the sync core."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_jwt_extended import current_user
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

import sync
from server.auth.guards import FIELD_DATA, api_login_required
from server.errors import ApiError
from server.extensions import db
from server.models import utcnow
from server.plans.access import audit_plan_read
from server.schemas import ErrorSchema
from server.sync_api.principal import principal_for
from server.sync_api.registry import registry
from server.sync_api.schemas import PullArgsSchema, PullResultSchema, PushResultSchema, PushSchema
from server.transaction import body_limit

blp = Blueprint(
    "sync",
    __name__,
    url_prefix="/api/sync",
    description="设备同步:推送变更、拉取变更(见 docs/sync.md)",
)


def cursor_key() -> bytes:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"zhicha sync cursor", hashlib.sha256).digest()


@blp.route("/push", methods=["POST"])
@body_limit("SYNC_MAX_BYTES")
@api_login_required(blp, before_password_change=FIELD_DATA)
@blp.arguments(PushSchema)
@blp.response(200, PushResultSchema)
@blp.alt_response(
    413, schema=ErrorSchema, description="Too many mutations or bytes; nothing applied"
)
@blp.alt_response(503, schema=ErrorSchema, description="An identical push is in flight; retry")
def push(body):
    """Apply mutations in order; each gets its own stored answer."""
    limit = current_app.config["SYNC_MAX_MUTATIONS"]
    if len(body["mutations"]) > limit:
        raise ApiError(413, "too_many_mutations", f"一次最多推送 {limit} 条变更")
    db.session.info["upload_max_bytes"] = current_app.config["UPLOAD_MAX_BYTES"]
    # The session and the user themselves, not their per-request proxies: the handlers
    # read them for every mutation.
    user = current_user._get_current_object()
    try:
        results = sync.push(
            db.session(),
            registry,
            principal_for(user),
            body["mutations"],
            device_id=body["device_id"],
            received_at=utcnow(),
            device_time=body["device_time"],
        )
    except IntegrityError:
        # An identical push committed first (same mutation ids): retrying gives duplicates.
        raise ApiError(
            503, "push_in_flight", "相同的变更正在处理,请稍后重试", headers={"Retry-After": "1"}
        ) from None
    return {"results": results, "server_time": utcnow()}


@blp.route("/pull")
@api_login_required(blp, before_password_change=FIELD_DATA)
@blp.arguments(PullArgsSchema, location="query")
@blp.response(200, PullResultSchema)
@blp.alt_response(
    400, schema=ErrorSchema, description="invalid_cursor: pull again without a cursor"
)
def pull(args):
    """Everything visible on the first call, then what changed since the cursor."""
    cfg = current_app.config
    limit = min(args["limit"] or cfg["PULL_DEFAULT_LIMIT"], cfg["PULL_MAX_LIMIT"])
    try:
        result = sync.pull(
            db.session, registry, principal_for(current_user), args["cursor"], limit, cursor_key()
        )
    except sync.InvalidCursor:
        raise ApiError(400, "invalid_cursor", "同步游标无效,请不带游标重新拉取") from None
    for change in result["changes"]:
        if change["entity"] == "plan" and change["op"] == "upsert":
            # A plan's details reaching a device is a read of them: audited like any other.
            audit_plan_read(change["id"], current_user, "sync_pull")
    return result

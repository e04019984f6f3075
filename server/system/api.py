"""/api/health and /api/settings."""

from __future__ import annotations

from flask_jwt_extended import current_user
from flask_smorest import Blueprint

from server.audit_chain import verify_chain
from server.auth.guards import api_login_required
from server.errors import ApiError
from server.extensions import db
from server.models import Role, utcnow
from server.schemas import ErrorSchema
from server.system import operations
from server.system.schemas import ChainCheckSchema, HealthSchema, SettingSchema, SettingUpdateSchema

blp = Blueprint("system", __name__, url_prefix="/api", description="运行状态与规则设置")


@blp.route("/health")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=ErrorSchema, description="The database does not answer")
def health():
    """Liveness with a database round trip (no login needed)."""
    if not operations.database_ok():
        raise ApiError(503, "database_unavailable", "数据库不可用")
    return {"status": "ok", "database": "ok", "server_time": utcnow()}


@blp.route("/audit/verify")
@api_login_required(blp, Role.admin)
@blp.response(200, ChainCheckSchema)
def verify_audit_chain():
    """Walk the hash-chained audit trail and name the first broken link (admin)."""
    return verify_chain(db.session)


@blp.route("/settings")
@api_login_required(blp, Role.admin, Role.supervisor)
@blp.response(200, SettingSchema(many=True))
def settings():
    """Every rule setting with its default and the value in force."""
    return operations.list_settings()


@blp.route("/settings/<string:key>", methods=["PUT"])
@api_login_required(blp, Role.admin)
@blp.arguments(SettingUpdateSchema)
@blp.response(200, SettingSchema)
def change_setting(body, key):
    """Override a rule setting (admin); null returns it to the default."""
    operations.change_setting(key, body["value"], current_user)
    return next(s for s in operations.list_settings() if s["key"] == key)

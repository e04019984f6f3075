"""flask-jwt-extended wiring: pinned HS256, string `sub`, a `sid` claim naming the login
session, revocation from the database, and every token failure as a 401 envelope.

Every claim the server issues is required when a token is decoded: PyJWT checks `exp`
only when it is present, so a token without one (signed with the right key) would never
expire."""

from __future__ import annotations

import uuid

from flask import g
from flask_jwt_extended import JWTManager, create_access_token, create_refresh_token
from flask_jwt_extended.config import config as jwt_config
from jwt import MissingRequiredClaimError

from server.errors import envelope
from server.extensions import db
from server.models import AuthSession, User, utcnow

TOKEN_MESSAGES = {
    "missing": "未提供登录凭据",
    "invalid": "登录凭据无效",
    "expired": "登录已过期,请刷新或重新登录",
    "revoked": "登录已失效,请重新登录",
}


def issue_tokens(session: AuthSession, refresh: bool = True) -> dict:
    identity = str(session.user_id)
    claims = {"sid": str(session.id)}
    tokens = {"access_token": create_access_token(identity, additional_claims=claims)}
    if refresh:
        tokens["refresh_token"] = create_refresh_token(identity, additional_claims=claims)
    return tokens


def load_live_session(sid, user_id) -> AuthSession | None:
    """The login session if it is still valid: not revoked, not expired, user active."""
    try:
        sid = uuid.UUID(str(sid))
        user_id = uuid.UUID(str(user_id))
    except ValueError:
        return None
    row = db.session.get(AuthSession, sid)
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    if row.expires_at <= utcnow() or not row.user.active:
        return None
    return row


# What create_access_token / create_refresh_token put in every token, plus our `sid`.
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "jti", "type", "fresh", "sub", "sid")


def _error(kind: str):
    return envelope(401, f"token_{kind}", TOKEN_MESSAGES[kind])


def init_tokens(jwt: JWTManager) -> None:
    @jwt.decode_key_loader
    def key_for_complete_tokens(_header, unverified_payload) -> str:
        """flask-jwt-extended passes PyJWT no `require` option: refuse a token missing
        any claim here, before its signature is checked (→ 401 token_invalid)."""
        for claim in REQUIRED_CLAIMS:
            if claim not in unverified_payload:
                raise MissingRequiredClaimError(claim)
        return jwt_config.decode_key

    @jwt.token_in_blocklist_loader
    def is_revoked(_header, payload) -> bool:
        session = load_live_session(payload.get("sid"), payload.get("sub"))
        if session is None:
            return True
        g.auth_session = session
        return False

    @jwt.user_lookup_loader
    def load_user(_header, payload) -> User | None:
        session = g.get("auth_session")
        return session.user if session is not None else None

    jwt.unauthorized_loader(lambda reason: _error("missing"))
    jwt.invalid_token_loader(lambda reason: _error("invalid"))
    jwt.expired_token_loader(lambda h, p: _error("expired"))
    jwt.revoked_token_loader(lambda h, p: _error("revoked"))
    jwt.needs_fresh_token_loader(lambda h, p: _error("invalid"))
    jwt.user_lookup_error_loader(lambda h, p: _error("revoked"))
    jwt.token_verification_failed_loader(lambda h, p: _error("invalid"))

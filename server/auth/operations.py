"""Logging in and out: rate limits, login sessions, audit of every attempt."""

from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from server.audit import client_addr, record_event
from server.auth.passwords import verify_password
from server.errors import ApiError
from server.extensions import db
from server.models import AuthSession, LoginAttempt, User, utcnow
from server.transaction import keep_writes_on_error


def _retry_after(oldest_failure_at, window: timedelta) -> int:
    return max(1, math.ceil((oldest_failure_at + window - utcnow()).total_seconds()))


def check_login_rate(username: str, addr: str) -> None:
    """Refuse when this username+address, or this address alone, failed too often."""
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    since = utcnow() - window
    failures = select(func.count(), func.min(LoginAttempt.at)).where(
        LoginAttempt.client_addr == addr,
        LoginAttempt.at > since,
        LoginAttempt.succeeded.is_(False),
    )
    limits = [
        (
            failures.where(LoginAttempt.username == username),
            cfg["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"],
        ),
        (failures, cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"]),
    ]
    for query, limit in limits:
        count, oldest = db.session.execute(query).one()
        if count >= limit:
            retry = _retry_after(oldest, window)
            raise ApiError(
                429,
                "too_many_login_attempts",
                f"登录失败次数过多,请 {math.ceil(retry / 60)} 分钟后再试",
                {"retry_after_seconds": retry},
                {"Retry-After": str(retry)},
            )


def log_in(username: str, password: str, user_agent: str | None) -> AuthSession:
    addr = client_addr() or "unknown"
    username = username.strip()
    check_login_rate(username, addr)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or not user.active:
        db.session.add(LoginAttempt(username=username, client_addr=addr, succeeded=False))
        reason = "inactive" if ok else "bad_credentials"
        record_event(
            "auth.login_failed", "user", user.id if user else None, username=username, reason=reason
        )
        keep_writes_on_error()
        # One message whatever the cause: it must not reveal which usernames exist.
        raise ApiError(401, "bad_credentials", "用户名或密码错误")
    session = AuthSession(
        user=user,
        expires_at=utcnow() + current_app.config["JWT_REFRESH_TOKEN_EXPIRES"],
        client_addr=addr,
        user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(session)
    db.session.add(LoginAttempt(username=username, client_addr=addr, succeeded=True))
    db.session.flush()
    record_event("auth.login", "user", user.id, actor_id=user.id, session_id=str(session.id))
    return session


def log_out(session: AuthSession) -> None:
    """Revoke the login session: its access and refresh tokens (and console cookie) die."""
    if session.revoked_at is None:
        session.revoked_at = utcnow()
        record_event(
            "auth.logout",
            "user",
            session.user_id,
            actor_id=session.user_id,
            session_id=str(session.id),
        )

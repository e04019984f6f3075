"""Logging in and out: rate limits, login sessions, audit of every attempt.

Three limits on failed logins within LOGIN_WINDOW_SECONDS (docs/api.md, "Login limits"):

- per username and client address (LOGIN_MAX_FAILURES_PER_USER_ADDRESS): always;
- per username over all addresses (LOGIN_MAX_FAILURES_PER_USER): stops guessing spread
  over many addresses;
- per client address (LOGIN_MAX_FAILURES_PER_ADDRESS): stops one address from trying many
  usernames.

An address is *known* for an account when the account logged in successfully from it
within LOGIN_KNOWN_ADDRESS_DAYS. The per-username and per-address limits do not refuse an
account at a known address: an office behind one NAT address keeps working while a noisy
colleague or an attacker elsewhere is throttled, and only the per-username+address limit
applies there. An admin clears an account's failures (`clear_login_failures`).

SQLite: the login view begins deferred. The limits and the user are read without the
write lock, the password is hashed with no transaction open at all, and the outcome is
written in a transaction that takes the write lock (server/database.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from server.audit import client_addr, record_event
from server.auth.passwords import hash_password, verify_password
from server.database import begin_writing_now
from server.errors import ApiError, field_error
from server.extensions import db
from server.models import AuthSession, LoginAttempt, User, utcnow
from server.transaction import keep_writes_on_error


@dataclass
class FailureCount:
    scope: str  # "user_address", "user" or "address"
    limit: int
    failures: int
    oldest: datetime | None
    refuses: bool  # False where the address is known for the account


def _window() -> timedelta:
    return timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"])


def is_known_address(username: str, addr: str) -> bool:
    days = current_app.config["LOGIN_KNOWN_ADDRESS_DAYS"]
    return (
        db.session.scalar(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.username == username,
                LoginAttempt.client_addr == addr,
                LoginAttempt.succeeded.is_(True),
                LoginAttempt.at > utcnow() - timedelta(days=days),
            )
            .limit(1)
        )
        is not None
    )


def failure_counts(username: str, addr: str) -> list[FailureCount]:
    cfg = current_app.config
    failed = select(func.count(), func.min(LoginAttempt.at)).where(
        LoginAttempt.at > utcnow() - _window(), LoginAttempt.succeeded.is_(False)
    )
    known = is_known_address(username, addr)
    scopes = [
        (
            "user_address",
            cfg["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"],
            failed.where(LoginAttempt.username == username, LoginAttempt.client_addr == addr),
            True,
        ),
        (
            "user",
            cfg["LOGIN_MAX_FAILURES_PER_USER"],
            failed.where(LoginAttempt.username == username),
            not known,
        ),
        (
            "address",
            cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            failed.where(LoginAttempt.client_addr == addr),
            not known,
        ),
    ]
    counts = []
    for scope, limit, query, refuses in scopes:
        failures, oldest = db.session.execute(query).one()
        counts.append(FailureCount(scope, limit, failures, oldest, refuses))
    return counts


def refuse_if_throttled(counts: list[FailureCount]) -> None:
    reached = [c for c in counts if c.refuses and c.failures >= c.limit]
    if not reached:
        return
    now = utcnow()
    retry = max(max(1, math.ceil((c.oldest + _window() - now).total_seconds())) for c in reached)
    raise ApiError(
        429,
        "too_many_login_attempts",
        f"登录失败次数过多,请 {math.ceil(retry / 60)} 分钟后再试",
        {"retry_after_seconds": retry},
        {"Retry-After": str(retry)},
    )


def _record_failure(
    username: str, addr: str, user: User | None, reason: str, counts: list[FailureCount]
) -> None:
    db.session.add(LoginAttempt(username=username, client_addr=addr, succeeded=False))
    user_id = user.id if user else None
    record_event("auth.login_failed", "user", user_id, username=username, reason=reason)
    for count in counts:
        if count.failures < count.limit <= count.failures + 1:  # this failure reaches it
            entity = ("login_address", addr) if count.scope == "address" else ("user", user_id)
            record_event(
                "auth.login_throttled",
                *entity,
                scope=count.scope,
                username=username,
                failures=count.limit,
                window_seconds=current_app.config["LOGIN_WINDOW_SECONDS"],
            )
    keep_writes_on_error()


def log_in(username: str, password: str, user_agent: str | None) -> AuthSession:
    addr = client_addr() or "unknown"
    username = username.strip()

    # 1. Reads. On SQLite the login view begins deferred: no write lock is taken.
    refuse_if_throttled(failure_counts(username, addr))
    user = db.session.scalar(select(User).where(User.username == username))
    stored_hash = user.password_hash if user else None
    # 2. The slow hash with no transaction open (the login view has written nothing).
    db.session.rollback()
    ok = verify_password(stored_hash, password)

    # 3. Writes, in a transaction that holds the write lock from its start.
    begin_writing_now()
    counts = failure_counts(username, addr)
    # Attempts running at the same time were not counted in step 1: decide again under
    # the lock (SQLite), without revealing whether this password was right.
    refuse_if_throttled(counts)
    user = db.session.scalar(select(User).where(User.username == username))
    ok = ok and user is not None and user.password_hash == stored_hash  # changed meanwhile
    if not ok or not user.active:
        _record_failure(username, addr, user, "inactive" if ok else "bad_credentials", counts)
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


def revoke_sessions(user_id, keep_id=None) -> int:
    """End the user's live login sessions (their tokens and console cookies stop working),
    all of them or all but `keep_id`. Returns how many."""
    query = select(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_id is not None:
        query = query.where(AuthSession.id != keep_id)
    now, revoked = utcnow(), 0
    for session in db.session.scalars(query):
        session.revoked_at, revoked = now, revoked + 1
    return revoked


WRONG_PASSWORD = "当前密码不正确"


def change_own_password(user_id, session_id, old: str, new: str) -> int:
    """A user's own new password, the current one required. Every other login session of
    theirs ends (other phones and consoles log in again); this one stays. Returns how many
    ended. As for a login, the slow hashes run with no transaction open (the view begins
    deferred) and the write takes the lock after them."""
    stored = db.session.get(User, user_id).password_hash
    db.session.rollback()
    ok = verify_password(stored, old)
    new_hash = hash_password(new) if ok else None
    begin_writing_now()
    user = db.session.get(User, user_id)
    if not ok or user.password_hash != stored:  # wrong, or changed meanwhile
        raise field_error("old_password", WRONG_PASSWORD)
    user.password_hash = new_hash
    forced, user.must_change_password = user.must_change_password, False
    ended = revoke_sessions(user.id, keep_id=session_id)
    record_event(
        "user.password_change",
        "user",
        user.id,
        actor_id=user.id,
        session_id=str(session_id),
        ended_sessions=ended,
        was_required=forced,
    )
    return ended


def recent_login_failures(username: str) -> int:
    """Failed logins of the account within the window (what an admin's unlock clears)."""
    return db.session.scalar(
        select(func.count()).where(
            LoginAttempt.username == username,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > utcnow() - _window(),
        )
    )


def clear_login_failures(username: str) -> int:
    """Lift every login limit on this account (an admin's unlock): its failed attempts
    are forgotten, so they count neither for it nor for the addresses they came from.
    Returns how many were cleared. The failures stay in the audit trail."""
    result = db.session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(False)
        )
    )
    return result.rowcount


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

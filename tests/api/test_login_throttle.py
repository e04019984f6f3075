"""Login limits: per username+address, per username over all addresses, per address (which
spare an account at an address it logged in from), the admin unlock, and SQLite write
discipline (no write lock while the password is hashed)."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from sqlalchemy import event, func, select, update

from server.auth import passwords
from server.auth.passwords import hash_password
from server.extensions import db
from server.models import AuditEvent, AuthSession, LoginAttempt, Role, User
from tests.factories import PASSWORD

OFFICE = "10.1.0.1"  # one office behind a NAT address


def attempt(client, username, password, addr):
    return client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def assert_429(response, window):
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_login_attempts"
    retry = int(response.headers["Retry-After"])
    assert 0 < retry <= window
    assert response.get_json()["error"]["details"]["retry_after_seconds"] == retry


def throttle_events(scope=None):
    query = select(AuditEvent).where(AuditEvent.action == "auth.login_throttled")
    events = db.session.scalars(query).all()
    return [e for e in events if scope is None or e.details["scope"] == scope]


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def user(factory):
    user = factory.user()
    db.session.commit()
    return user


def test_guessing_spread_over_addresses_locks_the_account(app, client, factory, user):
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    for n in range(limit):
        assert attempt(client, user.username, "bad", f"10.2.0.{n}").status_code == 401
    # Right password, from an address that never failed: refused all the same.
    blocked = attempt(client, user.username, PASSWORD, "10.3.0.1")
    assert_429(blocked, app.config["LOGIN_WINDOW_SECONDS"])
    [event] = throttle_events("user")
    assert event.entity_type == "user" and event.entity_id == str(user.id)
    assert event.details["username"] == user.username
    assert event.details["failures"] == limit
    # Another account is not affected.
    other = factory.user()
    db.session.commit()
    assert attempt(client, other.username, PASSWORD, "10.3.0.1").status_code == 200


def test_account_limit_spares_an_address_the_account_logged_in_from(app, client, user):
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 200
    for n in range(app.config["LOGIN_MAX_FAILURES_PER_USER"]):
        attempt(client, user.username, "bad", f"10.2.0.{n}")
    assert attempt(client, user.username, PASSWORD, "10.3.0.1").status_code == 429
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 200


def test_a_noisy_address_does_not_lock_out_accounts_known_there(app, client, factory):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    regular, newcomer = factory.user(), factory.user()
    db.session.commit()
    assert attempt(client, regular.username, PASSWORD, OFFICE).status_code == 200
    for n in range(3):
        assert attempt(client, f"guess{n}", "x", OFFICE).status_code == 401
    [event] = throttle_events("address")
    assert (event.entity_type, event.entity_id) == ("login_address", OFFICE)
    # Someone who logged in from the office before still gets in from it...
    assert attempt(client, regular.username, PASSWORD, OFFICE).status_code == 200
    # ...a username never used there does not (so spraying usernames stops)...
    assert_429(
        attempt(client, newcomer.username, PASSWORD, OFFICE), app.config["LOGIN_WINDOW_SECONDS"]
    )
    assert attempt(client, "guess9", "x", OFFICE).status_code == 429
    # ...and the newcomer is fine from elsewhere.
    assert attempt(client, newcomer.username, PASSWORD, "10.4.0.1").status_code == 200


def test_per_username_and_address_limit_applies_at_a_known_address(app, client, user):
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 200
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    for _ in range(limit):
        assert attempt(client, user.username, "bad", OFFICE).status_code == 401
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 429
    assert len(throttle_events("user_address")) == 1


def test_known_address_expires(app, client, user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 1
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 200
    app.config["LOGIN_KNOWN_ADDRESS_DAYS"] = 0  # that login is now too old to count
    attempt(client, "guess", "x", OFFICE)
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 429


def test_a_refused_attempt_writes_nothing_and_checks_no_password(app, client, user, monkeypatch):
    app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"] = 1
    attempt(client, user.username, "bad", OFFICE)
    before = (count(LoginAttempt), count(AuditEvent), count(AuthSession))
    checked = []
    monkeypatch.setattr(passwords, "check_password_hash", lambda *a: checked.append(a))
    assert attempt(client, user.username, PASSWORD, OFFICE).status_code == 429
    assert attempt(client, user.username, "bad", OFFICE).status_code == 429
    assert (count(LoginAttempt), count(AuditEvent), count(AuthSession)) == before
    assert checked == []


def test_admin_unlocks_an_account(app, client, factory, auth, user):
    admin = factory.user(Role.admin)
    headers = auth.headers(admin)
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER"]
    for n in range(limit):
        attempt(client, user.username, "bad", f"10.2.0.{n}")
    assert attempt(client, user.username, PASSWORD, "10.3.0.1").status_code == 429

    response = client.post(f"/api/users/{user.id}/unlock-login", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {
        "user_id": str(user.id),
        "username": user.username,
        "cleared_failures": limit,
    }
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.unlock_login")
    ).one()
    assert event.actor_id == admin.id and event.entity_id == str(user.id)
    assert event.details["cleared_failures"] == limit
    assert attempt(client, user.username, PASSWORD, "10.3.0.1").status_code == 200
    # The failures stay in the audit trail.
    failed = select(func.count()).where(AuditEvent.action == "auth.login_failed")
    assert db.session.scalar(failed) == limit


@pytest.mark.parametrize("role", [Role.inspector, Role.supervisor, Role.responder, Role.leader])
def test_only_admins_unlock(client, factory, auth, user, role):
    response = client.post(
        f"/api/users/{user.id}/unlock-login", headers=auth.headers(factory.user(role))
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden_role"


def test_unlocking_an_unknown_user_is_404(client, factory, auth):
    headers = auth.headers(factory.user(Role.admin))
    response = client.post(f"/api/users/{uuid.uuid4()}/unlock-login", headers=headers)
    assert response.status_code == 404
    assert set(response.get_json()["error"]) == {"code", "message", "details"}


# --- Write discipline: the hash runs with no transaction open -----------------------------


def sqlite_path(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def other_sqlite_writer(app):
    """A second connection that gives up at once if anyone holds the write lock."""
    conn = sqlite3.connect(sqlite_path(app), timeout=0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout=0")
    return conn


@pytest.fixture
def during_hash(monkeypatch):
    """Run `callback()` while the login checks a password (inside the real check)."""
    callbacks = []
    real = passwords.check_password_hash

    def check(stored, password):
        for callback in callbacks:
            callback()
        return real(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", check)
    return callbacks.append


@pytest.mark.parametrize(
    "username_ok, password, status",
    [(True, "bad", 401), (False, "bad", 401), (True, PASSWORD, 200)],
    ids=["wrong-password", "unknown-username", "success"],
)
def test_no_transaction_is_open_while_hashing(
    app, client, user, during_hash, username_ok, password, status
):
    seen = []
    username = user.username if username_ok else "nobody"

    def another_writer():
        seen.append(db.session().in_transaction())
        if app.config["BACKEND"] == "sqlite":
            conn = other_sqlite_writer(app)
            try:
                conn.execute("BEGIN IMMEDIATE")  # "database is locked" if the login held it
                conn.execute(
                    "INSERT INTO login_attempt (username, client_addr, at, succeeded) "
                    "VALUES ('other.writer', '10.9.9.9', CURRENT_TIMESTAMP, 1)"
                )
                conn.execute("COMMIT")
            finally:
                conn.close()

    during_hash(another_writer)
    assert attempt(client, username, password, OFFICE).status_code == status
    assert seen == [False]
    if app.config["BACKEND"] == "sqlite":
        writer = select(LoginAttempt.id).where(LoginAttempt.username == "other.writer")
        assert db.session.scalars(writer).one()
    # The outcome was written after the hash.
    outcome = db.session.scalars(
        select(LoginAttempt).where(LoginAttempt.username == username)
    ).one()
    assert outcome.succeeded is (status == 200)


def test_limit_reads_take_no_write_lock(app, client, user):
    """A refused attempt only reads: it answers even while another writer holds the lock."""
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("SQLite's write lock")
    app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"] = 1
    username = user.username
    attempt(client, username, "bad", OFFICE)
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 1
    db.session.close()  # the request begins its own transaction
    db.engine.dispose()  # new connections with the short busy timeout
    holder = other_sqlite_writer(app)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert attempt(client, username, PASSWORD, OFFICE).status_code == 429
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_attempts_counted_meanwhile_refuse_even_a_right_password(app, client, user, during_hash):
    """Attempts that failed while this one was hashing are counted under the write lock."""
    limit = app.config["LOGIN_MAX_FAILURES_PER_USER_ADDRESS"]
    username = user.username

    def others_fail_meanwhile():
        with db.engine.begin() as conn:
            conn.execute(
                LoginAttempt.__table__.insert(),
                [
                    {"username": username, "client_addr": OFFICE, "succeeded": False}
                    for _ in range(limit)
                ],
            )

    during_hash(others_fail_meanwhile)
    response = attempt(client, username, PASSWORD, OFFICE)
    assert response.status_code == 429
    assert count(AuthSession) == 0


def test_a_password_changed_while_hashing_is_refused(app, client, user, during_hash):
    user_id, username = user.id, user.username

    def admin_changes_it():
        with db.engine.begin() as conn:
            conn.execute(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=hash_password("new-password-1"))
            )

    during_hash(admin_changes_it)
    assert attempt(client, username, PASSWORD, OFFICE).status_code == 401
    assert count(AuthSession) == 0
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).one()
    assert failed.entity_id == str(user_id)


def test_sqlite_login_reads_deferred_and_writes_immediate(app, client, user, during_hash):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("SQLite's BEGIN modes")
    username = user.username
    db.session.close()  # the request begins its own transactions
    trace = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN") or statement.lstrip().startswith("INSERT"):
            trace.append(statement.split()[0] + (" IMMEDIATE" if "IMMEDIATE" in statement else ""))

    during_hash(lambda: trace.append("hash"))
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert attempt(client, username, "bad", OFFICE).status_code == 401
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert trace[:3] == ["BEGIN", "hash", "BEGIN IMMEDIATE"]
    assert "INSERT" in trace[3:] and "BEGIN" not in trace[3:]

"""The audit trail is hash-chained; any change made behind the application's back is found."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, insert, select, text, update

from server.audit import record_event
from server.audit_chain import verify_chain
from server.extensions import db
from server.models import AuditEvent, Role


@pytest.fixture
def chain(app):
    for n in range(6):
        record_event("test.event", "thing", str(n), note=f"第{n}条", amount=n)
        db.session.commit()
    return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)))


def run_cli(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_chain_is_written_in_commit_order(chain):
    assert [e.chain_seq for e in chain] == list(range(1, 7))
    assert chain[0].prev_hash == "0" * 64
    for earlier, later in zip(chain, chain[1:], strict=False):
        assert later.prev_hash == earlier.hash
    assert verify_chain(db.session) == {"ok": True, "checked": 6, "broken": None}


def test_cli_reports_an_intact_chain(app, chain):
    result = run_cli(app)
    assert result.exit_code == 0 and "6 events" in result.output


def test_a_changed_row_is_found(app, chain):
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == chain[3].id).values(action="test.forged")
    )
    db.session.commit()
    result = verify_chain(db.session)
    assert not result["ok"] and result["checked"] == 3
    assert result["broken"]["event_id"] == chain[3].id
    cli = run_cli(app)
    assert cli.exit_code == 1 and f"event_id={chain[3].id}" in cli.output


def test_changed_details_are_found(chain):
    db.session.execute(
        text("UPDATE audit_event SET details = :d WHERE id = :i"),
        {"d": '{"note": "改过", "amount": 1}', "i": chain[1].id},
    )
    db.session.commit()
    assert verify_chain(db.session)["broken"]["event_id"] == chain[1].id


def test_a_removed_row_is_found(chain):
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == chain[2].id))
    db.session.commit()
    result = verify_chain(db.session)
    assert result["broken"]["chain_seq"] == 3 and result["broken"]["event_id"] == chain[3].id


def test_a_removed_last_row_is_found(chain):
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == chain[-1].id))
    db.session.commit()
    result = verify_chain(db.session)
    assert not result["ok"] and "end of the chain" in result["broken"]["reason"]


def test_a_row_inserted_outside_the_application_is_found(chain):
    db.session.execute(
        insert(AuditEvent).values(
            action="test.smuggled", entity_type="thing", details={}, at=chain[0].at
        )
    )
    db.session.commit()
    assert not verify_chain(db.session)["ok"]


def test_rolled_back_events_leave_no_gap(app, chain):
    record_event("test.rolled_back", "thing", "x")
    db.session.rollback()
    record_event("test.after", "thing", "y")
    db.session.commit()
    assert verify_chain(db.session) == {"ok": True, "checked": 7, "broken": None}


def test_events_of_a_rolled_back_savepoint_leave_no_gap(app, chain):
    """A push mutation runs in a savepoint; an event it recorded before failing is gone."""
    savepoint = db.session.begin_nested()
    record_event("test.in_savepoint", "thing", "x")
    db.session.flush()
    savepoint.rollback()
    record_event("test.after", "thing", "y")
    db.session.commit()
    assert verify_chain(db.session) == {"ok": True, "checked": 7, "broken": None}
    assert (
        db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "test.in_savepoint"))
        is None
    )


def test_failed_logins_are_chained_too(client, factory):
    user = factory.user()
    db.session.commit()
    client.post("/api/auth/login", json={"username": user.username, "password": "wrong"})
    assert verify_chain(db.session)["ok"]
    assert db.session.scalar(
        select(AuditEvent.chain_seq).where(AuditEvent.action == "auth.login_failed")
    )


def test_admin_endpoint(client, factory, auth, chain):
    admin = auth.headers(factory.user(Role.admin))
    body = client.get("/api/audit/verify", headers=admin).get_json()
    assert body["ok"] is True and body["checked"] >= 6
    db.session.execute(
        update(AuditEvent).where(AuditEvent.id == chain[0].id).values(entity_id="forged")
    )
    db.session.commit()
    body = client.get("/api/audit/verify", headers=admin).get_json()
    assert body["ok"] is False and body["broken"]["event_id"] == chain[0].id
    supervisor = auth.headers(factory.user(Role.supervisor))
    assert client.get("/api/audit/verify", headers=supervisor).status_code == 403


def test_concurrent_writers_chain_in_commit_order(app, chain):
    """Two transactions write events at once: the chain stays linear."""
    from sqlalchemy.orm import Session

    if db.engine.dialect.name == "sqlite":
        pytest.skip("SQLite has one writer at a time: no interleaving to test")
    with Session(db.engine) as first, Session(db.engine) as second:
        for session, name in ((first, "first"), (second, "second")):
            event = AuditEvent(action=f"test.{name}", entity_type="thing", details={})
            session.add(event)
            session.flush()
            from server.audit_chain import remember

            remember(session, event)
        second.commit()
        first.commit()
    assert verify_chain(db.session) == {"ok": True, "checked": 8, "broken": None}

"""SQLite still locked after the busy timeout: a 503 with Retry-After in the envelope,
nothing written, so the device's retry applies the push once; not a 500."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from server.extensions import db
from server.models import Finding
from tests.api.sync_helpers import Device, finding_data, mutation


def test_a_write_that_cannot_get_the_lock_is_a_503_and_the_retry_applies_once(
    app, client, auth, world
):
    if app.config["BACKEND"] != "sqlite":
        pytest.skip("PostgreSQL has no database-wide write lock")
    device = Device(client, auth, world.inspector)
    db.session.commit()
    app.config["SQLITE_BUSY_TIMEOUT_MS"] = 50
    db.engine.dispose()  # new connections take the short timeout
    finding = mutation("finding", finding_data(world))
    body = {"device_id": device.device_id, "mutations": [finding]}
    holder = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    holder.isolation_level = None
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the timeout
    try:
        response = client.post("/api/sync/push", headers=device.headers, json=body)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.get_json()["error"]
    assert error["code"] == "database_busy" and "重试" in error["message"]
    # The device sends the same push again: applied (not duplicate: nothing was kept).
    assert device.push(finding)[0]["status"] == "applied"
    assert db.session.scalar(select(func.count()).select_from(Finding)) == 1

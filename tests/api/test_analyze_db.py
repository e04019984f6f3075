"""`flask analyze-db`: SQLite's planner statistics are written; PostgreSQL is left to
autovacuum."""

from __future__ import annotations

from sqlalchemy import text

from server.extensions import db


def test_analyze_db_writes_the_planner_statistics_on_sqlite(app, rw):
    rw.make()  # an item, so the rectification table has statistics to gather
    result = app.test_cli_runner().invoke(args=["analyze-db"])
    assert result.exit_code == 0, result.output
    if db.engine.dialect.name == "sqlite":
        assert "SQLite 统计信息已更新" in result.output
        indexes = db.session.scalars(
            text("SELECT idx FROM sqlite_stat1 WHERE tbl = 'rectification'")
        ).all()
        assert "ix_rectification_lead_page" in indexes
    else:
        assert "autovacuum" in result.output

"""server/search.py: the text filter's escaping and the SQLite-only unary plus."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from server.models import Rectification
from server.search import unindexed


def test_unindexed_is_a_unary_plus_on_sqlite_only():
    query = select(Rectification.id).where(unindexed(Rectification.office_unit_id) == "x")
    assert "WHERE +rectification.office_unit_id = ?" in str(query.compile(dialect=sqlite.dialect()))
    on_pg = str(query.compile(dialect=postgresql.dialect()))
    assert "WHERE rectification.office_unit_id = %(" in on_pg and "+" not in on_pg

"""Free-text filters ("q"): a case-insensitive substring match in which the user's % and _
are plain characters, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from server.extensions import db


def contains_text(columns, text: str):
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if db.engine.dialect.name == "sqlite" or text.lower() == text.upper():
        # SQLite's LIKE already ignores ASCII case (and lower() knows no other), so ILIKE's
        # lower(column) would only double the cost of the scan. Text without a cased
        # letter (most Chinese searches) matches the same rows either way, and ILIKE
        # costs PostgreSQL about five times LIKE over Chinese text (bench/clue_import.py).
        return or_(*(column.like(pattern, escape="\\") for column in columns))
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


class unindexed(ColumnElement):  # noqa: N801 - used like a SQL function
    """A column SQLite must not use an index for (written `+column`): where a substring
    search has to read every row anyway, SQLite would otherwise still walk an index on an
    equality that matches nearly all rows (one office's items) and look up each row,
    several times slower than reading the table once. Other databases get the column."""

    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column):
        self.column = column
        self.type = column.type


@compiles(unindexed)
def _plain(element, compiler, **kw):
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unary_plus(element, compiler, **kw):
    return "+" + compiler.process(element.column, **kw)

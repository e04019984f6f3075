"""Throwaway PostgreSQL databases for tests and benchmarks (no pytest import here)."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class TempPostgres:
    """Creates and drops databases on the server named by a base URL (trust auth)."""

    def __init__(self, base_url: str):
        self.base = make_url(base_url)
        self.admin = create_engine(self.base, isolation_level="AUTOCOMMIT")

    @staticmethod
    def available(base_url: str) -> bool:
        try:
            engine = create_engine(base_url, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("select 1"))
            engine.dispose()
            return True
        except Exception:  # any failure means "not available"
            return False

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def dispose(self) -> None:
        self.admin.dispose()

"""Outside development and tests the app refuses to start without real secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from server import create_app
from server.config import ConfigError, load_config

REPO = Path(__file__).resolve().parents[2]
GOOD = {"ZHICHA_SECRET_KEY": "a" * 20 + "b" * 20, "ZHICHA_JWT_SECRET_KEY": "c" * 20 + "d" * 20}


def env(tmp_path, **values):
    return {"ZHICHA_INSTANCE_DIR": str(tmp_path), **values}


@pytest.mark.parametrize(
    "secrets",
    [
        {},
        {"ZHICHA_SECRET_KEY": GOOD["ZHICHA_SECRET_KEY"]},
        {"ZHICHA_SECRET_KEY": "short", "ZHICHA_JWT_SECRET_KEY": GOOD["ZHICHA_JWT_SECRET_KEY"]},
        {
            "ZHICHA_SECRET_KEY": GOOD["ZHICHA_SECRET_KEY"],
            "ZHICHA_JWT_SECRET_KEY": GOOD["ZHICHA_SECRET_KEY"],
        },
    ],
)
def test_production_refuses_missing_short_or_equal_secrets(tmp_path, secrets):
    with pytest.raises(ConfigError, match="ZHICHA_"):
        load_config(environ=env(tmp_path, **secrets))


def test_production_starts_with_real_secrets(tmp_path):
    cfg = load_config(environ=env(tmp_path, **GOOD))
    assert cfg["ENV"] == "production"
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'zhicha.sqlite3'}"


def test_development_generates_secrets_once(tmp_path):
    first = load_config(environ=env(tmp_path, ZHICHA_ENV="development"))
    second = load_config(environ=env(tmp_path, ZHICHA_ENV="development"))
    assert len(first["SECRET_KEY"]) >= 32
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert first["JWT_SECRET_KEY"] != first["SECRET_KEY"]
    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert stored["JWT_SECRET_KEY"] == first["JWT_SECRET_KEY"]
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_database_url_selects_postgresql_with_psycopg3(tmp_path):
    cfg = load_config(environ=env(tmp_path, DATABASE_URL="postgres://u@h/db", **GOOD))
    assert cfg["DATABASE_URL"] == "postgresql+psycopg://u@h/db"


def test_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="ZHICHA_ENV"):
        load_config(environ=env(tmp_path, ZHICHA_ENV="staging", **GOOD))


def test_wsgi_refuses_to_start_without_secrets(tmp_path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHICHA_")}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**clean, "ZHICHA_INSTANCE_DIR": str(tmp_path)},
        timeout=60,
    )
    assert result.returncode != 0
    assert "ZHICHA_SECRET_KEY must be set" in result.stderr


def test_sqlite_connection_pragmas(tmp_path):
    from server.extensions import db
    from tests.conftest import make_test_config

    app = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'p.sqlite3'}"))
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_create_app_with_bad_config_raises(tmp_path):
    with pytest.raises(ConfigError):
        create_app(
            {
                "ENV": "production",
                "INSTANCE_DIR": str(tmp_path),
                "SECRET_KEY": "",
                "JWT_SECRET_KEY": "",
            }
        )

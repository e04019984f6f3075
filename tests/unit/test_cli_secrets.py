"""Every flask command reads instance/secrets.env by itself (as `make run` generates it):
no command needs the file loaded by hand, and the real environment always wins."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.config import ConfigError, load_config, read_env_file
from tests.conftest import BACKENDS

REPO = Path(__file__).resolve().parents[2]
FILE_SECRETS = {"ZHICHA_SECRET_KEY": "f" * 48, "ZHICHA_JWT_SECRET_KEY": "g" * 48}
ENV_SECRETS = {"ZHICHA_SECRET_KEY": "e" * 48, "ZHICHA_JWT_SECRET_KEY": "h" * 48}


def write_env(path: Path, values: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


def clean_environ(instance: Path) -> dict:
    """The caller's environment without any of the app's settings, plus the instance."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ZHICHA_", "FLASK_")) and k != "DATABASE_URL"
    }
    return {**keep, "ZHICHA_INSTANCE_DIR": str(instance)}


def flask(environ: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(params=BACKENDS)
def database_line(request):
    """Nothing (SQLite in the instance folder) or a DATABASE_URL line for the file."""
    if request.param == "sqlite":
        yield {}
        return
    pg = request.getfixturevalue("temp_postgres")
    url = pg.create("zhicha_cli")
    yield {"DATABASE_URL": url}
    pg.drop(url)


def test_cli_commands_run_on_the_generated_secrets_file_alone(tmp_path, database_line):
    instance = tmp_path / "instance"
    instance.mkdir()
    keygen = subprocess.run(
        [sys.executable, "-m", "server.keygen"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    # As `make run` writes it; a deployment may add DATABASE_URL and the like.
    (instance / "secrets.env").write_text(
        keygen.stdout + "".join(f"{k}={v}\n" for k, v in database_line.items())
    )
    environ = clean_environ(instance)
    for command in (["db", "upgrade"], ["audit", "verify"], ["send-reminders"]):
        result = flask(environ, *command)
        assert result.returncode == 0, (command, result.stderr[-2000:])
    if not database_line:
        assert (instance / "zhicha.sqlite3").exists()


def test_cli_refuses_without_secrets_and_names_the_file(tmp_path):
    instance = tmp_path / "instance"
    result = flask(clean_environ(instance), "jobs", "status")
    assert result.returncode != 0
    assert "ZHICHA_SECRET_KEY must be set" in result.stderr
    assert str(instance.resolve() / "secrets.env") in result.stderr


def test_real_environment_wins_over_the_file_in_a_cli_command(tmp_path):
    """A bad secret in the environment is refused although the file holds a good one:
    the file never replaces what the environment says."""
    instance = tmp_path / "instance"
    write_env(instance / "secrets.env", FILE_SECRETS)
    environ = {**clean_environ(instance), "ZHICHA_SECRET_KEY": "short"}
    result = flask(environ, "jobs", "status")
    assert result.returncode != 0
    assert "ZHICHA_SECRET_KEY must be set" in result.stderr


def test_real_environment_wins_over_the_file(tmp_path):
    write_env(tmp_path / "secrets.env", {**FILE_SECRETS, "ZHICHA_ACCESS_TOKEN_MINUTES": "7"})
    environ = {"ZHICHA_INSTANCE_DIR": str(tmp_path), **ENV_SECRETS}
    cfg = load_config(environ=environ)
    assert cfg["SECRET_KEY"] == ENV_SECRETS["ZHICHA_SECRET_KEY"]
    assert cfg["JWT_SECRET_KEY"] == ENV_SECRETS["ZHICHA_JWT_SECRET_KEY"]
    assert cfg["ACCESS_TOKEN_MINUTES"] == 7  # what the environment lacks comes from the file
    assert cfg["SECRETS_FILE"] == str(tmp_path.resolve() / "secrets.env")
    assert environ == {"ZHICHA_INSTANCE_DIR": str(tmp_path), **ENV_SECRETS}  # untouched


def test_explicit_overrides_win_over_the_file(tmp_path):
    write_env(tmp_path / "secrets.env", FILE_SECRETS)
    cfg = load_config({"SECRET_KEY": "o" * 48}, environ={"ZHICHA_INSTANCE_DIR": str(tmp_path)})
    assert cfg["SECRET_KEY"] == "o" * 48
    assert cfg["JWT_SECRET_KEY"] == FILE_SECRETS["ZHICHA_JWT_SECRET_KEY"]


def test_an_empty_environment_variable_is_filled_from_the_file(tmp_path):
    write_env(tmp_path / "secrets.env", FILE_SECRETS)
    cfg = load_config(environ={"ZHICHA_INSTANCE_DIR": str(tmp_path), "ZHICHA_SECRET_KEY": ""})
    assert cfg["SECRET_KEY"] == FILE_SECRETS["ZHICHA_SECRET_KEY"]


def test_tests_never_read_the_instance_file_unless_asked(tmp_path):
    path = write_env(tmp_path / "secrets.env", FILE_SECRETS)
    environ = {"ZHICHA_INSTANCE_DIR": str(tmp_path), "ZHICHA_ENV": "test"}
    with pytest.raises(ConfigError, match="ZHICHA_SECRET_KEY must be set"):
        load_config(environ=environ)
    with pytest.raises(ConfigError, match="ZHICHA_SECRET_KEY must be set"):
        load_config({"ENV": "test"}, environ={"ZHICHA_INSTANCE_DIR": str(tmp_path)})
    asked = load_config(environ={**environ, "ZHICHA_SECRETS_FILE": str(path)})
    assert asked["SECRET_KEY"] == FILE_SECRETS["ZHICHA_SECRET_KEY"]


def test_a_named_file_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="ZHICHA_SECRETS_FILE"):
        load_config(environ={"ZHICHA_SECRETS_FILE": str(tmp_path / "missing.env")})


def test_env_file_syntax(tmp_path):
    path = tmp_path / "secrets.env"
    path.write_text(
        "# generated by python -m server.keygen\n"
        "\n"
        "ZHICHA_SECRET_KEY=abc=def\n"
        "export ZHICHA_JWT_SECRET_KEY='quoted value'\n"
        'DATABASE_URL="postgresql://u@h/db"\n'
    )
    assert read_env_file(path) == {
        "ZHICHA_SECRET_KEY": "abc=def",
        "ZHICHA_JWT_SECRET_KEY": "quoted value",
        "DATABASE_URL": "postgresql://u@h/db",
    }
    path.write_text("ZHICHA_SECRET_KEY abc\n")
    with pytest.raises(ConfigError, match=r"secrets.env:1: expected NAME=value"):
        read_env_file(path)

"""Configuration: defaults in one class, overridden by ZHICHA_* environment variables.

Outside development and tests the app refuses to start without real secrets, so a
deployment can never run on a key that is written in this repository or guessable.

`make run` generates the secrets once into `instance/secrets.env`. Every process of the
app (gunicorn, the job worker, any `flask` command) reads that file when it starts, so
no command needs it loaded by hand; a variable already set (non-empty) in the real
environment always wins over the file. Tests never read it unless they name a file
with ZHICHA_SECRETS_FILE.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

ENVIRONMENTS = ("production", "development", "test")
MAP_DATUMS = ("wgs84", "gcj02")
MIN_SECRET_LENGTH = 32
# Placeholders people paste from examples; never acceptable as a real secret.
KNOWN_BAD_SECRETS = {"change-me", "changeme", "secret", "dev", "development", "test"}


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to fix."""


class Config:
    ENV = "production"
    INSTANCE_DIR = "instance"
    # Environment lines (NAME=value) read at start, under the real environment: empty
    # means INSTANCE_DIR/secrets.env when it exists, and nothing in tests.
    SECRETS_FILE = ""
    DATABASE_URL = ""  # empty: SQLite file instance/zhicha.sqlite3
    SECRET_KEY = ""
    JWT_SECRET_KEY = ""
    ACCESS_TOKEN_MINUTES = 15
    REFRESH_TOKEN_DAYS = 30
    MAX_BODY_BYTES = 2 * 1024 * 1024
    # werkzeug method string; tests use a cheap one.
    PASSWORD_HASH_METHOD = "scrypt:32768:8:1"
    SQLITE_BUSY_TIMEOUT_MS = 5000
    PROXY_COUNT = 0  # trusted reverse proxies in front (for the client address)
    # Failed logins within the window (server/auth/operations.py): per username and
    # address; per username over all addresses and per address, neither of which refuses
    # an account at an address it logged in from within LOGIN_KNOWN_ADDRESS_DAYS.
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_MAX_FAILURES_PER_USER_ADDRESS = 5
    LOGIN_MAX_FAILURES_PER_USER = 10
    LOGIN_MAX_FAILURES_PER_ADDRESS = 30
    LOGIN_KNOWN_ADDRESS_DAYS = 30
    COOKIE_SECURE = False  # set ZHICHA_COOKIE_SECURE=1 behind HTTPS
    STORAGE_DIR = ""  # empty: instance/storage (photo originals, partial uploads)
    UPLOAD_MAX_BYTES = 64 * 1024 * 1024
    SYNC_MAX_MUTATIONS = 500
    SYNC_MAX_BYTES = 5 * 1024 * 1024
    PULL_DEFAULT_LIMIT = 200
    PULL_MAX_LIMIT = 1000
    # Background jobs (server/jobs.py, Huey): a SQLite queue file in the instance folder,
    # or Redis when REDIS_URL is set (several app servers and workers). Immediate: each job
    # runs in the request right after its commit, with no worker (tests only).
    REDIS_URL = ""
    JOBS_DB = ""  # empty: instance/jobs.sqlite3
    JOBS_QUEUE = "zhicha"  # the queue's name (its keys in Redis): one per installation
    JOBS_IMMEDIATE = False
    JOBS_WORKERS = 2  # job threads per worker process, and as many decoder processes
    PHOTO_PROCESSING_TIMEOUT_S = 60
    PHOTO_PROCESSING_MEMORY_BYTES = 1_500_000_000
    PHOTO_PROCESSING_MAX_ATTEMPTS = 5  # then the photo is `failed`, with the last reason
    PHOTO_PROCESSING_RETRY_S = 5  # first retry delay; doubles with each attempt
    PHOTO_REQUEUE_AFTER_S = 60  # the sweeper re-enqueues photos queued longer ago
    PHOTO_DECODER_MAX_JOBS = 200  # a decoder process is replaced after this many photos
    REMINDERS_HOUR = 8  # daily reminders, hour in China Standard Time
    ANALYZE_HOUR = 3  # daily planner statistics (SQLite), hour in China Standard Time
    # The console's map (docs/map.md): the datum of the base map the points are drawn on
    # ("wgs84": 天地图, a PMTiles base map or none; "gcj02": a provider using the offset),
    # the PMTiles file served as the offline base map (empty: instance/basemap.pmtiles),
    # and online raster tiles ({z}/{x}/{y} template) used instead of it when set.
    MAP_DATUM = "wgs84"
    MAP_PMTILES = ""
    MAP_TILE_URL = ""


# Names that may be set from the environment as ZHICHA_<NAME>, with their types.
def _flag(value: str) -> bool:
    return value.lower() in ("1", "true", "yes", "on")


# ZHICHA_<NAME> is read as the type of the default (a flag: 1, true, yes or on).
_ENV_TYPES = {
    name: _flag if isinstance(default, bool) else type(default)
    for name, default in vars(Config).items()
    if name.isupper()
}


def load_config(overrides: dict | None = None, environ: dict | None = None) -> dict:
    """Merge defaults, the secrets file, environment and explicit overrides; then check
    secrets. Without `environ` the real environment is used, and the file's values that
    it lacks are added to it (as `set -a; . instance/secrets.env` would), so that the
    processes the app starts and the ZHICHA_RULE_* settings see them too."""
    overrides = overrides or {}
    secrets_file = _secrets_file(overrides, os.environ if environ is None else environ)
    file_values = read_env_file(secrets_file) if secrets_file else {}
    if environ is None:
        for name, value in file_values.items():
            if not os.environ.get(name):
                os.environ[name] = value
        environ = os.environ
    else:
        environ = {**file_values, **{k: v for k, v in environ.items() if v}}
    cfg = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    for name, cast in _ENV_TYPES.items():
        raw = environ.get(f"ZHICHA_{name}")
        if raw is not None and raw != "":
            cfg[name] = cast(raw)
    if not cfg["DATABASE_URL"] and environ.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = environ["DATABASE_URL"]
    cfg.update(overrides)
    cfg["SECRETS_FILE"] = str(secrets_file or "")
    if cfg["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"ZHICHA_ENV must be one of {', '.join(ENVIRONMENTS)}")
    instance = Path(cfg["INSTANCE_DIR"]).resolve()
    cfg["INSTANCE_DIR"] = str(instance)
    cfg["STORAGE_DIR"] = str(Path(cfg["STORAGE_DIR"] or instance / "storage").resolve())
    cfg["JOBS_DB"] = str(Path(cfg["JOBS_DB"] or instance / "jobs.sqlite3").resolve())
    if cfg["MAP_DATUM"] not in MAP_DATUMS:
        raise ConfigError(f"ZHICHA_MAP_DATUM must be one of {', '.join(MAP_DATUMS)}")
    if cfg["MAP_TILE_URL"] and not re.fullmatch(r"https?://[^/\s]+/\S*", cfg["MAP_TILE_URL"]):
        raise ConfigError("ZHICHA_MAP_TILE_URL must be an http(s) URL with {z}, {x} and {y}")
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{instance / 'zhicha.sqlite3'}"
    cfg["DATABASE_URL"] = normalise_database_url(cfg["DATABASE_URL"])
    if cfg["ENV"] == "development":
        _fill_dev_secrets(cfg, instance)
    _check_secrets(cfg)
    return cfg


def _secrets_file(overrides: dict, environ) -> Path | None:
    """The file to read, or None: a named file (which must exist), else
    INSTANCE_DIR/secrets.env when it exists, outside tests."""
    named = overrides.get("SECRETS_FILE") or environ.get("ZHICHA_SECRETS_FILE")
    if named:
        path = Path(named).resolve()
        if not path.is_file():
            raise ConfigError(f"ZHICHA_SECRETS_FILE: no such file {path}")
        return path
    env = overrides.get("ENV") or environ.get("ZHICHA_ENV") or Config.ENV
    if env == "test":
        return None
    instance = overrides.get("INSTANCE_DIR") or environ.get("ZHICHA_INSTANCE_DIR")
    path = Path(instance or Config.INSTANCE_DIR).resolve() / "secrets.env"
    return path if path.is_file() else None


_ENV_LINE = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as the shell sources them in simple cases: blank lines and
    `#` comments skipped, an optional `export `, one pair of quotes around the value
    removed. Anything else is refused rather than guessed at."""
    values = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _ENV_LINE.fullmatch(line)
        if match is None:
            raise ConfigError(f"{path}:{number}: expected NAME=value")
        name, value = match.group(1), match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def normalise_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _fill_dev_secrets(cfg: dict, instance: Path) -> None:
    """Development: generate secrets once and keep them in instance/."""
    path = instance / "dev-secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if not cfg[name]:
            if name not in stored:
                stored[name] = secrets.token_urlsafe(48)
                changed = True
            cfg[name] = stored[name]
    if changed:
        instance.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored))
        path.chmod(0o600)


def _check_secrets(cfg: dict) -> None:
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = cfg[name] or ""
        if len(value) < MIN_SECRET_LENGTH or value.lower() in KNOWN_BAD_SECRETS:
            raise ConfigError(
                f"ZHICHA_{name} must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters outside development "
                "(generate both into the file every command reads: "
                f"python -m server.keygen > {Path(cfg['INSTANCE_DIR']) / 'secrets.env'})"
            )
    if cfg["SECRET_KEY"] == cfg["JWT_SECRET_KEY"]:
        raise ConfigError("ZHICHA_SECRET_KEY and ZHICHA_JWT_SECRET_KEY must differ")


def flask_settings(cfg: dict) -> dict:
    """Translate our names into the Flask and extension keys."""
    return {
        **cfg,
        "TESTING": cfg["ENV"] == "test",
        "SQLALCHEMY_DATABASE_URI": cfg["DATABASE_URL"],
        "MAX_CONTENT_LENGTH": cfg["MAX_BODY_BYTES"],
        "JWT_ALGORITHM": "HS256",
        "JWT_DECODE_ALGORITHMS": ["HS256"],
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(minutes=cfg["ACCESS_TOKEN_MINUTES"]),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=cfg["REFRESH_TOKEN_DAYS"]),
        # Console pages use Flask's signed session cookie bound to the same login session.
        "SESSION_COOKIE_NAME": "zhicha_console",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": cfg["COOKIE_SECURE"],
        "SESSION_COOKIE_PATH": "/",
        "PERMANENT_SESSION_LIFETIME": timedelta(days=cfg["REFRESH_TOKEN_DAYS"]),
        "API_TITLE": "zhicha 直查 API",
        "API_VERSION": "1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": "直查 zhicha JSON API. Every error answers "
                '{"error": {"code", "message", "details"}}; see docs/api.md.'
            }
        },
    }

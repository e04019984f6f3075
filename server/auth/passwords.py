"""Password hashing: slow (scrypt) in production, cheap in tests (PASSWORD_HASH_METHOD)."""

from __future__ import annotations

from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

MIN_PASSWORD_LENGTH = 8

_dummy_hashes: dict[str, str] = {}


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Compare; with no stored hash, still spend the same time (no username oracle)."""
    if stored_hash is None:
        method = current_app.config["PASSWORD_HASH_METHOD"]
        if method not in _dummy_hashes:
            _dummy_hashes[method] = generate_password_hash("x" * 16, method=method)
        check_password_hash(_dummy_hashes[method], password)
        return False
    return check_password_hash(stored_hash, password)

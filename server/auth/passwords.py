"""Password hashing: slow (scrypt) in production, cheap in tests (PASSWORD_HASH_METHOD);
the password rules (settings `password_min_length`, `password_letters_and_digits`), read
when a password is checked, for every place that sets one; one-time passwords."""

from __future__ import annotations

import re
import secrets

from flask import current_app
from marshmallow import ValidationError, validate
from werkzeug.security import check_password_hash, generate_password_hash

from server.settings import get_setting

MAX_PASSWORD_LENGTH = 256
# One-time passwords are read aloud or copied from a screen: no 0/O, 1/l/I.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"

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


def min_password_length() -> int:
    return int(get_setting("password_min_length"))


def password_rules_text() -> str:
    """The rules in force, in Chinese, for a form's help text."""
    text = f"至少 {min_password_length()} 个字符"
    if get_setting("password_letters_and_digits"):
        text += ",须同时包含字母和数字"
    return text


def password_problems(password: str, label: str = "密码") -> list[str]:
    """What is wrong with a new password under the rules in force (Chinese messages)."""
    problems = []
    shortest = min_password_length()
    if not shortest <= len(password) <= MAX_PASSWORD_LENGTH:
        problems.append(f"{label}须为 {shortest}–{MAX_PASSWORD_LENGTH} 个字符")
    if get_setting("password_letters_and_digits") and not (
        re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)
    ):
        problems.append(f"{label}须同时包含字母和数字")
    return problems


class PasswordRules(validate.Validator):
    """A marshmallow validator reading the rules when a body is loaded (not at import):
    an admin's change of a setting applies to the next request."""

    def __init__(self, label: str = "密码"):
        self.label = label

    def __call__(self, value: str) -> str:
        problems = password_problems(value, self.label)
        if problems:
            raise ValidationError(problems)
        return value


def one_time_password() -> str:
    """A random password meeting the rules in force, given to a user once (a new account,
    an admin's or the command line's reset): groups of four, letters and digits."""
    length = max(12, min_password_length())
    while True:
        chars = [secrets.choice(_LETTERS + _DIGITS) for _ in range(length)]
        if any(c in _DIGITS for c in chars) and any(c in _LETTERS for c in chars):
            break
    text = "".join(chars)
    return "-".join(text[i : i + 4] for i in range(0, length, 4))

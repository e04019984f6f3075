"""Opaque pull cursors: signed, bound to one user. Malformed, tampered or foreign → error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid


class InvalidCursor(ValueError):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(key: bytes, user_id: uuid.UUID, state: dict) -> str:
    body = json.dumps({"u": str(user_id), **state}, separators=(",", ":")).encode()
    signature = hmac.new(key, body, hashlib.sha256).digest()[:16]
    return f"{_b64(body)}.{_b64(signature)}"


def decode_cursor(key: bytes, user_id: uuid.UUID, cursor: str) -> dict:
    try:
        body_text, signature_text = cursor.split(".")
        body, signature = _unb64(body_text), _unb64(signature_text)
    except (ValueError, TypeError) as error:
        raise InvalidCursor("malformed cursor") from error
    expected = hmac.new(key, body, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(signature, expected):
        raise InvalidCursor("cursor signature does not match")
    try:
        state = json.loads(body)
    except ValueError as error:
        raise InvalidCursor("malformed cursor") from error
    if not isinstance(state, dict) or state.pop("u", None) != str(user_id):
        raise InvalidCursor("cursor belongs to another user")
    return state

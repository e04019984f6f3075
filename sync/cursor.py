"""Opaque pull cursors: encrypted, authenticated, bound to one user.

A cursor holds positions in the global change log. Readable, they would let a user count
everyone's changes between two pulls — activity of plans they may not know about — so the
state is encrypted (HMAC-SHA256 in counter mode, a fresh nonce per cursor) and then
authenticated (encrypt-then-MAC). Malformed, tampered or foreign cursors are refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid

NONCE, TAG, BLOCK = 12, 16, 32


class InvalidCursor(ValueError):
    pass


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _subkey(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"zhicha cursor " + purpose, hashlib.sha256).digest()


def _xor_stream(key: bytes, nonce: bytes, data: bytes) -> bytes:
    enc = _subkey(key, b"encrypt")
    stream = b"".join(
        hmac.new(enc, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
        for i in range((len(data) + BLOCK - 1) // BLOCK)
    )
    return bytes(a ^ b for a, b in zip(data, stream, strict=False))


def _tag(key: bytes, nonce: bytes, sealed: bytes) -> bytes:
    return hmac.new(_subkey(key, b"authenticate"), nonce + sealed, hashlib.sha256).digest()[:TAG]


def encode_cursor(key: bytes, user_id: uuid.UUID, state: dict) -> str:
    body = json.dumps({"u": str(user_id), **state}, separators=(",", ":")).encode()
    nonce = secrets.token_bytes(NONCE)
    sealed = _xor_stream(key, nonce, body)
    return _b64(nonce + sealed + _tag(key, nonce, sealed))


def decode_cursor(key: bytes, user_id: uuid.UUID, cursor: str) -> dict:
    try:
        raw = _unb64(cursor)
    except (ValueError, TypeError) as error:
        raise InvalidCursor("malformed cursor") from error
    if len(raw) <= NONCE + TAG:
        raise InvalidCursor("malformed cursor")
    nonce, sealed, tag = raw[:NONCE], raw[NONCE:-TAG], raw[-TAG:]
    if not hmac.compare_digest(tag, _tag(key, nonce, sealed)):
        raise InvalidCursor("cursor does not authenticate")
    try:
        state = json.loads(_xor_stream(key, nonce, sealed))
    except ValueError as error:
        raise InvalidCursor("malformed cursor") from error
    if not isinstance(state, dict) or state.pop("u", None) != str(user_id):
        raise InvalidCursor("cursor belongs to another user")
    return state

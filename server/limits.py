"""Limits on what a request may look like, checked before anything else reads it (before
authentication, before the body is parsed), each answered with the error envelope.

- The request line and the headers: gunicorn (gunicorn.conf.py) lets through up to its own
  maximums so that the app, not gunicorn's HTML page, answers what is over these lower
  limits: 414 for a long request line, 431 for too many or too large headers.
- JSON bodies nested deeper than MAX_JSON_DEPTH: refused with a 400 by a linear scan of the
  raw bytes, before any parser recurses into them (Python's json raises RecursionError at
  about 1,000 levels; no payload of this API needs more than a handful).
- The NUL character (U+0000) in a JSON string, a query parameter or a form field: refused
  with a 400. PostgreSQL cannot store it in text, and no field of this API needs it.
"""

from __future__ import annotations

import re
from itertools import accumulate

from flask import Flask, current_app, request

from server.errors import ApiError

MAX_REQUEST_LINE = 4094  # bytes of "METHOD /path?query HTTP/1.1"
MAX_HEADER_FIELD = 8190  # bytes of one "Name: value"
MAX_HEADER_FIELDS = 100
MAX_JSON_DEPTH = 64

# A JSON string: a quote, then anything but a quote or backslash, or an escaped character.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# \u0000 escaped in a JSON string: an odd number of backslashes before "u0000".
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in `raw`, brackets inside strings not
    counted. Linear in the size of the body; never parses it."""
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(_STEP[b] for b in brackets), default=0)


def _request_line_length(environ: dict) -> int:
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("PATH_INFO", "") + ("?" + query if query else "")
    method = environ.get("REQUEST_METHOD", "")
    protocol = environ.get("SERVER_PROTOCOL", "")
    return len(method) + 1 + len(target.encode("latin-1", "replace")) + 1 + len(protocol)


def _header_fields(environ: dict):
    for key, value in environ.items():
        if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key[5:] if key.startswith("HTTP_") else key
            yield len(name) + 2 + len(str(value).encode("latin-1", "replace"))


def _over(status: int, code: str, message: str, limit: int) -> ApiError:
    """A request over one of these limits; the message names the limit at {}."""
    return ApiError(status, code, message.format(limit), {"limit": limit})


def check_request_head() -> None:
    environ = request.environ
    if _request_line_length(environ) > MAX_REQUEST_LINE:
        raise _over(414, "uri_too_long", "请求地址过长(最多 {} 字节)", MAX_REQUEST_LINE)
    sizes = list(_header_fields(environ))
    if len(sizes) > MAX_HEADER_FIELDS:
        raise _over(431, "too_many_headers", "请求头过多(最多 {} 个)", MAX_HEADER_FIELDS)
    if sizes and max(sizes) > MAX_HEADER_FIELD:
        raise _over(431, "header_too_large", "请求头过大(每个最多 {} 字节)", MAX_HEADER_FIELD)


def check_body() -> None:
    """What a parser must never see: JSON nested too deep, and the NUL character in a JSON
    string, a query parameter or a form field. A streamed body (tus) is never parsed and
    never read here. Otherwise the body is read (and cached for the parser) within the
    route's size limit, which server/transaction.py has set by now (over it: 413 here)."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "body_streamed", False):
        return
    body = request.get_data(cache=True) if request.is_json and request.content_length else b""
    if body and json_depth(body) > MAX_JSON_DEPTH:
        raise _over(400, "json_too_deep", "JSON 嵌套层数过多(最多 {} 层)", MAX_JSON_DEPTH)
    found = any("\x00" in value for value in request.args.values())
    if not found and request.mimetype in _FORMS:
        found = any("\x00" in value for value in request.form.values())
    if found or (body and _JSON_NUL.search(body)):
        raise ApiError(400, "nul_character", "请求中含有不允许的空字符(U+0000)")


_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def init_limits(app: Flask) -> None:
    """Run first among the app's before_request hooks: the request head before anything,
    and the body's checks as soon as it may be read (after the route's size limit is set
    by the transaction hook)."""
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(0, check_request_head)
    hooks.append(check_body)

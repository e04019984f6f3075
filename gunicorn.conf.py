"""gunicorn settings for zhicha (`gunicorn -c gunicorn.conf.py wsgi:app`, see Procfile).

Requests that are too large in their head must still get the API's JSON error envelope,
not gunicorn's HTML page. So:

1. gunicorn's own limits are raised to its maximums, and the app enforces lower ones
   (server/limits.py: request line 4094 bytes → 414, a header over 8190 bytes or more than
   100 headers → 431), answering with the envelope like any other error.
2. What gunicorn still refuses itself (over the limits below, a malformed request line or
   header) is answered with the same envelope: gunicorn writes those answers through
   `gunicorn.util.write_error`, replaced here before any worker is forked.

Workers, threads and the bind address stay on the command line (Procfile).
"""

import gc
import json

import gunicorn.util

# 8190 is the largest finite request line gunicorn accepts (0 would mean unlimited).
# Idle keep-alive connections stay open this long (gunicorn's default is 2 s). A device
# that reuses a connection just as the server closes it gets a reset (the chaos run saw
# one push in ~5,600 on PostgreSQL); with 75 s, as nginx uses, that race needs a device
# idle for 75 s to the millisecond. Idle connections wait in the worker's poller, not in
# a thread.
keepalive = 75

limit_request_line = 8190
# Header fields: gunicorn has no upper bound on the size of one; the buffer it keeps for a
# request's head is limit_request_fields * (limit_request_field_size + 2), here 8 MiB.
limit_request_field_size = 16384
limit_request_fields = 500

# What gunicorn answers itself, in Chinese (the same words as server/errors.py).
GUNICORN_ERRORS = {
    400: ("bad_request", "请求格式错误"),
    403: ("forbidden", "请求被拒绝"),
    414: ("uri_too_long", "请求地址过长"),
    417: ("expectation_failed", "不支持该 Expect 请求头"),
    431: ("request_header_fields_too_large", "请求头过大"),
    500: ("internal_error", "服务器内部错误"),
    501: ("not_implemented", "不支持该传输编码"),
}


def json_error(status_int: int, reason: str, mesg: str) -> bytes:
    """An HTTP response with the error envelope, for a request the app never saw.
    gunicorn's message (its English reason) goes into details, not the message."""
    code, message = GUNICORN_ERRORS.get(status_int, ("bad_request", "请求格式错误"))
    body = json.dumps(
        {"error": {"code": code, "message": message, "details": {"server": mesg}}},
        ensure_ascii=False,
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body


def write_json_error(sock, status_int, reason, mesg):
    gunicorn.util.write_nonblock(sock, json_error(int(status_int), reason, str(mesg)))


gunicorn.util.write_error = write_json_error


def post_worker_init(worker):
    """The worker has loaded the app: its modules, models, schemas and templates live as
    long as the worker. Frozen out of the garbage collector's generations, they are no
    longer walked by each full collection, which otherwise lands on some request (a
    dashboard at 200,000 items on PostgreSQL: p95 338 -> about 175 ms, median unchanged;
    bench/dashboards.py freezes likewise before measuring)."""
    gc.collect()
    gc.freeze()

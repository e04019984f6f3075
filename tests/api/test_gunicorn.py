"""gunicorn.conf.py against a real gunicorn on 127.0.0.1: requests too large in their head
get the JSON error envelope, whether the app refuses them (its own, lower limits) or
gunicorn itself does (over its limits, or unreadable)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from server.limits import MAX_HEADER_FIELD, MAX_REQUEST_LINE
from tests.conftest import TEST_SECRETS
from tests.processes import ROOT, stop


@pytest.fixture(scope="module")
def gunicorn_url(backend, tmp_path_factory):
    """One gunicorn for the module, on the session's migrated database."""
    name, url, _ = backend
    if name != "sqlite":
        pytest.skip("the head limits do not depend on the database")
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    env = {
        **os.environ,
        "ZHICHA_ENV": "test",
        "ZHICHA_DATABASE_URL": url,
        "ZHICHA_INSTANCE_DIR": str(tmp_path / "instance"),
        "ZHICHA_SECRET_KEY": TEST_SECRETS["SECRET_KEY"],
        "ZHICHA_JWT_SECRET_KEY": TEST_SECRETS["JWT_SECRET_KEY"],
    }
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
        *("--bind", f"fd://{listener.fileno()}", "--workers", "1", "--threads", "2"),
        "wsgi:app",
    ]
    log = open(tmp_path / "gunicorn.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        pass_fds=[listener.fileno()],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    address = listener.getsockname()
    listener.close()  # gunicorn has its own copy of the socket
    try:
        _wait_ready(address, process)
        yield address
    finally:
        stop(process)
        log.close()


def _wait_ready(address, process, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited while starting")
        try:
            status, _, _ = _exchange(address, b"GET /api/health HTTP/1.1\r\nHost: t\r\n\r\n")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /api/health in time")


def _exchange(address, raw: bytes) -> tuple[int, dict, bytes]:
    """Send raw bytes, read the answer (Connection: close or Content-Length)."""
    with socket.create_connection(address, timeout=10) as conn:
        conn.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return int(lines[0].split()[1]), headers, body


def _request(path: str, headers: dict | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _envelope(answer, status: int, code: str | None = None) -> dict:
    got, headers, body = answer
    assert got == status, body[:300]
    assert headers["content-type"].startswith("application/json"), body[:300]
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["message"] and not error["message"].isascii()  # Chinese
    if code:
        assert error["code"] == code
    return error


@pytest.mark.parametrize(
    ("path", "headers", "status", "code", "by_app"),
    [
        ("/api/plans?q=" + "x" * MAX_REQUEST_LINE, None, 414, "uri_too_long", True),
        ("/api/plans?q=" + "x" * 9000, None, 414, "uri_too_long", False),
        ("/api/health", {"X-Pad": "x" * (MAX_HEADER_FIELD + 10)}, 431, "header_too_large", True),
        ("/api/health", {"X-Pad": "x" * 20000}, 431, None, False),
        ("/api/health", {f"X-H{i}": "1" for i in range(150)}, 431, "too_many_headers", True),
        ("/api/health", {f"X-H{i}": "1" for i in range(600)}, 431, None, False),
    ],
)
def test_oversized_heads_get_the_envelope(gunicorn_url, path, headers, status, code, by_app):
    answer = _exchange(gunicorn_url, _request(path, headers))
    _envelope(answer, status, code)
    # The app's answers carry its security headers; gunicorn's own ones do not.
    assert ("content-security-policy" in answer[1]) is by_app


def test_unreadable_request_line_gets_the_envelope(gunicorn_url):
    answer = _exchange(gunicorn_url, b"GARBAGE\r\n\r\n")
    _envelope(answer, 400, "bad_request")


def test_ordinary_requests_pass(gunicorn_url):
    status, headers, body = _exchange(gunicorn_url, _request("/api/health"))
    assert status == 200
    assert json.loads(body)["status"] == "ok"
    assert headers["cache-control"] == "no-store"


def test_a_worker_freezes_what_it_loaded_out_of_the_collectors_reach():
    import gc
    import runpy

    conf = runpy.run_path("gunicorn.conf.py")
    gc.unfreeze()
    try:
        conf["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    assert gc.get_freeze_count() == 0

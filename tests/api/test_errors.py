"""One JSON error envelope for every API error status."""

from __future__ import annotations

import pytest

from server.models import Role


def assert_envelope(response, status, code=None):
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_unknown_api_path_is_404(client):
    assert_envelope(client.get("/api/no-such-thing"), 404, "not_found")


def test_wrong_method_is_405_with_allow(client):
    error = assert_envelope(client.delete("/api/health"), 405, "method_not_allowed")
    assert "GET" in error["details"]["allowed"]


def test_malformed_json_is_400(client):
    response = client.post("/api/auth/login", data="{not json", content_type="application/json")
    error = assert_envelope(response, 400, "bad_request")
    assert "JSON" in error["message"]


def test_validation_errors_list_fields(client):
    error = assert_envelope(
        client.post("/api/auth/login", json={"username": ""}), 422, "validation_error"
    )
    assert error["details"]["fields"] == {
        "username": ["长度须在 1 到 64 之间"],
        "password": ["必填"],
    }


def test_unknown_fields_are_refused(client):
    response = client.post(
        "/api/auth/login", json={"username": "a", "password": "b", "role": "admin"}
    )
    error = assert_envelope(response, 422, "validation_error")
    assert "role" in error["details"]["fields"]


def test_body_too_large_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/api/auth/login", data="x" * 4096, content_type="application/json")
    assert_envelope(response, 413, "payload_too_large")


def test_forbidden_role_is_403(client, factory, auth):
    headers = auth.headers(factory.user(Role.inspector))
    assert_envelope(client.get("/api/users", headers=headers), 403, "forbidden_role")


def test_missing_token_is_401(client):
    assert_envelope(client.get("/api/users"), 401, "token_missing")


def test_unexpected_exception_is_500_envelope(app):
    @app.route("/api/test-boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get("/api/test-boom")
    error = assert_envelope(response, 500, "internal_error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert error["details"] == {}


def test_429_uses_the_envelope(app, client):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 1
    client.post("/api/auth/login", json={"username": "x", "password": "y"})
    assert_envelope(
        client.post("/api/auth/login", json={"username": "x", "password": "y"}),
        429,
        "too_many_login_attempts",
    )


def test_pages_get_html_errors(client):
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "对象不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/console/", "/api/health"])
def test_security_headers(client, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

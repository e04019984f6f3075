"""Bad input gets a clear error in the envelope, never a 500: integers out of range,
deeply nested JSON, long request lines and headers, tokens missing a claim, empty PATCHes.
Found by fuzzing the API (tests/api/test_fuzz.py)."""

from __future__ import annotations

import jwt as pyjwt
import pytest

from server.limits import MAX_HEADER_FIELD, MAX_HEADER_FIELDS, MAX_JSON_DEPTH, json_depth
from server.models import PlanStatus, Role
from tests.api.test_errors import assert_envelope

HUGE = "9223372036854775807"


@pytest.fixture
def admin_headers(factory, auth):
    return auth.headers(factory.user(Role.admin))


@pytest.mark.parametrize(
    "path",
    [
        f"/api/plans?page={HUGE}",
        f"/api/plans?per_page={HUGE}",
        "/api/plans?page=-9223372036854775809",
        f"/api/plans?year={HUGE}",
        f"/api/sync/pull?limit={HUGE}",
        f"/api/rectifications?page={HUGE}",
        f"/api/calendar/add-working-days?days={HUGE}",
    ],
)
def test_huge_integer_query_is_422(client, admin_headers, path):
    error = assert_envelope(client.get(path, headers=admin_headers), 422, "validation_error")
    assert error["details"]["fields"]
    message = next(iter(error["details"]["fields"].values()))[0]
    assert "须" in message  # a Chinese rule, not marshmallow's English


def test_huge_integer_in_body_is_422(client, factory, auth):
    supervisor = factory.user(Role.supervisor)
    headers = auth.headers(supervisor)
    plan_id = "00000000-0000-0000-0000-000000000001"
    response = client.patch(
        f"/api/plans/{plan_id}", json={"version": 2**70, "title": "新标题"}, headers=headers
    )
    error = assert_envelope(response, 422, "validation_error")
    assert "2147483647" in error["details"]["fields"]["version"][0]


def test_every_integer_in_the_document_is_bounded(client):
    """The shared bound reaches every integer of every schema, so the document shows it."""
    spec = client.get("/api/openapi.json").get_json()
    unbounded = []

    def walk(node, where):
        if isinstance(node, dict):
            integer = node.get("type") == "integer" or "integer" in (node.get("type") or [])
            if integer and ("maximum" not in node or "minimum" not in node):
                unbounded.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}/{i}")

    # PaginationMetadata is flask-smorest's own schema, which no route of ours uses.
    schemas = {k: v for k, v in spec["components"]["schemas"].items() if k != "PaginationMetadata"}
    walk(schemas, "components")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            parameters = operation if method == "parameters" else operation.get("parameters", [])
            for parameter in parameters:
                walk(parameter, f"{method} {path} {parameter['name']}")
    assert not unbounded, unbounded


# ---- JSON nesting ----


def test_json_depth_counts_brackets_outside_strings():
    assert json_depth(b"{}") == 1
    assert json_depth(b'{"a": [1, {"b": []}]}') == 4
    assert json_depth(b'{"a": "[[[[{{{{", "b": "\\"[["}') == 1
    assert json_depth(b"17") == 0


def test_deeply_nested_json_is_400_before_authentication(client):
    body = "[" * 1000 + "]" * 1000
    for path in ("/api/sync/push", "/api/auth/login", "/api/plans"):
        response = client.post(path, data=body, content_type="application/json")
        error = assert_envelope(response, 400, "json_too_deep")
        assert error["details"]["limit"] == MAX_JSON_DEPTH


def test_nesting_at_the_limit_is_parsed(client):
    inner = "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1)
    response = client.post(
        "/api/auth/login", data='{"username": ' + inner + "}", content_type="application/json"
    )
    # Not refused for depth: the schema says what is wrong with it.
    assert_envelope(response, 422, "validation_error")


# ---- request line and headers (the app's own limits; gunicorn in test_gunicorn.py) ----


def test_long_request_line_is_414(client):
    response = client.get("/api/plans?q=" + "x" * 5000)
    assert_envelope(response, 414, "uri_too_long")


def test_large_header_is_431(client):
    response = client.get("/api/health", headers={"X-Padding": "x" * (MAX_HEADER_FIELD + 1)})
    assert_envelope(response, 431, "header_too_large")


def test_too_many_headers_is_431(client):
    headers = {f"X-Extra-{i}": "1" for i in range(MAX_HEADER_FIELDS + 1)}
    assert_envelope(client.get("/api/health", headers=headers), 431, "too_many_headers")


def test_long_page_address_gets_the_html_page(client):
    response = client.get("/console/?q=" + "x" * 5000)
    assert response.status_code == 414
    assert response.mimetype == "text/html"


# ---- tokens ----


def _forged(app, user, session_id, drop: str | None = None) -> str:
    claims = {
        "sub": str(user.id),
        "sid": str(session_id),
        "type": "access",
        "fresh": False,
        "jti": "forged",
        "iat": 1_700_000_000,
        "nbf": 1_700_000_000,
        "exp": 4_000_000_000,
    }
    claims.pop(drop, None)
    return pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm="HS256")


@pytest.mark.parametrize("drop", ["exp", "sid", "jti", "iat"])
def test_token_missing_a_claim_is_401(app, client, factory, auth, drop):
    user = factory.user(Role.inspector)
    access = auth.login(user)["access_token"]
    sid = pyjwt.decode(access, options={"verify_signature": False})["sid"]
    token = _forged(app, user, sid, drop=drop)
    response = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert_envelope(response, 401, "token_invalid")


def test_token_with_every_claim_and_the_right_key_is_accepted(app, client, factory, auth):
    """The forging above is realistic: a complete token with the key is accepted."""
    user = factory.user(Role.inspector)
    sid = pyjwt.decode(auth.login(user)["access_token"], options={"verify_signature": False})["sid"]
    token = _forged(app, user, sid)
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# ---- empty PATCH ----


def test_empty_patch_of_a_user_is_422(client, factory, admin_headers):
    target = factory.user(Role.inspector)
    response = client.patch(f"/api/users/{target.id}", json={}, headers=admin_headers)
    error = assert_envelope(response, 422, "validation_error")
    assert "没有要修改的内容" in error["message"]


def test_patch_with_a_field_still_works(client, factory, admin_headers):
    target = factory.user(Role.inspector)
    response = client.patch(
        f"/api/users/{target.id}", json={"display_name": "新名字"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.get_json()["display_name"] == "新名字"


def test_patch_with_only_a_version_is_422(client, factory, auth):
    supervisor = factory.user(Role.supervisor)
    headers = auth.headers(supervisor)
    some_id = "00000000-0000-0000-0000-000000000001"
    for path in (f"/api/plans/{some_id}", f"/api/rectifications/{some_id}"):
        error = assert_envelope(client.patch(path, json={"version": 1}, headers=headers), 422)
        assert "没有要修改的内容" in error["message"]


@pytest.mark.parametrize(
    ("title", "refused"),
    [("标题\x00后半", True), ("路径 C:\\u0000 的说明", False)],
    ids=["nul", "escaped-backslash-then-u0000"],
)
def test_nul_in_a_json_string_is_400_and_nothing_changes(client, factory, auth, title, refused):
    """PostgreSQL cannot store U+0000 in text: refused up front, on both databases. An
    escaped backslash before "u0000" is plain text and goes through."""
    from server.extensions import db
    from server.models import Plan

    supervisor = factory.user(Role.supervisor)
    plan = factory.plan(supervisor.unit, supervisor, status=PlanStatus.draft)
    before = plan.title
    response = client.patch(
        f"/api/plans/{plan.id}",
        json={"version": plan.version, "title": title},
        headers=auth.headers(supervisor),
    )
    db.session.expire_all()
    if refused:
        error = assert_envelope(response, 400, "nul_character")
        assert "U+0000" in error["message"]
        assert db.session.get(Plan, plan.id).title == before
    else:
        assert response.status_code == 200, response.get_json()
        assert db.session.get(Plan, plan.id).title == title == response.get_json()["title"]


def test_nul_in_a_query_parameter_is_400(client, admin_headers):
    assert_envelope(
        client.get("/api/plans?status=%00", headers=admin_headers), 400, "nul_character"
    )


def test_nul_in_a_form_field_is_400(client):
    response = client.post("/console/login", data={"username": "admin\x00", "password": "x"})
    assert response.status_code == 400

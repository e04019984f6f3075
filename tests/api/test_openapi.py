"""The OpenAPI document is valid and covers every /api endpoint."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_api_route_is_documented(app, client):
    spec = client.get("/api/openapi.json").get_json()
    documented = {
        (re.sub(r"{[^}]+}", "{}", path), method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
        if method != "parameters"
    }
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule == "/api/openapi.json":
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (path, method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing


def test_protected_operations_declare_bearer_and_401(client):
    spec = client.get("/api/openapi.json").get_json()
    me = spec["paths"]["/api/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "401" in me["responses"]
    assert "security" not in spec["paths"]["/api/auth/login"]["post"]


def test_error_schema_is_the_envelope(client):
    spec = client.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]


def test_tus_answers_are_documented(client):
    spec = client.get("/api/openapi.json").get_json()
    uploads = spec["paths"]["/api/uploads"]["post"]["responses"]
    assert {"400", "412", "413"} <= set(uploads)
    append = spec["paths"]["/api/uploads/{upload_id}"]["patch"]["responses"]
    assert {"400", "409", "412", "460"} <= set(append)
    for method in ("head", "delete"):
        assert "412" in spec["paths"]["/api/uploads/{upload_id}"][method]["responses"]
    error = uploads["412"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}


def test_pull_documents_invalid_cursor(client):
    spec = client.get("/api/openapi.json").get_json()
    answer = spec["paths"]["/api/sync/pull"]["get"]["responses"]["400"]
    assert "invalid_cursor" in answer["description"]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}

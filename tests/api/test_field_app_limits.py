"""The field app's own copy of the server's limits (pwa/limits.js) says what the server
enforces: a text the app lets through is one the server accepts, and the reverse."""

from __future__ import annotations

import re

from marshmallow import validate

from server import web
from server.config import Config
from server.findings.schemas import FindingData
from server.rectification.device_schemas import VerificationReportData
from server.visits.schemas import InterviewData, VisitData

LIMITS_JS = (web.PWA_DIR / "limits.js").read_text()


def app_limits() -> dict[str, int]:
    block = re.search(r"TEXT_LIMITS = Object\.freeze\(\{(.*?)\}\)", LIMITS_JS, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"(\w+): (\d+)", block)}


def server_max(schema, field: str) -> int:
    (length,) = [v for v in schema().fields[field].validators if isinstance(v, validate.Length)]
    return length.max


def test_text_limits_are_the_server_schemas():
    assert app_limits() == {
        "finding_title": server_max(FindingData, "title"),
        "finding_description": server_max(FindingData, "description"),
        "interview_summary": server_max(InterviewData, "summary"),
        "visit_note": server_max(VisitData, "note"),
        "verification_report": server_max(VerificationReportData, "report"),
    }


def test_the_default_photo_limit_is_the_server_default():
    default = re.search(r"DEFAULT_UPLOAD_MAX_BYTES = (\d+) \* (\d+) \* (\d+);", LIMITS_JS)
    a, b, c = (int(x) for x in default.groups())
    assert a * b * c == Config.UPLOAD_MAX_BYTES


def test_the_upload_limit_is_offered_to_devices(client, app):
    app.config["UPLOAD_MAX_BYTES"] = 12345
    response = client.options("/api/uploads")
    assert response.status_code == 204
    assert response.headers["Tus-Max-Size"] == "12345"

"""Input that once gave a 500: far-future dates, huge page numbers, a digit that is not
0-9. Each is a 422 in Chinese, and nothing is stored."""

from __future__ import annotations

from sqlalchemy import func, select

from server.extensions import db
from server.models import ExtensionRequest, Rectification
from tests.api.test_console_rectifications import item_form, login


def test_dates_beyond_ten_years_are_refused(rw):
    response = rw.call(
        "POST",
        rw.supervisor,
        "/api/rectifications",
        json={
            "finding_ids": [str(rw.findings[0].id)],
            "unit_id": str(rw.unit_a.id),
            "problem": "问题",
            "deadline": "9999-12-31",
        },
    )
    assert response.status_code == 422
    assert "年之后" in response.get_json()["error"]["details"]["fields"]["deadline"][0]
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 0

    item = rw.in_progress()
    url = f"/api/rectifications/{item['id']}/extensions"
    response = rw.call(
        "POST", rw.responder_a, url, json={"requested_deadline": "9999-12-31", "reason": "x"}
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ExtensionRequest)) == 0


def test_a_page_number_past_any_list_is_refused(rw, client, auth):
    response = rw.call("GET", rw.supervisor, "/api/findings/triage?page=99999999999999999999")
    assert response.status_code == 422
    login(client, auth, rw.supervisor)
    assert client.get("/console/triage?page=99999999999999999999").status_code == 422


def test_a_superscript_digit_as_working_days_is_refused_not_a_crash(rw, client, auth):
    csrf = login(client, auth, rw.supervisor)
    form = item_form(rw, csrf, deadline_working_days="²")
    response = client.post("/console/rectifications/new", data=form)
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Rectification)) == 0

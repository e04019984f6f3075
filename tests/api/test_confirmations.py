"""交办, 签收 and 销号 ask once before they run (issue 15). Without JavaScript the server
answers a submission without confirm=1 with a page that names the item and what follows,
reposting the same form; the buttons carry what the page script's dialog shows."""

from __future__ import annotations

import html as htmllib
import re
from datetime import UTC, datetime

from server.extensions import db
from server.models import Rectification, RectificationStatus, VerificationStatus
from tests.api.test_console_rectifications import fresh, login


def hidden_fields(html: str) -> dict[str, str]:
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {name: htmllib.unescape(value) for name, value in pairs}


def test_issue_asks_then_issues(client, auth, rw):
    item = rw.create(finding_ids=[], title="围挡整改")
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    detail = client.get(url).get_data(as_text=True)
    assert 'data-confirm="交办后责任单位将收到通知,且不能撤回。"' in detail
    assert f'data-confirm-subject="{item["code"]} · 围挡整改"' in detail

    asked = client.post(f"{url}/issue", data={"csrf_token": csrf})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h1>确认交办</h1>" in page
    assert f"{item['code']} · 围挡整改" in page and "交办后责任单位将收到通知,且不能撤回。" in page
    assert f'action="{url}/issue"' in page and f'href="{url}">返回</a>' in page
    assert hidden_fields(page)["confirm"] == "1" and hidden_fields(page)["csrf_token"]
    assert fresh(Rectification, item["id"]).status == RectificationStatus.draft

    done = client.post(f"{url}/issue", data=hidden_fields(page))
    assert done.status_code == 303
    assert fresh(Rectification, item["id"]).status == RectificationStatus.issued


def test_another_office_is_not_asked_but_told_not_found(client, auth, rw):
    item = rw.create(finding_ids=[])
    csrf = login(client, auth, rw.other_supervisor)
    response = client.post(f"/console/rectifications/{item['id']}/issue", data={"csrf_token": csrf})
    assert response.status_code == 404 and "确认交办" not in response.get_data(as_text=True)


def test_a_desk_pass_asks_before_closing_and_keeps_the_form(client, auth, rw):
    item = rw.closure_requested(finding_ids=[])
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    body = {"csrf_token": csrf, "method": "desk", "passed": "true", "reason": "材料<齐全>"}
    asked = client.post(f"{url}/verifications", data=body)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "<h1>确认销号</h1>" in page and "销号后事项办结" in page
    kept = hidden_fields(page)
    assert kept["method"] == "desk" and kept["passed"] == "true" and kept["reason"] == "材料<齐全>"
    assert fresh(Rectification, item["id"]).status == RectificationStatus.closure_requested

    # A failing check returns the item without asking.
    fail = {**body, "passed": "false", "reason": "照片不清"}
    assert client.post(f"{url}/verifications", data=fail).status_code == 303
    assert fresh(Rectification, item["id"]).status == RectificationStatus.in_progress


def test_a_field_pass_asks_before_closing(client, auth, rw):
    item = rw.closure_requested(finding_ids=[])
    row = fresh(Rectification, item["id"])
    check = rw.verification(row, VerificationStatus.reported, reported_at=datetime.now(UTC))
    csrf = login(client, auth, rw.supervisor)
    url = f"/console/rectifications/{item['id']}"
    assert 'data-confirm-action="销号"' in client.get(url).get_data(as_text=True)
    decide = f"{url}/verifications/{check.id}/decision"
    asked = client.post(decide, data={"csrf_token": csrf, "passed": "true"})
    assert asked.status_code == 200 and "确认销号" in asked.get_data(as_text=True)
    assert fresh(Rectification, item["id"]).status == RectificationStatus.closure_requested
    done = client.post(decide, data=hidden_fields(asked.get_data(as_text=True)))
    assert done.status_code == 303
    assert fresh(Rectification, item["id"]).status == RectificationStatus.closed


def test_acknowledge_asks_with_the_consequence(client, auth, rw):
    item = rw.issued(finding_ids=[], title="围挡整改")
    csrf = login(client, auth, rw.responder_a)
    url = f"/console/unit/items/{item['id']}"
    assert 'data-confirm-action="签收"' in client.get(url).get_data(as_text=True)
    asked = client.post(f"{url}/acknowledge", data={"csrf_token": csrf})
    page = asked.get_data(as_text=True)
    assert "<h1>确认签收</h1>" in page and "签收后不能撤回" in page and f'href="{url}">返回' in page
    db.session.expire_all()
    assert fresh(Rectification, item["id"]).acknowledged_at is None
    assert client.post(f"{url}/acknowledge", data=hidden_fields(page)).status_code == 303
    assert fresh(Rectification, item["id"]).status == RectificationStatus.acknowledged

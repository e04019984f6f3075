"""Leaders' 批示 in the console: the leader writes one on the item's page and follows it
on his start page; the unit answers it on its portal page, the office on its item page;
the ledger marks items with an open or overdue 批示 and filters them; refusals are drawn
next to the field; a draft's 批示 never shows to the unit."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import Instruction, Notification
from server.timeutil import local_today
from tests.api.test_console_portal import login, text


def post(client, url, csrf, **form):
    return client.post(url, data={"csrf_token": csrf, **form})


def instructions() -> list[Instruction]:
    db.session.expire_all()
    return list(db.session.scalars(select(Instruction).order_by(Instruction.created_at)))


def test_a_leader_writes_on_the_item_page_and_follows_it(client, auth, rw):
    item = rw.issued()
    page_url = f"/console/unit/items/{item['id']}"
    csrf = login(client, auth, rw.leader)
    page = text(client, page_url)
    assert "作出批示" in page and "来源问题:问题0" in page and "15 个工作日" in page
    forged = client.post(f"{page_url}/instructions", data={"text": "伪造的批示"})
    assert forged.status_code == 400
    refused = post(client, f"{page_url}/instructions", csrf, text="", subject="item")
    assert refused.status_code == 422 and "field-error" in refused.get_data(as_text=True)
    assert instructions() == []
    done = post(client, f"{page_url}/instructions", csrf, text="请本周内完成整改", subject="item")
    assert done.status_code == 303 and "done=instruction" in done.headers["Location"]
    on_finding = post(
        client,
        f"{page_url}/instructions",
        csrf,
        text="同类问题全面排查",
        subject=str(rw.findings[0].id),
    )
    assert on_finding.status_code == 303
    rows = instructions()
    assert [(r.rectification_id, r.finding_id) for r in rows] == [
        (uuid.UUID(item["id"]), None),
        (None, rw.findings[0].id),
    ]
    # Another finding than the item's is refused as unknown.
    other = post(client, f"{page_url}/instructions", csrf, text="请处理", subject=str(uuid.uuid4()))
    assert other.status_code == 404
    page = text(client, page_url)
    assert "请本周内完成整改" in page and "针对来源问题" in page and "待回复" in page
    start = text(client, "/console/")
    assert "我的批示" in start and item["code"] in start and "请本周内完成整改" in start


def test_a_draft_is_not_the_leaders_to_instruct(client, auth, rw):
    draft = rw.create()
    csrf = login(client, auth, rw.leader)
    url = f"/console/unit/items/{draft['id']}/instructions"
    assert post(client, url, csrf, text="请处理").status_code == 404
    assert instructions() == []


def test_the_unit_answers_on_its_portal(client, auth, rw):
    item = rw.issued()
    done = rw.post(
        rw.leader,
        "/api/instructions",
        {"rectification_id": item["id"], "text": "请尽快落实"},
        expect=201,
    )
    page_url = f"/console/unit/items/{item['id']}"
    answer_url = f"{page_url}/instructions/{done['id']}/answer"
    csrf = login(client, auth, rw.responder_a)
    page = text(client, page_url)
    assert "领导批示(1)" in page and "请尽快落实" in page and answer_url in page
    refused = post(client, answer_url, csrf, answer="")
    assert refused.status_code == 422 and "field-error" in refused.get_data(as_text=True)
    forged = client.post(answer_url, data={"answer": "跨站伪造的回复"})  # no CSRF token
    assert forged.status_code == 400 and instructions()[0].answered_at is None
    ok = post(client, answer_url, csrf, answer="已组织施工,下周完成")
    assert ok.status_code == 303
    page = text(client, ok.headers["Location"])
    assert "批示已回复。" in page and "回复:已组织施工,下周完成" in page and answer_url not in page
    assert "领导批示" in page.split("办理记录")[1]  # in the history too
    again = post(client, answer_url, csrf, answer="再答一次")
    assert again.status_code == 409 and "该批示已回复" in again.get_data(as_text=True)
    # The other unit: no such item, no such 批示.
    csrf = login(client, auth, rw.responder_b)
    assert post(client, answer_url, csrf, answer="不是我们的").status_code == 404


def test_the_office_answers_on_its_item_page(client, auth, rw):
    item = rw.issued()
    done = rw.post(
        rw.leader,
        "/api/instructions",
        {"rectification_id": item["id"], "text": "督查室跟进"},
        expect=201,
    )
    page_url = f"/console/rectifications/{item['id']}"
    answer_url = f"{page_url}/instructions/{done['id']}/answer"
    csrf = login(client, auth, rw.supervisor)
    assert answer_url in text(client, page_url)
    ok = post(client, answer_url, csrf, answer="已督促责任单位办理")
    assert ok.status_code == 303
    assert "批示已回复" in text(client, ok.headers["Location"])
    note = db.session.scalar(
        select(Notification).where(
            Notification.recipient_id == rw.leader.id, Notification.kind == "instruction_answered"
        )
    )
    assert note is not None and "已督促" in note.body


def test_the_ledger_marks_and_filters(client, auth, rw):
    asked, late, quiet = rw.make(), rw.make(), rw.make()
    for item in (asked, late):
        rw.post(
            rw.leader,
            "/api/instructions",
            {"rectification_id": str(item.id), "text": "请办理"},
            expect=201,
        )
    row = db.session.scalar(select(Instruction).where(Instruction.rectification_id == late.id))
    row.due_date = local_today() - timedelta(days=2)
    db.session.commit()
    login(client, auth, rw.leader)
    page = text(client, "/console/ledger")
    assert "有未办结批示" in page

    def mark(page, item):
        cell = re.search(rf">{item.code}</a>(.*?)</td>", page, re.S)
        return cell[1] if cell else None

    assert "待回复批示" in mark(page, asked) and "批示逾期" in mark(page, late)
    assert "批示" not in mark(page, quiet)
    filtered = text(client, "/console/ledger?open_instruction=true")
    assert asked.code in filtered and late.code in filtered and quiet.code not in filtered


def test_a_drafts_instruction_never_reaches_the_unit(client, auth, rw):
    issued = rw.issued()  # findings[0], unit A
    draft = rw.create(unit_id=str(rw.unit_b.id))  # findings[0] again, a draft for unit B
    rw.post(
        rw.leader,
        "/api/instructions",
        {"finding_id": str(rw.findings[0].id), "text": "全面排查"},
        expect=201,
    )
    own = rw.make(unit=rw.unit_b)  # unit B's list is not empty: it has an issued item
    login(client, auth, rw.responder_b)
    listing = text(client, "/console/unit/items?tab=issued")
    assert own.code in listing and "待回复批示" not in listing
    assert "全面排查" not in text(client, "/console/unit/summons")
    assert "全面排查" not in text(client, "/console/notifications")
    text(client, f"/console/unit/items/{draft['id']}", expect=404)
    login(client, auth, rw.responder_a)
    assert "全面排查" in text(client, f"/console/unit/items/{issued['id']}")
    assert "待回复批示" in text(client, "/console/unit/items?tab=issued")  # its list marks it

"""Leaders' 批示 over the API (server/rectification/instructions.py): a leader writes one on
an item or a finding he can see, due in leader_instruction_working_days working days; the
unit of each issued item it shows on (and the office) is told, answers it, and the leader
is told of the answer; the ledger marks and filters items with an open 批示; a 批示 on a
draft, or on a finding not yet issued to a unit, never reaches that unit."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Instruction, Notification, rectification_finding
from server.settings import setting_default
from server.timeutil import local_today
from server.workdays.calendar import add_working_days

API = "/api/instructions"


def notes(user, kind=None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).where(Notification.recipient_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query))


def write(rw, item=None, finding=None, user=None, expect=201, text="请抓紧整改,按时报告结果"):
    body = {"text": text}
    if item is not None:
        body["rectification_id"] = str(item["id"] if isinstance(item, dict) else item.id)
    if finding is not None:
        body["finding_id"] = str(finding.id)
    return rw.post(user or rw.leader, API, body, expect=expect)


def link(item, finding) -> None:
    """An item made from a finding another item was made from too."""
    db.session.execute(
        rectification_finding.insert().values(rectification_id=item.id, finding_id=finding.id)
    )
    db.session.commit()


def test_a_leader_writes_on_an_item_he_leads(rw):
    item = rw.issued()
    done = write(rw, item)
    days = setting_default("leader_instruction_working_days")
    assert done["due_date"] == add_working_days(local_today(), days)[0].isoformat()
    assert done["state"] == "open" and done["author"]["id"] == str(rw.leader.id)
    assert not done["on_finding"] and not done["can_answer"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.entity_id == done["id"]))
    assert event.action == "instruction.written" and event.actor_id == rw.leader.id
    assert event.details["rectification_id"] == item["id"]
    # The unit and the office are told; the other unit is not.
    (note,) = notes(rw.responder_a, "instruction")
    assert str(note.rectification_id) == item["id"] and "请抓紧整改" in note.body
    assert notes(rw.supervisor, "instruction")
    assert not notes(rw.responder_b, "instruction")
    # It is in the item, for the unit (who may answer it) and the office alike.
    seen = rw.get(rw.responder_a, f"/api/rectifications/{item['id']}")["instructions"]
    assert [(i["id"], i["can_answer"]) for i in seen] == [(done["id"], True)]
    history = rw.get(rw.responder_a, f"/api/rectifications/{item['id']}")["history"]
    assert "instruction.written" in [h["action"] for h in history]
    office = rw.get(rw.supervisor, f"/api/rectifications/{item['id']}")["instructions"]
    assert office[0]["can_answer"] is True
    assert rw.get(rw.leader, API)["items"][0]["code"] == item["code"]


def test_refused_on_items_he_cannot_see_and_for_other_roles(rw, factory):
    unled = rw.make(lead=False)  # issued, neither led by him nor 挂牌督办
    draft = rw.make(status="draft")  # led by him, not issued yet
    unknown = write(rw, {"id": str(uuid.uuid4())}, expect=404)
    assert write(rw, unled, expect=404) == unknown
    assert write(rw, draft, expect=404) == unknown
    mine = rw.make()
    for user in (rw.responder_a, rw.supervisor, rw.inspector):
        answer = write(rw, mine, user=user, expect=403)
        assert answer["error"]["code"] == "forbidden_role"
    assert write(rw, mine, text="", expect=422)["error"]["details"]["fields"]["text"]
    both = rw.post(
        rw.leader,
        API,
        {"text": "请处理", "rectification_id": str(mine.id), "finding_id": str(uuid.uuid4())},
        expect=422,
    )
    assert "rectification_id" in both["error"]["details"]["fields"]
    assert write(rw, mine, text="办" * 4001, expect=422)
    assert db.session.scalar(select(Instruction.id)) is None
    other_leader = factory.user(rw.leader.role, rw.leader.unit)
    db.session.commit()
    write(rw, mine, user=other_leader, expect=404)  # not his item, not listed


def test_a_leader_writes_on_a_finding_and_it_shows_on_its_items(rw):
    finding = rw.findings[0]
    item_a = rw.issued()  # made from findings[0], for unit A
    item_b = rw.create(unit_id=str(rw.unit_b.id))  # the same finding, a draft for unit B
    done = write(rw, finding=finding)
    assert done["on_finding"] is True
    # Unit A is told; unit B's item is a draft: nothing reaches unit B.
    assert len(notes(rw.responder_a, "instruction")) == 1
    assert not notes(rw.responder_b)
    rw.get(rw.responder_b, f"/api/rectifications/{item_b['id']}", expect=404)
    seen = rw.get(rw.responder_a, f"/api/rectifications/{item_a['id']}")["instructions"]
    assert [i["id"] for i in seen] == [done["id"]]
    office = rw.get(rw.supervisor, f"/api/rectifications/{item_b['id']}")["instructions"]
    assert [i["id"] for i in office] == [done["id"]]
    # Once issued to unit B it is on unit B's item too (and B may answer it).
    rw.post(rw.supervisor, f"/api/rectifications/{item_b['id']}/issue")
    seen_b = rw.get(rw.responder_b, f"/api/rectifications/{item_b['id']}")["instructions"]
    assert [(i["id"], i["can_answer"]) for i in seen_b] == [(done["id"], True)]
    # A finding only in a draft, or only in another leader's item, is not his to see.
    rw.create(finding_ids=[str(rw.findings[1].id)])
    assert write(rw, finding=rw.findings[1], expect=404)["error"]["message"] == "问题不存在"
    assert write(rw, finding=rw.findings[2], expect=404)["error"]["message"] == "问题不存在"


def test_the_unit_answers_and_the_leader_is_told(rw):
    item = rw.issued()
    done = write(rw, item)
    url = f"{API}/{done['id']}/answer"
    assert rw.post(rw.responder_a, url, {"answer": ""}, expect=422)
    rw.post(rw.responder_b, url, {"answer": "已办理"}, expect=404)
    rw.post(rw.other_supervisor, url, {"answer": "已办理"}, expect=404)
    assert rw.post(rw.leader, url, {"answer": "已办理"}, expect=403)["error"]["code"] == (
        "forbidden_role"
    )
    answered = rw.post(rw.responder_a, url, {"answer": "已按批示组织整改,本周完成"})
    assert answered["state"] == "answered" and answered["answer"].startswith("已按批示")
    assert answered["answered_by"]["id"] == str(rw.responder_a.id)
    again = rw.post(rw.supervisor, url, {"answer": "再次回复"}, expect=409)
    assert again["error"]["code"] == "instruction_answered"
    (note,) = notes(rw.leader, "instruction_answered")
    assert str(note.rectification_id) == item["id"] and "本周完成" in note.body
    events = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == done["id"])
    ).all()
    assert sorted(events) == ["instruction.answered", "instruction.written"]
    mine = rw.get(rw.leader, API)["items"]
    assert mine[0]["state"] == "answered" and mine[0]["answer"].startswith("已按批示")


def test_the_office_may_answer(rw):
    item = rw.issued()
    done = write(rw, item)
    answered = rw.post(rw.supervisor, f"{API}/{done['id']}/answer", {"answer": "督查室已督办"})
    assert answered["answered_by"]["id"] == str(rw.supervisor.id)
    assert len(notes(rw.leader, "instruction_answered")) == 1


def test_the_ledger_marks_and_filters_open_instructions(rw):
    asked = rw.make()
    quiet = rw.make()
    via_finding = rw.make()
    link(via_finding, rw.findings[2])
    link(rw.make(status="draft", unit=rw.unit_b), rw.findings[2])
    first = write(rw, asked)
    write(rw, finding=rw.findings[2])

    def listed(user, **args):
        page = rw.get(user, "/api/rectifications", query_string=args)
        return {i["id"] for i in page["items"]}

    expected = {str(asked.id), str(via_finding.id)}
    assert listed(rw.leader, open_instruction="true") == expected
    # A 批示 on a finding has no item id: "without" must still list the others.
    without = listed(rw.leader, open_instruction="false")
    assert str(quiet.id) in without and not without & expected
    assert listed(rw.responder_a, open_instruction="true") == expected
    assert listed(rw.responder_b, open_instruction="true") == set()  # its item is a draft
    # Answered: no longer open.
    rw.post(rw.responder_a, f"{API}/{first['id']}/answer", {"answer": "已办理完毕"})
    assert listed(rw.leader, open_instruction="true") == {str(via_finding.id)}


def test_an_overdue_instruction_is_shown_as_such(rw):
    item = rw.issued()
    done = write(rw, item)
    row = db.session.get(Instruction, uuid.UUID(done["id"]))
    row.due_date = local_today() - timedelta(days=1)
    db.session.commit()
    seen = rw.get(rw.responder_a, f"/api/rectifications/{item['id']}")["instructions"]
    assert seen[0]["state"] == "overdue"
    assert rw.get(rw.leader, API)["items"][0]["state"] == "overdue"

"""Triage (问题分办): the office's queue of synced findings — reject with a reason, merge
duplicates, reopen a mistake, turn findings into items. Any of these locks the finding
against edits from the device; undoing it unlocks it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from server.extensions import db
from server.models import AuditEvent, Finding, TriageStatus, utcnow
from tests.api.rect_helpers import make_finding
from tests.api.sync_helpers import Device, mutation, of


def queue(rw, user=None, **query):
    return rw.get(user or rw.supervisor, "/api/findings/triage", query_string=query)


def finding(rw, f) -> Finding:
    db.session.expire_all()
    return db.session.get(Finding, f.id)


@pytest.fixture
def device(rw, client, auth):
    device = Device(client, auth, rw.inspector)
    device.pull()
    return device


def edit(device, rw, f, **data):
    current = finding(rw, f)
    (result,) = device.push(
        mutation(
            "finding",
            data or {"description": "补充:围挡缺口约五米"},
            op="update",
            record_id=str(f.id),
            base_version=current.version,
        )
    )
    return result


def locked(result) -> bool:
    return result["status"] == "rejected" and result["errors"]["code"] == "locked"


def test_the_queue_is_the_offices_own(rw, factory):
    page = queue(rw)
    assert {i["id"] for i in page["items"]} == {str(f.id) for f in rw.findings}
    assert page["total"] == 3 and all(i["triage_status"] == "pending" for i in page["items"])
    assert queue(rw, rw.other_supervisor)["total"] == 0
    for user in (rw.responder_a, rw.leader, rw.inspector):
        rw.get(user, "/api/findings/triage", expect=403)
    # Another office cannot act on them either: they do not exist for it.
    f = rw.findings[0]
    rw.post(rw.other_supervisor, f"/api/findings/{f.id}/reject", {"reason": "不是问题"}, 404)
    rw.post(
        rw.other_supervisor, f"/api/findings/{f.id}/merge", {"into_id": str(rw.findings[1].id)}, 404
    )
    create = {"finding_ids": [str(f.id)], "unit_id": str(rw.unit_a.id), "problem": "问题描述"}
    rw.post(rw.other_supervisor, "/api/rectifications", create, 422)
    assert finding(rw, f).triage_status == TriageStatus.pending
    # Findings of another office's plan, or deleted on the device, cannot become items.
    foreign_or_deleted_findings(rw, factory)


def test_reject_needs_a_reason_locks_and_reopen_unlocks(rw, device):
    f = rw.findings[0]
    assert edit(device, rw, f)["status"] == "applied"  # pending: the inspector may still edit
    rw.post(rw.supervisor, f"/api/findings/{f.id}/reject", {"reason": ""}, 422)
    rw.post(rw.supervisor, f"/api/findings/{f.id}/reject", {"reason": " "}, 422)
    rejected = rw.post(
        rw.supervisor, f"/api/findings/{f.id}/reject", {"reason": "属正常施工,不是问题"}
    )
    assert (
        rejected["triage_status"] == "rejected"
        and rejected["triage_reason"] == "属正常施工,不是问题"
    )
    assert str(f.id) not in {i["id"] for i in queue(rw)["items"]}
    assert [i["id"] for i in queue(rw, status="rejected")["items"]] == [str(f.id)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "finding.rejected"))
    assert event.actor_id == rw.supervisor.id and event.details["reason"] == "属正常施工,不是问题"
    # Locked: the device may neither edit nor delete it, and learns it is locked.
    assert locked(edit(device, rw, f))
    (deleted,) = device.push(
        mutation(
            "finding", {}, op="delete", record_id=str(f.id), base_version=finding(rw, f).version
        )
    )
    assert locked(deleted)
    changes = device.pull()
    assert of(changes, "finding")[str(f.id)]["data"]["locked"] is True
    # Triaged once: rejecting again is a conflict.
    rw.post(rw.supervisor, f"/api/findings/{f.id}/reject", {"reason": "再次驳回"}, 409)
    reopened = rw.post(rw.supervisor, f"/api/findings/{f.id}/reopen")
    assert reopened["triage_status"] == "pending" and reopened["triage_reason"] == ""
    assert edit(device, rw, f)["status"] == "applied"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "finding.reopened"))
    # Only merged or rejected findings reopen.
    rw.post(rw.supervisor, f"/api/findings/{f.id}/reopen", expect=409)


def test_merge_duplicates(rw, device):
    first, duplicate, third = rw.findings
    merged = rw.post(
        rw.supervisor, f"/api/findings/{duplicate.id}/merge", {"into_id": str(first.id)}
    )
    assert merged["triage_status"] == "merged" and merged["merged_into_id"] == str(first.id)
    assert locked(edit(device, rw, duplicate))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "finding.merged"))
    assert event.details["into_id"] == str(first.id)
    # Not into itself, not into a merged or rejected finding, not twice.
    rw.post(rw.supervisor, f"/api/findings/{third.id}/merge", {"into_id": str(third.id)}, 422)
    rw.post(rw.supervisor, f"/api/findings/{third.id}/merge", {"into_id": str(duplicate.id)}, 422)
    rw.post(rw.supervisor, f"/api/findings/{duplicate.id}/merge", {"into_id": str(third.id)}, 409)
    rw.post(rw.supervisor, f"/api/findings/{third.id}/merge", {"into_id": str(uuid.uuid4())}, 404)
    # A merged finding cannot become an item.
    rw.create(finding_ids=[str(duplicate.id)], expect=422)
    reopened = rw.post(rw.supervisor, f"/api/findings/{duplicate.id}/reopen")
    assert reopened["triage_status"] == "pending" and reopened["merged_into_id"] is None
    assert edit(device, rw, duplicate)["status"] == "applied"


def test_making_an_item_locks_its_findings_and_deleting_the_draft_unlocks_them(rw, device):
    first, second, third = rw.findings
    draft = rw.create(finding_ids=[str(first.id), str(second.id)])
    office_view = rw.get(rw.supervisor, f"/api/rectifications/{draft['id']}")
    assert set(office_view["finding_ids"]) == {str(first.id), str(second.id)}
    for f in (first, second):
        assert finding(rw, f).triage_status == TriageStatus.itemized
        assert finding(rw, f).triaged_by_id == rw.supervisor.id
        assert locked(edit(device, rw, f, title="改过的标题"))
    assert finding(rw, first).title == "问题0"
    assert {i["id"] for i in queue(rw)["items"]} == {str(third.id)}
    assert {i["id"] for i in queue(rw, status="itemized")["items"]} == {
        str(first.id),
        str(second.id),
    }
    # An itemized finding is not rejected or merged afterwards.
    rw.post(rw.supervisor, f"/api/findings/{first.id}/reject", {"reason": "误报"}, 409)
    rw.post(rw.supervisor, f"/api/findings/{first.id}/merge", {"into_id": str(third.id)}, 409)
    rw.post(rw.supervisor, f"/api/findings/{first.id}/reopen", expect=409)
    # The device hears of the lock.
    assert of(device.pull(), "finding")[str(first.id)]["data"]["locked"] is True
    # A second item may share a finding; deleting one draft keeps it locked for the other.
    other = rw.create(finding_ids=[str(second.id)])
    rw.call("DELETE", rw.supervisor, f"/api/rectifications/{draft['id']}", 204)
    assert finding(rw, first).triage_status == TriageStatus.pending
    assert finding(rw, second).triage_status == TriageStatus.itemized
    assert edit(device, rw, first)["status"] == "applied"
    assert locked(edit(device, rw, second))
    # Issued, the item cannot be deleted: its findings stay locked.
    rw.post(rw.supervisor, f"/api/rectifications/{other['id']}/issue")
    rw.call("DELETE", rw.supervisor, f"/api/rectifications/{other['id']}", 409)
    assert locked(edit(device, rw, second))


def foreign_or_deleted_findings(rw, factory):
    other_office = rw.other_supervisor.unit
    other_plan = factory.plan(other_office, rw.other_supervisor, team=[rw.inspector])
    foreign = make_finding(other_plan, rw.inspector, title="外单位问题")
    gone = make_finding(rw.plan, rw.inspector, title="已删除")
    gone.deleted_at = utcnow()
    db.session.commit()
    for bad in (foreign, gone):
        response = rw.create(finding_ids=[str(bad.id)], expect=422)
        assert "finding_ids" in response["error"]["details"]["fields"]
    assert finding(rw, foreign).triage_status == TriageStatus.pending
    assert (
        rw.get(rw.supervisor, "/api/rectifications", query_string={"include_drafts": "true"})[
            "total"
        ]
        == 0
    )

"""Who may do what to a rectification item in each status: every action endpoint ×
every status × every persona, each a real request against an item in that status.
Then: every transition is audited (actor, reason) and bumps the item's version, a stale
PATCH is refused, and no path closes an item without a passed verification made after
the closure request (问题不解决不松手、整改不到位不罢休)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.errors import ApiError
from server.extensions import db
from server.models import (
    AuditEvent,
    RectificationStatus,
    Role,
    Verification,
    VerificationStatus,
)
from server.rectification import workflow
from tests.api.sync_helpers import Device, mutation

S = RectificationStatus
V = VerificationStatus
D, IS, A, P, C, X = (
    S.draft,
    S.issued,
    S.acknowledged,
    S.in_progress,
    S.closure_requested,
    S.closed,
)
OPEN = (IS, A, P, C)
PERSONAS = (
    "supervisor",
    "other_supervisor",
    "responder_a",
    "responder_b",
    "leader",
    "inspector",
    "admin",
)
SAME, GONE = "same", "gone"


@dataclass(frozen=True)
class Action:
    role: str  # "S": the office's supervisors act; "R": the unit's responders; "any": read
    method: str
    path: str  # after /api/rectifications/<id>; {ref} is the extension or verification
    audit: str | None  # the event an allowed request writes
    allowed: dict  # status -> (http status, new item status or SAME / GONE)
    refused: dict = field(default_factory=dict)  # status -> (http, code) when not allowed
    body: object = None  # callable(rw, item) -> json
    needs: str | None = None  # "extension" | "reported" | "assigned"
    bumps: bool = True  # an allowed request changes the item (its version grows)


def ok(code, to=SAME):
    return (code, to)


INVALID = (409, "invalid_transition")
ACTIONS = {
    "issue": Action("S", "POST", "/issue", "rectification.issued", {D: ok(200, "issued")}),
    "acknowledge": Action(
        "R", "POST", "/acknowledge", "rectification.acknowledged", {IS: ok(200, "acknowledged")}
    ),
    "progress": Action(
        "R",
        "POST",
        "/progress",
        "rectification.progress_reported",
        {A: ok(201, "in_progress"), P: ok(201)},
        body=lambda rw, item: {"body": "围挡已完成一半", "percent": 60},
    ),
    "extension": Action(
        "R",
        "POST",
        "/extensions",
        "rectification.extension_requested",
        {s: ok(201) for s in (IS, A, P)},
        body=lambda rw, item: {
            "requested_deadline": (item.deadline + timedelta(days=10)).isoformat(),
            "reason": "雨季无法施工,申请延期",
        },
        bumps=False,
    ),
    "extension_decision": Action(
        "S",
        "POST",
        "/extensions/{ref}/decision",
        "rectification.extension_decided",
        {s: ok(200) for s in OPEN},
        body=lambda rw, item: {"approve": True},
        needs="extension",
    ),
    "closure_request": Action(
        "R",
        "POST",
        "/closure-request",
        "rectification.closure_requested",
        {P: ok(200, "closure_requested")},
        body=lambda rw, item: {"body": "已全部整改完毕"},
    ),
    "return": Action(
        "S",
        "POST",
        "/return",
        "rectification.returned",
        {C: ok(200, "in_progress")},
        body=lambda rw, item: {"reason": "围挡高度不足"},
    ),
    "verify_desk": Action(
        "S",
        "POST",
        "/verifications",
        "rectification.closed",
        {C: ok(200, "closed")},
        body=lambda rw, item: {"method": "desk", "passed": True, "reason": "资料齐全"},
    ),
    "verify_field": Action(
        "S",
        "POST",
        "/verifications",
        "verification.assigned",
        {s: ok(200) for s in OPEN},
        body=lambda rw, item: {"method": "field", "inspector_id": str(rw.inspector.id)},
        bumps=False,
    ),
    "verification_decision": Action(
        "S",
        "POST",
        "/verifications/{ref}/decision",
        "rectification.closed",
        {C: ok(200, "closed")},
        refused={IS: (409, "not_requested"), A: (409, "not_requested"), P: (409, "not_requested")},
        body=lambda rw, item: {"passed": True, "reason": "现场已整改到位"},
        needs="reported",
    ),
    "verification_cancel": Action(
        "S",
        "DELETE",
        "/verifications/{ref}",
        "verification.cancelled",
        {s: ok(200) for s in OPEN},
        needs="assigned",
        bumps=False,
    ),
    "edit": Action(
        "S",
        "PATCH",
        "",
        "rectification.edited",
        {s: ok(200) for s in (D, *OPEN)},
        body=lambda rw, item: {"version": item.version, "listed": True},
    ),
    "delete": Action("S", "DELETE", "", "rectification.deleted", {D: ok(204, GONE)}),
    # Reading, for comparison: who sees the item at all.
    "detail": Action("any", "GET", "", None, {s: ok(200) for s in S}, bumps=False),
}


def expected(action: Action, status: S, persona: str) -> tuple:
    forbidden_role = (403, "forbidden_role")
    hidden = (404, "not_found")
    if action.role == "any":
        if persona in ("supervisor", "admin"):
            return action.allowed[status]
        if persona in ("responder_a", "leader") and status != D:
            return action.allowed[status]
        return hidden
    actor = "supervisor" if action.role == "S" else "responder_a"
    if action.role == "S" and persona == "other_supervisor":
        return hidden  # the role may act, but not on another office's items
    if action.role == "R" and persona == "responder_b":
        return hidden
    if persona != actor:
        return forbidden_role
    if action.role == "R" and status == D:
        return hidden  # a draft is not the unit's yet
    if status in action.allowed:
        return action.allowed[status]
    if status == D and action.needs:
        return hidden  # a draft has no extension request or verification to name
    return action.refused.get(status, INVALID)


def prepare(rw, action: Action, item) -> str | None:
    if action.needs and item.status == D:
        return str(uuid.uuid4())  # a draft has no extension request nor verification
    if action.needs == "extension":
        return str(rw.extension(item).id)
    if action.needs in ("reported", "assigned"):
        if item.status == X:  # the verification that closed it
            return str(
                db.session.scalar(
                    select(Verification.id).where(Verification.rectification_id == item.id)
                )
            )
        return str(rw.verification(item, V(action.needs)).id)
    return None


def item_events(item_id) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_id == str(item_id))
            .where(AuditEvent.action.like("rectification.%") | AuditEvent.action.like("ver%"))
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def people(rw):
    users = {p: getattr(rw, p) for p in PERSONAS if p != "admin"}
    users["admin"] = rw.user(Role.admin)
    return users


@pytest.mark.parametrize("status", list(S), ids=[s.value for s in S])
def test_authorization_transition_matrix(rw, people, status):
    """One item in `status` per action; every persona tries the action on it."""
    problems = []
    for name, action in ACTIONS.items():
        item = rw.make(status)
        ref = prepare(rw, action, item)
        problems += try_everyone(rw, people, name, action, status, item.id, ref)
    assert not problems, "\n".join(problems)


def try_everyone(rw, people, name, action, status, item_id, ref) -> list[str]:
    url = f"/api/rectifications/{item_id}{action.path.format(ref=ref)}"
    wanted = {p: expected(action, status, p) for p in PERSONAS}
    # Refusals first, so each request meets the item in `status`; the allowed one last.
    order = sorted(PERSONAS, key=lambda p: wanted[p][0] < 300)
    problems = []
    for persona in order:
        where = f"{name} on {status.value} by {persona}"
        current = rw.reload(item_id)
        version, events = current.version, len(item_events(item_id))
        body = action.body(rw, current) if action.body else None
        kwargs = {"json": body} if body is not None else {}
        response = rw.call(action.method, people[persona], url, **kwargs)
        after = rw.reload(item_id)
        code = response.status_code
        if code >= 300:
            got = (code, (response.get_json() or {}).get("error", {}).get("code"))
        elif after is None:
            got = (code, GONE)
        else:
            got = (code, SAME if after.status == status else after.status.value)
        if got != wanted[persona]:
            problems.append(f"{where}: got {got}, expected {wanted[persona]}")
            continue
        new_events = item_events(item_id)[events:]
        if code >= 300 or action.method == "GET":
            # A refusal or a read changes nothing and writes nothing.
            if after.status != status or after.version != version or new_events:
                problems.append(f"{where}: {got} changed the item or wrote {new_events}")
            continue
        actions = [e.action for e in new_events]
        if action.audit not in actions:
            problems.append(f"{where}: no {action.audit} event, only {actions}")
        elif any(e.actor_id != people[persona].id for e in new_events):
            problems.append(f"{where}: an event names another actor")
        if after is not None and action.bumps and after.version <= version:
            problems.append(f"{where}: version {version} → {after.version}")
        if after is not None and not action.bumps and after.version != version:
            problems.append(f"{where}: the item's version moved ({version} → {after.version})")
    return problems


# ---- audit details, versions and stale edits ----


def events_of(item_id, action) -> list[AuditEvent]:
    db.session.expire_all()
    return [e for e in item_events(item_id) if e.action == action]


def test_the_whole_flow_is_audited_with_actors_reasons_and_growing_versions(rw):
    item = rw.create()
    url = f"/api/rectifications/{item['id']}"
    versions = [item["version"]]
    steps = [
        (rw.supervisor, "/issue", None, 200),
        (rw.responder_a, "/acknowledge", None, 200),
        (rw.responder_a, "/progress", {"body": "已开工", "percent": 40}, 201),
        (rw.responder_a, "/closure-request", {"body": "已完成"}, 200),
        (rw.supervisor, "/return", {"reason": "围挡高度不足两米"}, 200),
        (rw.responder_a, "/closure-request", {"body": "已加高围挡"}, 200),
    ]
    for user, path, body, code in steps:
        rw.post(user, url + path, body, expect=code)
        versions.append(rw.get(rw.supervisor, url)["version"])
    assert versions == sorted(set(versions)), versions  # strictly growing
    for action, actor in [
        ("rectification.created", rw.supervisor),
        ("rectification.issued", rw.supervisor),
        ("rectification.acknowledged", rw.responder_a),
        ("rectification.progress_reported", rw.responder_a),
        ("rectification.closure_requested", rw.responder_a),
        ("rectification.returned", rw.supervisor),
    ]:
        events = events_of(item["id"], action)
        assert events and all(e.actor_id == actor.id for e in events), action
    (returned,) = events_of(item["id"], "rectification.returned")
    assert returned.details["reason"] == "围挡高度不足两米"
    assert returned.details["from_status"] == "closure_requested"
    assert returned.details["to_status"] == "in_progress"
    # A failed verification returns it again; the reason is on both events.
    rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "desk", "passed": False, "reason": "照片显示仍未整改"},
    )
    decided = events_of(item["id"], "verification.decided")[-1]
    assert decided.actor_id == rw.supervisor.id and decided.details["reason"] == "照片显示仍未整改"
    assert decided.details["passed"] is False
    assert (
        events_of(item["id"], "rectification.returned")[-1].details["reason"] == "照片显示仍未整改"
    )
    assert rw.get(rw.supervisor, url)["version"] > versions[-1]


def test_extension_refusal_is_audited_with_its_reason(rw):
    item = rw.in_progress()
    url = f"/api/rectifications/{item['id']}"
    wanted = (datetime.fromisoformat(item["deadline"]) + timedelta(days=20)).date().isoformat()
    ext = rw.post(
        rw.responder_a,
        f"{url}/extensions",
        {"requested_deadline": wanted, "reason": "材料未到货,申请延期"},
        expect=201,
    )
    (requested,) = events_of(item["id"], "rectification.extension_requested")
    assert requested.actor_id == rw.responder_a.id
    assert requested.details["reason"] == "材料未到货,申请延期"
    # Refusing needs a reason.
    rw.post(rw.supervisor, f"{url}/extensions/{ext['id']}/decision", {"approve": False}, 422)
    rw.post(
        rw.supervisor,
        f"{url}/extensions/{ext['id']}/decision",
        {"approve": False, "reason": "理由不充分"},
    )
    (decided,) = events_of(item["id"], "rectification.extension_decided")
    assert decided.actor_id == rw.supervisor.id
    assert decided.details["approved"] is False and decided.details["reason"] == "理由不充分"
    after = rw.get(rw.responder_a, url)
    assert after["deadline"] == item["deadline"]
    assert after["extension_requests"][0]["status"] == "refused"
    # Decided once: deciding again is a conflict.
    rw.post(rw.supervisor, f"{url}/extensions/{ext['id']}/decision", {"approve": True}, 409)


def test_a_stale_version_on_patch_is_a_conflict_and_issued_content_is_fixed(rw):
    item = rw.issued()
    url = f"/api/rectifications/{item['id']}"
    first = rw.call(
        "PATCH", rw.supervisor, url, 200, json={"version": item["version"], "listed": True}
    )
    assert first.get_json()["version"] > item["version"]
    stale = rw.call(
        "PATCH",
        rw.supervisor,
        url,
        409,
        json={"version": item["version"], "responsible_person": "李"},
    )
    error = stale.get_json()["error"]
    assert error["code"] == "version_conflict"
    assert error["details"]["version"] == first.get_json()["version"]
    assert rw.get(rw.supervisor, url)["responsible_person"] == "王局长"
    # Without a version at all the schema refuses.
    assert rw.call("PATCH", rw.supervisor, url, 422, json={"listed": False}).status_code == 422
    # Once issued, the content and the deadline are fixed (the deadline moves by extension).
    current = first.get_json()["version"]
    for body, fieldname in [
        ({"problem": "改写问题"}, "problem"),
        ({"deadline": "2030-01-01"}, "deadline"),
        ({"unit_id": str(rw.unit_b.id)}, "unit_id"),
    ]:
        response = rw.call("PATCH", rw.supervisor, url, 422, json={"version": current, **body})
        assert fieldname in response.get_json()["error"]["details"]["fields"]
    assert rw.get(rw.supervisor, url)["version"] == current


# ---- no close without verification ----


def code_of(response):
    return response.status_code, response.get_json()["error"]["code"]


def test_desk_verification_needs_the_closure_request_and_no_open_visit(rw):
    item = rw.in_progress()
    url = f"/api/rectifications/{item['id']}"
    desk = {"method": "desk", "passed": True}
    response = rw.call("POST", rw.supervisor, f"{url}/verifications", json=desk)
    assert code_of(response) == (409, "invalid_transition")
    assert rw.get(rw.supervisor, url)["status"] == "in_progress"
    assert not db.session.scalar(select(func.count()).select_from(Verification))
    # Applied for, but an inspector is on the way: the desk must wait for the visit.
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "已完成"})
    field = {"method": "field", "inspector_id": str(rw.inspector.id)}
    rw.post(rw.supervisor, f"{url}/verifications", field)
    response = rw.call("POST", rw.supervisor, f"{url}/verifications", json=desk)
    assert code_of(response) == (409, "verification_open")
    response = rw.call("POST", rw.supervisor, f"{url}/verifications", json=field)
    assert code_of(response) == (409, "verification_open")
    # An assigned (unreported) verification cannot be decided.
    v = db.session.scalar(select(Verification))
    decision = f"{url}/verifications/{v.id}/decision"
    response = rw.call("POST", rw.supervisor, decision, json={"passed": True})
    assert code_of(response) == (409, "invalid_transition")
    assert rw.get(rw.supervisor, url)["status"] == "closure_requested"


def push_on_a_field_visit(rw, client, auth, url, data) -> tuple[Verification, dict]:
    """Send rw.inspector back to the item at `url`; their device pushes `data` on the visit."""
    rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "field", "inspector_id": str(rw.inspector.id)},
    )
    verification = db.session.scalar(select(Verification))
    device = Device(client, auth, rw.inspector)
    device.pull()
    (result,) = device.push(
        mutation(
            "verification",
            data,
            op="update",
            record_id=str(verification.id),
            base_version=verification.version,
        )
    )
    return verification, result


def test_a_field_report_cannot_close_before_the_closure_request(rw, client, auth):
    item = rw.in_progress()
    url = f"/api/rectifications/{item['id']}"
    report = {"report": "现场围挡已设置", "opinion": "passed"}
    verification, result = push_on_a_field_visit(rw, client, auth, url, report)
    assert result["status"] == "applied", result
    decision = f"{url}/verifications/{verification.id}/decision"
    for body in ({"passed": True}, {"passed": False, "reason": "未整改"}):
        response = rw.call("POST", rw.supervisor, decision, json=body)
        assert code_of(response) == (409, "not_requested")
    after = rw.get(rw.supervisor, url)
    assert after["status"] == "in_progress" and after["return_count"] == 0
    assert after["verifications"][0]["status"] == "reported"
    # Once the unit applies, the same report may be confirmed: decided after the request.
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "已完成"})
    assert rw.post(rw.supervisor, decision, {"passed": True})["status"] == "closed"


def test_the_device_cannot_decide_or_close(rw, client, auth):
    item = rw.closure_requested()
    url = f"/api/rectifications/{item['id']}"
    verdict = {"status": "passed", "decided_at": datetime.now(UTC).isoformat()}
    _, result = push_on_a_field_visit(rw, client, auth, url, verdict)
    assert result["status"] == "rejected", result
    unit = Device(client, auth, rw.responder_a)
    unit.pull()
    (result,) = unit.push(
        mutation(
            "rectification",
            {"status": "closed"},
            op="update",
            record_id=item["id"],
            base_version=item["version"],
        )
    )
    assert result["status"] == "rejected", result
    response = rw.call(
        "PATCH", rw.supervisor, url, json={"version": item["version"], "status": "closed"}
    )
    assert response.status_code == 422
    assert rw.get(rw.supervisor, url)["status"] == "closure_requested"


def test_close_item_needs_this_items_passed_verification_after_the_request(rw):
    """workflow.close_item, called directly as a console page might: every wrong
    verification is refused with verification_required."""
    cases = {
        "none": lambda item, other: None,
        "failed": lambda item, other: rw.verification(item, V.failed),
        "reported": lambda item, other: rw.verification(item, V.reported),
        "undecided": lambda item, other: rw.verification(item, V.passed, decided_at=None),
        "other item's": lambda item, other: rw.verification(other, V.passed),
        # Passed before the unit applied (an earlier round): not a verification of this
        # closure request.
        "earlier": lambda item, other: rw.verification(
            item, V.passed, decided_at=item.closure_requested_at - timedelta(minutes=1)
        ),
    }
    refused = []
    for name, make_verification in cases.items():
        item, other = rw.make(C), rw.make(C)
        verification = make_verification(item, other)
        with pytest.raises(ApiError) as error:
            workflow.close_item(item, verification, rw.supervisor)
        refused.append((name, error.value.status, error.value.code))
        db.session.rollback()
        assert rw.reload(item).status == C and rw.reload(item).closed_at is None, name
    assert refused == [(name, 409, "verification_required") for name in cases]
    # Not waiting for verification: refused whatever the verification.
    for status in (IS, A, P, X):
        item = rw.make(status)
        passed = rw.verification(item, V.passed, decided_at=datetime.now(UTC))
        with pytest.raises(ApiError) as error:
            workflow.close_item(item, passed, rw.supervisor)
        assert (error.value.status, error.value.code) == (409, "invalid_transition"), status
        db.session.rollback()
    # The counterpart: a proper verification does close (the rule is not simply "never").
    item = rw.make(C)
    passed = rw.verification(item, V.passed, decided_at=datetime.now(UTC))
    workflow.close_item(item, passed, rw.supervisor)
    db.session.commit()
    assert rw.reload(item).status == X


def test_a_failed_verification_returns_the_item_with_its_reason(rw):
    item = rw.closure_requested()
    url = f"/api/rectifications/{item['id']}"
    after = rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "desk", "passed": False, "reason": "复查发现围挡仍有缺口"},
    )
    assert after["status"] == "in_progress" and after["return_count"] == 1
    assert after["closure_requested_at"] is None
    unit_view = rw.get(rw.responder_a, url)
    returned = [h for h in unit_view["history"] if h["action"] == "rectification.returned"]
    assert [h["reason"] for h in returned] == ["复查发现围挡仍有缺口"]
    assert returned[0]["from_status"] == "closure_requested"
    assert returned[0]["to_status"] == "in_progress"
    # The unit reads the decision, never the verification behind it.
    assert not [h for h in unit_view["history"] if h["action"].startswith("verification.")]
    assert "verifications" not in unit_view
    # A failed verification never closed anything; the item can go round again.
    assert db.session.scalar(
        select(func.count()).select_from(Verification).where(Verification.status == V.failed)
    )
    rw.post(rw.responder_a, f"{url}/closure-request", {"body": "缺口已补齐"})
    closed = rw.post(
        rw.supervisor,
        f"{url}/verifications",
        {"method": "desk", "passed": True, "reason": "已补齐"},
    )
    assert closed["status"] == "closed" and closed["return_count"] == 1


def test_an_item_lies_in_its_sites_township_else_in_its_units_region(rw, factory):
    """The dashboards count items by township: the site's, or the unit's without one."""
    township_site = factory.site(rw.unit_a, region_code="522730100")
    db.session.commit()
    item = rw.create(site_id=str(township_site.id))
    assert rw.reload(item["id"]).region_code == "522730100"
    no_site = rw.create(site_id=None, unit_id=str(rw.unit_b.id))
    assert rw.reload(no_site["id"]).region_code == rw.unit_b.region_code == "522731"

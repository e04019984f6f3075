"""Secrecy: an unannounced plan, until its findings are issued, is seen only by its team,
its office's supervisors and admins.

As a responder of a targeted unit, an inspector not on the team, a supervisor of another
office and a leader who does not lead it, this suite calls every GET endpoint in the
OpenAPI document (path parameters filled with real ids, the secret plan's included), every
console page they can reach, and sync pull (from scratch and after the plan changes), and
asserts that the plan's id, code, title, matter, site names and dates appear nowhere. The
same harness run as the team and the office proves it would see them.

A clue's reporter (name and contact) is seen by the office's supervisors alone: by no
persona here, the plan's team included. A clue forwarded to the target unit and then made
the reason for a target of the plan leaves every page and answer the unit gets the same,
byte for byte, and tells the unit nothing."""

from __future__ import annotations

import io
import itertools
import json
import re
import subprocess
import uuid
from collections import deque
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest

from server.extensions import db
from server.models import ExposureCopy, Role, UnitKind, utcnow
from server.timeutil import local_today
from tests.api.sync_helpers import finding_data, mutation, new_id, photo_data, visit_data
from tests.api.test_console import console_login

TITLE = "青杠林移民安置点质量专项暗访"
MATTER = "移民安置房渗漏与补偿款兑付核查"
SITE_NAMES = ["青杠林安置点七号楼", "白岩脚移民新村"]
FOLLOW_UP_TITLE = "白岩脚整改情况回头看暗访"
RANDOM_ID = str(uuid.UUID(int=0xBAD))
INSTRUCTIONS = "重点核实屋面防水是否返工"
FINDING_TITLE = "脚手架未设防护网"  # the team's finding (tests/api/sync_helpers.finding_data)


def date_forms(d) -> list[str]:
    return [
        d.isoformat(),
        f"{d.year}年{d.month}月{d.day}日",
        f"{d.year}年{d.month:02d}月{d.day:02d}日",
        f"{d.month}月{d.day}日",
        f"{d.year}/{d.month:02d}/{d.day:02d}",
        f"{d.year}-{d.month}-{d.day}",
    ]


@pytest.fixture
def secret(client, factory, auth):
    office = factory.unit("县委督查室", kind=UnitKind.office)
    target = factory.unit("县住房和城乡建设局")
    supervisor = factory.user(Role.supervisor, office)
    member = factory.user(Role.inspector, office)
    people = SimpleNamespace(
        responder=factory.user(Role.responder, target),
        outsider=factory.user(Role.inspector, office),
        other_supervisor=factory.user(
            Role.supervisor, factory.unit("市督查室", kind=UnitKind.office)
        ),
        leader=factory.user(Role.leader, factory.unit("县政府", kind=UnitKind.government)),
        member=member,
        supervisor=supervisor,
    )
    sites = [factory.site(target) for _ in SITE_NAMES]
    for site, name in zip(sites, SITE_NAMES, strict=True):
        site.name = name
    item = factory.rectification(office, target)  # issued to the responder's unit earlier
    db.session.commit()
    headers = auth.headers(supervisor)
    start = local_today() + timedelta(days=19)
    body = {
        "title": TITLE,
        "matter": MATTER,
        "matter_category": "project_quality",
        "mode": "sibu_liangzhi",
        "kind": "routine_special",
        "window_start": start.isoformat(),
        "window_end": (start + timedelta(days=14)).isoformat(),
        "team_ids": [str(member.id)],
        "site_ids": [str(sites[0].id)],
    }
    plan = client.post("/api/plans", json=body, headers=headers).get_json()
    draw = client.post(
        f"/api/plans/{plan['id']}/draws",
        json={"pool": "site", "targets": 1, "target_ids": [str(sites[1].id)]},
        headers=headers,
    ).get_json()
    for status, version in (("approved", plan["version"] + 1), ("active", plan["version"] + 2)):
        response = client.post(
            f"/api/plans/{plan['id']}/status",
            json={"status": status, "version": version},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
    follow_up = client.post(
        "/api/plans",
        json={
            **body,
            "title": FOLLOW_UP_TITLE,
            "kind": "follow_up",
            "site_ids": [],
            "rectification_ids": [str(item.id)],
            "repeat_justification": "复查整改是否到位",
        },
        headers=headers,
    ).get_json()
    assert follow_up.get("id"), follow_up
    # The team works the plan: a visit, a finding and a photo record at the secret site.
    from tests.api.sync_helpers import Device

    device = Device(client, auth, member)
    world = SimpleNamespace(plan=SimpleNamespace(id=plan["id"]), site=sites[0], target=target)
    visit_id, finding_id = new_id(), new_id()
    photo_id = new_id()
    device.push(
        mutation("visit", visit_data(world), record_id=visit_id),
        mutation("finding", finding_data(world, visit_id=visit_id), record_id=finding_id),
        mutation("photo", photo_data(finding_id, b"\xff\xd8 photo"), record_id=photo_id),
    )
    # The office sends the team member back to re-check the item, unannounced (回头看).
    verified = client.post(
        f"/api/rectifications/{item.id}/verifications",
        json={"method": "field", "inspector_id": str(member.id), "instructions": INSTRUCTIONS},
        headers=headers,
    ).get_json()
    verification_id = verified["verifications"][0]["id"]
    bulletin = published_bulletin(supervisor, item)
    # A 12345 clue about the target unit, forwarded to it for an answer, which the office
    # has also made the reason for the secret plan's first site (issue 17).
    clue = secret_clue(supervisor, target, sites[0], plan["id"])
    # A draft exposure copy of the team's photo (the office's own; none can be published
    # before the finding is issued): its pages must leak nothing either.
    draft_copy = ExposureCopy(
        photo_id=uuid.UUID(photo_id), office_unit_id=office.id, created_by_id=supervisor.id,
        boxes=[], revision=0,
    )  # fmt: skip
    db.session.add(draft_copy)
    db.session.commit()
    secrets = [plan["id"], plan["code"], TITLE, MATTER, follow_up["id"], FOLLOW_UP_TITLE]
    secrets += [verification_id, INSTRUCTIONS, FINDING_TITLE, finding_id]
    secrets += SITE_NAMES + [draw["id"]]
    secrets += date_forms(start) + date_forms(start + timedelta(days=14))
    ids = {
        "plan_id": [plan["id"], follow_up["id"], RANDOM_ID],
        "draw_id": [draw["id"], RANDOM_ID],
        "photo_id": [photo_id, RANDOM_ID],
        "user_id": [str(member.id), str(supervisor.id)],
        "item_id": [str(item.id), RANDOM_ID],
        "finding_id": [finding_id, RANDOM_ID],
        "verification_id": [verification_id, RANDOM_ID],
        "report_id": [RANDOM_ID],
        "extension_id": [RANDOM_ID],
        "notification_id": [RANDOM_ID],
        "entry_id": [RANDOM_ID],
        "copy_id": [str(draft_copy.id), RANDOM_ID],
        "export_id": [RANDOM_ID],
        "variant": ["thumbnail", "display"],
        # The admin's units, sites and regions pages (a target site among them).
        "unit_id": [str(target.id), RANDOM_ID],
        "site_id": [str(sites[0].id), RANDOM_ID],
        "region_code": [target.region_code],
        # This month's bulletin of the office, published (月公示), and its files.
        "bulletin_id": [str(bulletin.id), RANDOM_ID],
        "clue_id": [str(clue.id), RANDOM_ID],
    }
    return SimpleNamespace(
        people=people,
        plan=plan,
        follow_up=follow_up,
        secrets=secrets,
        ids=ids,
        headers=headers,
        office=office,
        sites=sites,
        clue=clue,
    )


CLUE_SUMMARY = "群众来电反映青杠林安置房屋面渗漏多年未修"
CLUE_CONTACT = "13985550123"


def secret_clue(supervisor, target, site, plan_id):
    from server.clues import operations as clues

    clue = clues.create_clue(
        {"source": "hotline", "source_ref": "GZ12345-0001", "received_on": local_today(),
         "summary": CLUE_SUMMARY, "place": "青杠林", "unit_id": target.id,
         "reporter_name": "王先生", "reporter_contact": CLUE_CONTACT},
        supervisor,
    )  # fmt: skip
    clues.forward_clue(clue, {"unit_id": target.id, "note": "请核实并答复"}, supervisor)
    clues.link_to_plan(clue, uuid.UUID(plan_id), site.id, supervisor)
    db.session.commit()
    return clue


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_text(data: bytes) -> str:
    """Every cell of every sheet of a workbook, and its sheet names."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    cells = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    return "\n".join(book.sheetnames + cells)


def published_bulletin(supervisor, item):
    """The office's bulletin of this month, with the unit's item as a typical problem,
    reviewed and published (its figures frozen while the plan is still secret)."""
    from server.bulletins import operations as bulletins

    item.issued_at = utcnow()  # the factory's item was issued without a time
    today = local_today()
    bulletin = bulletins.create(supervisor, today.year, today.month)
    bulletins.add_typical(supervisor, bulletin, item.id, "典型问题:整改不到位", [])
    bulletins.review(supervisor, bulletin)
    bulletins.publish(supervisor, bulletin)
    db.session.commit()
    return bulletin


def file_text(response) -> str | None:
    """The text of a downloaded PDF (pdftotext) or XLSX (every cell), else None."""
    if response.mimetype == "application/pdf":
        return subprocess.run(
            ["pdftotext", "-", "-"], input=response.get_data(), capture_output=True, check=True
        ).stdout.decode()
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
        return "\n".join(
            str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row
        )
    return None


def text_of(response) -> str:
    """What a user can read: the body (JSON decoded, so escaped Chinese counts; a PDF's or
    a spreadsheet's text) and headers."""
    body = file_text(response)
    if body is None:
        body = response.get_data(as_text=True)
    if response.is_json:
        body = json.dumps(response.get_json(), ensure_ascii=False)
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return body + "\n" + headers


def api_get_urls(client, ids) -> list[str]:
    spec = client.get("/api/openapi.json").get_json()
    urls = []
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        params = [
            p
            for p in item["get"].get("parameters", []) + item.get("parameters", [])
            if p["in"] == "path"
        ]
        choices = []
        for param in params:
            name = param["name"]
            enum = param.get("schema", {}).get("enum")
            values = enum or ids.get(name)
            assert values, f"the secrecy suite has no ids for path parameter {name!r} in {path}"
            choices.append([(name, v) for v in values])
        for combo in itertools.product(*choices):
            url = path
            for name, value in combo:
                url = url.replace("{" + name + "}", str(value))
            urls.append(url)
    return urls


def query_variants(secret) -> list[str]:
    year = local_today().year
    return [
        f"/api/plans?q={TITLE[:4]}",
        f"/api/plans?q={secret.plan['code']}",
        "/api/plans?status=active",
        "/api/plans?mode=sibu_liangzhi",
        f"/api/plans?year={year}",
        f"/api/plans/figures?office_id={secret.office.id}",
        f"/api/plans/figures?office_id={secret.office.id}&year={year}",
        f"/api/rectifications?plan_id={secret.plan['id']}",
        f"/api/rectifications?plan_id={secret.follow_up['id']}",
        f"/api/rectifications/three-lists?plan_id={secret.follow_up['id']}",
        f"/api/rectifications/colours?plan_id={secret.plan['id']}",
        "/api/rectifications?include_drafts=true",
        "/api/findings/triage?status=pending",
        "/api/notifications",
    ]


def collect_api(client, headers, secret) -> dict[str, str]:
    seen = {}
    for url in api_get_urls(client, secret.ids) + query_variants(secret):
        seen[url] = text_of(client.get(url, headers=headers))
    return seen


def collect_pull(client, headers) -> tuple[dict[str, str], str]:
    seen, cursor, n = {}, None, 0
    while True:
        query = {"cursor": cursor, "limit": 5} if cursor else {"limit": 5}
        response = client.get("/api/sync/pull", headers=headers, query_string=query)
        assert response.status_code == 200
        seen[f"pull page {n}"] = text_of(response)
        cursor, n = response.get_json()["cursor"], n + 1
        if not response.get_json()["has_more"]:
            return seen, cursor


def console_urls(app, ids) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or "GET" not in rule.methods:
            continue
        if rule.endpoint == "console.static":
            continue
        choices = []
        for name in rule.arguments:
            converter = rule._converters[name]
            values = getattr(converter, "items", None) or ids.get(name)
            assert values, f"the secrecy suite has no ids for {name!r} in {rule.rule}"
            choices.append([(name, v) for v in values])
        for combo in itertools.product(*choices):
            urls.append(rule.build(dict(combo), append_unknown=False)[1])
    return urls


LINK = re.compile(r'href="(/console/[^"#]*)"')


def collect_console(app, client, auth, user, secret) -> dict[str, str]:
    console_login(client, auth, user)
    queue = deque(console_urls(app, secret.ids))
    seen: dict[str, str] = {}
    while queue and len(seen) < 300:
        url = queue.popleft().replace("&amp;", "&")
        if url in seen or url.startswith("/console/static"):
            continue
        response = client.get(url)
        seen[url] = text_of(response)
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(LINK.findall(response.get_data(as_text=True)))
    client.post("/console/logout", data={})  # the next persona logs in afresh
    return seen


def leaks(seen: dict[str, str], secrets: list[str]) -> list[tuple[str, str]]:
    return [(url, s) for url, text in seen.items() for s in secrets if s in text]


PERSONAS = ["responder", "outsider", "other_supervisor", "leader"]


def secrets_for(secret, persona) -> list[str]:
    """Every supervisor plans from the list of all sites, so another office's supervisor
    may know the sites by name; what stays secret from them is that this plan targets
    them (and the plan itself). The responder and the inspectors learn no site names."""
    if persona == "other_supervisor":
        return [s for s in secret.secrets if s not in SITE_NAMES]
    return secret.secrets


@pytest.mark.parametrize("persona", PERSONAS)
def test_nothing_leaks_through_the_api(client, auth, secret, persona):
    headers = auth.headers(getattr(secret.people, persona))
    seen = collect_api(client, headers, secret)
    assert any("/api/plans/" + secret.plan["id"] in url for url in seen)  # it was asked
    assert leaks(seen, secrets_for(secret, persona)) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_nothing_leaks_through_pull(client, auth, secret, persona):
    headers = auth.headers(getattr(secret.people, persona))
    seen, cursor = collect_pull(client, headers)
    # The plan changes while they watch: a new member, a moved window, finished.
    plan = client.get(f"/api/plans/{secret.plan['id']}", headers=secret.headers).get_json()
    response = client.patch(
        f"/api/plans/{plan['id']}",
        json={
            "version": plan["version"],
            "team_ids": [m["id"] for m in plan["team"]] + [str(secret.people.outsider.id)],
        },
        headers=secret.headers,
    )
    assert response.status_code == 200, response.get_json()
    later = client.get("/api/sync/pull", headers=headers, query_string={"cursor": cursor})
    seen["pull after changes"] = text_of(later)
    if persona == "outsider":
        # Now on the team: the plan reaches their device, as it should.
        assert TITLE in seen["pull after changes"]
        return
    assert leaks(seen, secrets_for(secret, persona)) == []


@pytest.mark.parametrize("persona", PERSONAS)
def test_nothing_leaks_through_console_pages(app, client, auth, secret, persona):
    seen = collect_console(app, client, auth, getattr(secret.people, persona), secret)
    assert len(seen) > 3
    assert leaks(seen, secrets_for(secret, persona)) == []


def test_a_secret_id_answers_exactly_like_an_unknown_one(client, auth, secret):
    headers = auth.headers(secret.people.responder)
    for path in ("", "/draws/" + secret.ids["draw_id"][0] + "/check"):
        known = client.get(f"/api/plans/{secret.plan['id']}{path}", headers=headers)
        unknown = client.get(f"/api/plans/{RANDOM_ID}{path}", headers=headers)
        assert known.status_code == unknown.status_code == 404
        assert known.get_json() == unknown.get_json()


def test_the_harness_sees_what_the_team_and_office_see(app, client, auth, secret):
    """The same collection as the team member and the supervisor finds the secrets: the
    suite above would notice a leak."""
    member = auth.headers(secret.people.member)
    api = collect_api(client, member, secret)
    pulled, _ = collect_pull(client, member)
    found = {s for _, s in leaks({**api, **pulled}, secret.secrets)}
    assert {TITLE, MATTER, secret.plan["id"], secret.plan["code"], *SITE_NAMES} <= found
    assert {INSTRUCTIONS, FINDING_TITLE, secret.ids["verification_id"][0]} <= found
    console = collect_console(app, client, auth, secret.people.supervisor, secret)
    assert TITLE in {s for _, s in leaks(console, secret.secrets)}


EXPORTS = ("/console/ledger/export.xlsx", "/console/three-lists/export.xlsx")


def test_xlsx_exports_never_hold_a_draft_item_of_the_secret_plan(app, client, auth, secret):
    """The office triages the team's finding into an item but has not issued it: no
    export holds it, not even the office's own, with or without the plan filter."""
    finding_id = secret.secrets[secret.secrets.index(FINDING_TITLE) + 1]
    body = {
        "finding_ids": [finding_id],
        "unit_id": secret.ids["unit_id"][0],
        "problem": "七号楼屋面渗漏尚未交办",
        "measures": "返工屋面防水",
        "deadline": (local_today() + timedelta(days=60)).isoformat(),
    }
    draft = client.post("/api/rectifications", json=body, headers=secret.headers).get_json()
    assert draft.get("status") == "draft", draft
    hidden = [draft["code"], body["problem"], body["measures"], *secret.secrets]
    for user in (secret.people.supervisor, *(getattr(secret.people, p) for p in PERSONAS)):
        console_login(client, auth, user)
        for url in EXPORTS:
            for query in ("", f"?plan_id={secret.plan['id']}"):
                response = client.get(url + query)
                if user.role == Role.inspector:  # not a reader of the ledger
                    assert response.status_code == 403
                    continue
                if response.status_code != 200:  # a unit may not filter by plan: 403
                    assert query and response.status_code == 403, (url, query)
                    continue
                assert response.mimetype == XLSX
                text = xlsx_text(response.get_data())
                assert "编号" in text  # the harness reads the cells
                allowed = user is secret.people.supervisor
                found = [s for s in hidden if s in text]
                # The office knows its own plan; the draft stays out of its export too.
                assert found == ([] if not allowed else [s for s in found if s in secret.secrets])
        client.post("/console/logout", data={})
    console_login(client, auth, secret.people.supervisor)
    page = client.get("/console/ledger?include_drafts=true").get_data(as_text=True)
    assert draft["code"] in page  # the office's ledger shows it: the exports left it out


# ---- clues (issue 17): the reporter, and the unit's view of a clue behind the plan ----

REPORTER = "王先生"  # secret_clue's reporter_name


@pytest.mark.parametrize("persona", [*PERSONAS, "member"])
def test_the_reporter_is_seen_by_nobody_but_the_office(app, client, auth, secret, persona):
    """The contact reaches no other persona, the plan's own team included, by the API,
    pull or the console."""
    user = getattr(secret.people, persona)
    headers = auth.headers(user)
    seen = collect_api(client, headers, secret)
    seen.update(collect_pull(client, headers)[0])
    seen.update(collect_console(app, client, auth, user, secret))
    assert leaks(seen, [CLUE_CONTACT, REPORTER]) == []


def test_the_harness_sees_the_reporter_as_the_office(app, client, auth, secret):
    seen = collect_console(app, client, auth, secret.people.supervisor, secret)
    page = f"/console/clues/{secret.clue.id}"
    assert CLUE_CONTACT in seen[page] and REPORTER in seen[page]


CSRF = re.compile(r'(name="csrf_token" value=")[^"]+(")')
# What an answer draws from the moment it is sent, never from the data: times, and the
# signed session cookie (it carries its own timestamp).
CLOCK = re.compile(r"\b(Date|Expires|Last-Modified|Set-Cookie): [^\n]+")


def unit_snapshot(app, client, auth, responder, clue_ids) -> dict[str, str]:
    """Every page and answer of the unit's about its clues: the clue pages, the start
    page, its notifications (page and API), its dashboard."""
    console_login(client, auth, responder)
    urls = ["/console/", "/console/unit/clues", "/console/unit/summons", "/console/dashboard"]
    urls += [f"/console/unit/clues/{i}" for i in clue_ids]
    seen = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = CLOCK.sub("", CSRF.sub(r"\1-\2", text_of(response)))
    headers = auth.headers(responder)
    for url in ("/api/notifications", "/api/notifications?unread=true"):
        seen[url] = CLOCK.sub("", text_of(client.get(url, headers=headers)))
    client.post("/console/logout", data={})
    return seen


def test_planning_a_forwarded_clue_changes_nothing_the_unit_sees(
    app, client, auth, factory, secret
):
    """A fresh clue forwarded to the target unit: the unit's pages, start page and
    notifications are the same, byte for byte, before and after the office makes it the
    reason for a new target of the secret plan; and the unit is not told."""
    from server.clues import operations as clues
    from server.models import Notification

    supervisor, responder = secret.people.supervisor, secret.people.responder
    target = secret.people.responder.unit
    clue = clues.create_clue(
        {"source": "online", "source_ref": "WS-2-0001", "received_on": local_today(),
         "summary": "网上留言反映安置点排水沟堵塞", "place": "白岩脚", "unit_id": target.id},
        supervisor,
    )  # fmt: skip
    clues.forward_clue(clue, {"unit_id": target.id, "note": "请核实排水沟情况"}, supervisor)
    new_site = factory.site(target)
    new_site.name = "白岩脚排水沟"
    db.session.commit()
    ids = [clue.id, secret.clue.id]
    told = select_count(Notification, Notification.recipient_id == responder.id)
    before = unit_snapshot(app, client, auth, responder, ids)
    assert "网上留言反映安置点排水沟堵塞" in before[f"/console/unit/clues/{clue.id}"]
    assert "转办线索待答复" in before["/console/"]
    clues.link_to_plan(clue, uuid.UUID(secret.plan["id"]), new_site.id, supervisor)
    db.session.commit()
    assert clue.status == "planned" and clue.targets  # the office did link it
    after = unit_snapshot(app, client, auth, responder, ids)
    assert after.keys() == before.keys()
    for url, page in before.items():
        assert after[url] == page, url
    assert select_count(Notification, Notification.recipient_id == responder.id) == told
    # The office sees the link on its plan page (the comparison could have failed).
    console_login(client, auth, supervisor)
    plan_page = client.get(f"/console/plans/{secret.plan['id']}").get_data(as_text=True)
    assert clue.code in plan_page and "白岩脚排水沟" in plan_page


def select_count(model, *where) -> int:
    from sqlalchemy import func, select

    return db.session.scalar(select(func.count()).select_from(model).where(*where))

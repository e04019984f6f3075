"""Monthly bulletins (issue 16): draft -> reviewed -> published in the console, frozen
once reviewed, a correction is a new version, every step on the audit trail; the figures
are the office dashboard's for the month; the units read only the published bulletins of
an office that supervises them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from server.bulletins import figures
from server.dashboards import queries as dashboard
from server.extensions import db
from server.models import AuditEvent, Bulletin, BulletinStatus, Role, Unit, UnitKind
from server.models import RectificationStatus as S
from server.timeutil import local_today
from tests.api.bulletin_helpers import create, last_month, login, post, step


def month_items(rw, year, month):
    """Three items issued in the month: one closed, one overdue, one draft (never seen)."""
    mid = date(year, month, 10)
    closed = rw.make(S.closed, issued_on=mid)
    overdue = rw.make(S.in_progress, issued_on=mid, deadline=local_today() - timedelta(days=3))
    draft = rw.make(S.draft, unit=rw.unit_b)
    return closed, overdue, draft


def actions(bulletin_id) -> list[tuple[str, object]]:
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "bulletin", AuditEvent.entity_id == str(bulletin_id))
        .order_by(AuditEvent.id)
    ).all()
    return [tuple(r) for r in rows]


def test_draft_review_publish_and_correction(client, auth, rw):
    year, month = last_month()
    month_items(rw, year, month)
    csrf = login(client, auth, rw.supervisor)
    bulletin = create(client, csrf, year, month)
    assert bulletin.status == BulletinStatus.draft and bulletin.version == 1
    assert bulletin.doc_number == f"督通〔{year}〕{month}号" and bulletin.frozen is None
    html = client.get(f"/console/bulletins/{bulletin.id}").get_data(as_text=True)
    assert "草稿中的数据为实时统计" in html and "住建局" in html
    # The same month twice is refused next to the field.
    again = post(client, "/console/bulletins/new", csrf, month=f"{year}-{month:02d}")
    assert again.status_code == 409 and "该月通报已存在" in again.get_data(as_text=True)

    step(
        client,
        csrf,
        bulletin,
        "",
        doc_number="督通〔2026〕7号",
        title="七月通报",
        summary="总体平稳",
    )
    assert (bulletin.doc_number, bulletin.title) == ("督通〔2026〕7号", "七月通报")
    step(client, csrf, bulletin, "review")
    assert (
        bulletin.status == BulletinStatus.reviewed and bulletin.reviewed_by_id == rw.supervisor.id
    )
    frozen = bulletin.frozen
    assert frozen["figures"]["issued"] == 2 and frozen["ranking"][0]["unit"] == "住建局"
    # Reviewed: no edit; reopen drops the frozen figures; review again; publish asks first.
    refused = post(client, f"/console/bulletins/{bulletin.id}", csrf, doc_number="x号", title="改")
    assert refused.status_code == 409
    step(client, csrf, bulletin, "reopen")
    assert bulletin.status == BulletinStatus.draft and bulletin.frozen is None
    step(client, csrf, bulletin, "review")
    asked = step(client, csrf, bulletin, "publish", expect=200)
    assert "发布后内容不可更改" in asked.get_data(as_text=True)
    assert bulletin.status == BulletinStatus.reviewed
    step(client, csrf, bulletin, "publish", confirm="1")
    assert bulletin.status == BulletinStatus.published and bulletin.published_at is not None
    published = dict(bulletin.frozen)

    # Published: never changes, whatever is asked and whatever happens to the items.
    rw.make(S.issued, issued_on=published_day(year, month))
    for action, form in (("", {"title": "改过"}), ("reopen", {}), ("review", {})):
        assert (
            post(
                client, f"/console/bulletins/{bulletin.id}/{action}".rstrip("/"), csrf, **form
            ).status_code
            == 409
        )
    db.session.expire_all()
    assert bulletin.frozen == published and bulletin.title == "七月通报"

    # A correction is version 2, a draft referring to version 1; version 1 stays.
    step(client, csrf, bulletin, "correct")
    second = db.session.scalar(select(Bulletin).where(Bulletin.previous_id == bulletin.id))
    assert second.version == 2 and second.status == BulletinStatus.draft
    assert second.doc_number.endswith("(更正1)") and second.title == "七月通报"
    assert bulletin.status == BulletinStatus.published and bulletin.frozen == published
    assert post(client, f"/console/bulletins/{bulletin.id}/correct", csrf).status_code == 409
    html = client.get(f"/console/bulletins/{bulletin.id}").get_data(as_text=True)
    assert "本通报已更正" in html

    me = rw.supervisor.id
    assert actions(bulletin.id) == [
        ("bulletin.created", me), ("bulletin.edited", me), ("bulletin.reviewed", me),
        ("bulletin.reopened", me), ("bulletin.reviewed", me), ("bulletin.published", me),
    ]  # fmt: skip
    assert actions(second.id) == [("bulletin.created", me)]


def published_day(year, month):
    return date(year, month, 20)


def test_figures_are_the_dashboards_for_the_month(rw):
    year, month = last_month()
    closed, overdue, _ = month_items(rw, year, month)
    rw.make(S.issued, issued_on=local_today().replace(day=1) - timedelta(days=40))  # earlier
    start, end = figures.month_span(year, month)
    today = local_today()
    found = figures.month_figures(rw.supervisor, year, month, today)
    board = dashboard.supervisor_dashboard(
        rw.supervisor, {"date_from": start, "date_to": end}, today
    )
    assert found["issued"] == 2 == sum(c["count"] for c in board["statuses"].values())
    assert found["overdue"] == 1 == board["overdue"]["count"]
    assert found["colours"] == {
        c: board["colours"][c]["all"]["count"] for c in ("red", "yellow", "green")
    }
    assert found["colours"]["green"] == 1 and found["colours"]["red"] == 1
    assert found["findings"] == sum(c["count"] for c in board["findings"]["total"])
    assert found["verified_passed"] == board["verifications"]["passed"]["count"]


def test_units_read_only_the_published_bulletins_of_their_office(client, auth, rw, factory):
    year, month = last_month()
    month_items(rw, year, month)
    government = factory.unit("县政府", kind=UnitKind.government)
    rw.office.parent_id = government.id
    leader = factory.user(Role.leader, government)
    db.session.commit()
    csrf = login(client, auth, rw.supervisor)
    draft = create(client, csrf, year, month)
    earlier = create(client, csrf, *previous(year, month))
    step(client, csrf, earlier, "review")
    step(client, csrf, earlier, "publish", confirm="1")
    client.post("/console/logout", data={"csrf_token": csrf})

    # responder_a's unit has items from the office: it sees the published one only.
    login(client, auth, rw.responder_a)
    listing = client.get("/console/bulletins").get_data(as_text=True)
    assert "月公示" in listing and str(earlier.id) in listing and str(draft.id) not in listing
    assert client.get(f"/console/bulletins/{earlier.id}").status_code == 200
    for url in ("", "/bulletin.pdf", "/bulletin.xlsx"):
        assert client.get(f"/console/bulletins/{draft.id}{url}").status_code == 404
    assert client.get(f"/console/bulletins/{earlier.id}/bulletin.xlsx").status_code == 200
    # responder_b's unit has only a draft item of the office: nothing.
    login(client, auth, rw.responder_b)
    assert str(earlier.id) not in client.get("/console/bulletins").get_data(as_text=True)
    assert client.get(f"/console/bulletins/{earlier.id}").status_code == 404
    # Another office's supervisor: nothing. The leader of the office's government, the
    # leader of its items and an admin: the published one, never the office's draft.
    login(client, auth, rw.other_supervisor)
    assert client.get(f"/console/bulletins/{earlier.id}").status_code == 404
    for reader in (leader, rw.leader, factory.user(Role.admin, rw.office)):
        db.session.commit()
        login(client, auth, reader)
        listing = client.get("/console/bulletins").get_data(as_text=True)
        assert str(earlier.id) in listing and str(draft.id) not in listing, reader.role
        assert client.get(f"/console/bulletins/{earlier.id}/bulletin.pdf").status_code == 200
        assert client.get(f"/console/bulletins/{draft.id}/bulletin.pdf").status_code == 404
    outsider = factory.user(Role.leader, factory.unit("别的县政府", kind=UnitKind.government))
    db.session.commit()
    login(client, auth, outsider)
    assert client.get(f"/console/bulletins/{earlier.id}").status_code == 404


def previous(year, month):
    return (year, month - 1) if month > 1 else (year - 1, 12)


def test_no_draft_item_reaches_a_bulletin(client, auth, rw):
    year, month = last_month()
    closed, overdue, draft = month_items(rw, year, month)
    csrf = login(client, auth, rw.supervisor)
    bulletin = create(client, csrf, year, month)
    html = client.get(f"/console/bulletins/{bulletin.id}").get_data(as_text=True)
    assert closed.code in html and draft.code not in html and "林业局" not in html
    refused = post(client, f"/console/bulletins/{bulletin.id}/typical", csrf,
                   item_id=str(draft.id), text="典型问题说明")  # fmt: skip
    assert refused.status_code == 422 and "请选择本月的整改事项" in refused.get_data(as_text=True)
    step(client, csrf, bulletin, "typical", item_id=str(overdue.id), text="超期未整改")
    step(client, csrf, bulletin, "review")
    units = {r["unit"] for r in bulletin.frozen["ranking"]}
    assert units == {"住建局"} and [t["code"] for t in bulletin.frozen["typical"]] == [overdue.code]
    assert rw.plan.title not in str(bulletin.frozen)
    xlsx = client.get(f"/console/bulletins/{bulletin.id}/bulletin.xlsx").data
    assert rw.plan.title.encode() not in xlsx


def test_a_responder_cannot_act(client, auth, rw):
    year, month = last_month()
    csrf = login(client, auth, rw.supervisor)
    bulletin = create(client, csrf, year, month)
    csrf = login(client, auth, rw.responder_a)
    assert post(client, f"/console/bulletins/{bulletin.id}/review", csrf).status_code == 403
    assert post(client, "/console/bulletins/new", csrf, month="2026-01").status_code == 403
    db.session.expire_all()
    assert db.session.get(Bulletin, bulletin.id).status == BulletinStatus.draft
    assert db.session.scalar(select(Unit.name).where(Unit.id == bulletin.office_unit_id))

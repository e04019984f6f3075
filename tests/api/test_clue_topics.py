"""The clue topics page (/console/clue-topics, server/clues/topics.py): the list with its
counts, add (code typed or made), rename and reorder, deactivate and reactivate (never
delete), errors redrawn next to the fields, supervisors and admins only. The clue_topic
table outlives a test: every test puts the migration's list back."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from server.extensions import db
from server.models import AuditEvent, Clue, ClueTopic, Role, UnitKind
from tests.api.test_console import console_login


@pytest.fixture
def restore_topics(app):
    keep = {t.id: (t.name, t.sort_order, t.active) for t in db.session.scalars(select(ClueTopic))}
    yield
    db.session.rollback()
    db.session.execute(delete(Clue))  # clues that name an added topic
    db.session.execute(delete(ClueTopic).where(ClueTopic.id.not_in(list(keep))))
    for topic in db.session.scalars(select(ClueTopic)):
        topic.name, topic.sort_order, topic.active = keep[topic.id]
    db.session.commit()


@pytest.fixture
def desk(client, auth, factory, restore_topics):
    office = factory.unit("县督查室", kind=UnitKind.office)
    supervisor = factory.user(Role.supervisor, office)
    db.session.commit()
    console_login(client, auth, supervisor)
    return {"office": office, "supervisor": supervisor}


def csrf(client) -> str:
    with client.session_transaction() as session:
        return session["csrf"]


def post(client, url, **form):
    return client.post(url, data={"csrf_token": csrf(client), **form})


def topic(code) -> ClueTopic | None:
    db.session.expire_all()
    return db.session.scalar(select(ClueTopic).where(ClueTopic.code == code))


def test_the_list_counts_the_offices_clues_per_topic(client, auth, desk, factory):
    for _ in range(2):
        factory.clue(desk["office"], desk["supervisor"], topic_id=topic("housing").id)
    elsewhere = factory.unit("另一督查室", kind=UnitKind.office)
    factory.clue(elsewhere, factory.user(Role.supervisor, elsewhere), topic_id=topic("housing").id)
    db.session.commit()
    page = client.get("/console/clue-topics").get_data(as_text=True)
    row = page.split('id="n-housing"')[1].split("</tr>")[0]
    assert '<td data-label="线索数">2</td>' in row
    assert "城乡建设" in page and "在用" in page
    admin = factory.user(Role.admin, desk["office"])
    db.session.commit()
    console_login(client, auth, admin)
    page = client.get("/console/clue-topics").get_data(as_text=True)
    row = page.split('id="n-housing"')[1].split("</tr>")[0]
    assert '<td data-label="线索数">3</td>' in row  # every office's


def test_add_with_a_made_or_typed_code(client, desk):
    response = post(client, "/console/clue-topics", name="噪声扰民")
    assert response.status_code == 303
    made = db.session.scalar(select(ClueTopic).where(ClueTopic.name == "噪声扰民"))
    assert made.code == "topic_1" and made.active and made.sort_order > 0
    assert post(client, "/console/clue-topics", name="Noise at night").status_code == 303
    assert topic("noise_at_night").name == "Noise at night"
    response = post(client, "/console/clue-topics", name="燃气安全", code="gas", sort_order="5")
    assert response.status_code == 303 and topic("gas").sort_order == 5
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "clue_topic.created").limit(1)
    )


def test_refusals_are_drawn_next_to_the_field_keeping_what_was_typed(client, desk):
    response = post(client, "/console/clue-topics", name="住房保障", code="Bad Code")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "代码须以小写字母开头" in page and 'value="Bad Code"' in page
    response = post(client, "/console/clue-topics", name="住房保障")
    assert response.status_code == 422 and "已有名为“住房保障”的分类" in response.get_data(True)
    response = post(client, "/console/clue-topics", name="新分类", code="housing")
    assert response.status_code == 422 and "代码 housing 已被使用" in response.get_data(True)
    response = post(client, "/console/clue-topics/housing", name="教育", sort_order="3")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "已有名为“教育”的分类" in page
    assert 'id="n-housing" name="name" maxlength="60" required value="教育"' in page
    assert topic("housing").name == "住房保障"
    assert post(client, "/console/clue-topics/housing/active").status_code == 422
    assert post(client, "/console/clue-topics/nope", name="无", sort_order="1").status_code == 404


def test_rename_reorder_deactivate_and_reactivate(client, desk, factory):
    clue = factory.clue(desk["office"], desk["supervisor"], topic_id=topic("wages").id)
    db.session.commit()
    response = post(client, "/console/clue-topics/wages", name="欠薪", sort_order="1")
    assert response.status_code == 303
    assert (topic("wages").name, topic("wages").sort_order) == ("欠薪", 1)
    assert post(client, "/console/clue-topics/wages/active", active="0").status_code == 303
    assert not topic("wages").active
    db.session.refresh(clue)
    assert clue.topic.code == "wages"  # stays on its clue
    page = client.get("/console/clue-topics").get_data(as_text=True)
    assert "已停用" in page and "启用<span" in page
    assert post(client, "/console/clue-topics/wages/active", active="1").status_code == 303
    assert topic("wages").active
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"clue_topic.updated", "clue_topic.deactivated", "clue_topic.reactivated"} <= actions


@pytest.mark.parametrize("role", [Role.admin, Role.responder, Role.leader, Role.inspector])
def test_who_keeps_the_list(client, auth, factory, role, restore_topics):
    user = factory.user(role)
    db.session.commit()
    console_login(client, auth, user)
    allowed = role == Role.admin
    assert client.get("/console/clue-topics").status_code == (200 if allowed else 403)
    response = post(client, "/console/clue-topics", name="新的分类")
    assert response.status_code == (303 if allowed else 403)
    assert (topic("topic_1") is not None) == allowed

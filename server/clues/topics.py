"""The list of clue topics (诉求分类): added, renamed, reordered, deactivated and
reactivated, never deleted (a topic in use stays on its clues; a deactivated one is no
longer offered on forms or accepted by an import). One list for every office, kept by
supervisors and admins; every change is audited."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates
from sqlalchemy import func, select

from server.audit import record_event
from server.clues.access import office_clause
from server.errors import field_error
from server.extensions import db
from server.models import Clue, ClueTopic, Role, User
from server.schemas import BaseSchema

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
TOPICS_MAX = 200


class TopicSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=60))
    code = fields.String(load_default=None, allow_none=True)
    sort_order = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(0, 9999)
    )

    @validates("code")
    def _code(self, value, **kwargs):
        if value and not CODE.match(value):
            raise ValidationError("代码须以小写字母开头,由小写字母、数字和下划线组成(2-40位)")


class RenameSchema(BaseSchema):
    name = fields.String(required=True, validate=validate.Length(min=2, max=60))
    sort_order = fields.Integer(required=True, validate=validate.Range(0, 9999))


def topics_with_counts(user: User) -> list[tuple[ClueTopic, int]]:
    """Each topic with its clues: a supervisor counts the office's own (another office's
    clues are none of its business), an admin every office's."""
    counts = select(Clue.topic_id, func.count().label("n")).group_by(Clue.topic_id)
    if user.role != Role.admin:
        counts = counts.where(office_clause(user))
    counts = counts.subquery()
    rows = db.session.execute(
        select(ClueTopic, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.topic_id == ClueTopic.id)
        .order_by(ClueTopic.active.desc(), ClueTopic.sort_order, ClueTopic.name)
        .limit(TOPICS_MAX)
    )
    return [(topic, n) for topic, n in rows]


def _code_from(name: str) -> str:
    """An ASCII name gives its own slug; a Chinese one the next free topic_<n>."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    taken = set(db.session.scalars(select(ClueTopic.code)))
    if CODE.match(slug) and slug not in taken:
        return slug
    n = 1
    while f"topic_{n}" in taken:
        n += 1
    return f"topic_{n}"


def _unique_name(name: str, exclude=None) -> None:
    query = select(ClueTopic.id).where(func.lower(ClueTopic.name) == name.lower())
    if exclude is not None:
        query = query.where(ClueTopic.id != exclude)
    if db.session.scalar(query):
        raise field_error("name", f"已有名为“{name}”的分类")


def create_topic(data: dict, actor: User) -> ClueTopic:
    name = data["name"].strip()
    _unique_name(name)
    code = data.get("code") or _code_from(name)
    if db.session.scalar(select(ClueTopic.id).where(ClueTopic.code == code)):
        raise field_error("code", f"代码 {code} 已被使用")
    order = data.get("sort_order")
    if order is None:
        order = (db.session.scalar(select(func.max(ClueTopic.sort_order))) or 0) + 10
    topic = ClueTopic(code=code, name=name, sort_order=order, active=True)
    db.session.add(topic)
    db.session.flush()
    record_event("clue_topic.created", "clue_topic", topic.id, actor.id, code=code, name=name)
    return topic


def update_topic(topic: ClueTopic, data: dict, actor: User) -> ClueTopic:
    """Rename and reorder; the code stays (imports and links may use it)."""
    name = data["name"].strip()
    _unique_name(name, exclude=topic.id)
    changes = {}
    if name != topic.name:
        changes["name"] = [topic.name, name]
        topic.name = name
    if data["sort_order"] != topic.sort_order:
        changes["sort_order"] = [topic.sort_order, data["sort_order"]]
        topic.sort_order = data["sort_order"]
    if changes:
        db.session.flush()
        record_event("clue_topic.updated", "clue_topic", topic.id, actor.id, changes=changes)
    return topic


def set_active(topic: ClueTopic, active: bool, actor: User) -> ClueTopic:
    if topic.active != active:
        topic.active = active
        db.session.flush()
        action = "clue_topic.reactivated" if active else "clue_topic.deactivated"
        record_event(action, "clue_topic", topic.id, actor.id, code=topic.code)
    return topic

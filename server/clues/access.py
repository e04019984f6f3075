"""Who may see a clue, and how much of it: the one place that decides it.

- The office that received a clue (its supervisors) sees and works all of it, the
  reporter's contact included. Nobody else ever sees the contact.
- A unit a clue was forwarded to (its responders) sees the forwarding only: what was
  reported, where, the office's note, the deadline and its own answer (`UnitView`). Never
  the clue's status, outcome, plans, findings or other units: a clue the office has also
  made the reason for an unannounced plan looks exactly as before to the unit.
- Everyone else is told the clue does not exist, as for an id never used.
Clues never reach a device (they are not a sync entity)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, false, select

from server.errors import ApiError, not_found
from server.extensions import db
from server.models import Clue, Photo, PhotoParent, Role, User

NOT_FOUND = "线索不存在"


def manages(user: User, clue: Clue) -> bool:
    return user.role == Role.supervisor and clue.office_unit_id == user.unit_id


def answers(user: User, clue: Clue) -> bool:
    return (
        user.role == Role.responder
        and clue.forwarded_unit_id is not None
        and clue.forwarded_unit_id == user.unit_id
    )


def can_see_contact(user: User, clue: Clue) -> bool:
    return manages(user, clue)


def office_clause(user: User):
    """The SQL form of `manages`: the clues of the supervisor's office."""
    if user.role != Role.supervisor:
        return false()
    return Clue.office_unit_id == user.unit_id


def forwarded_clause(user: User):
    """The SQL form of `answers`: the clues forwarded to the responder's unit."""
    if user.role != Role.responder or user.unit_id is None:
        return false()
    return and_(Clue.forwarded_unit_id == user.unit_id, Clue.forwarded_at.is_not(None))


def get_managed_clue(user: User, clue_id: uuid.UUID) -> Clue:
    clue = db.session.scalar(select(Clue).where(Clue.id == clue_id, office_clause(user)))
    if clue is None:
        raise not_found(NOT_FOUND)
    return clue


def get_forwarded_clue(user: User, clue_id: uuid.UUID) -> Clue:
    clue = db.session.scalar(select(Clue).where(Clue.id == clue_id, forwarded_clause(user)))
    if clue is None:
        raise not_found(NOT_FOUND)
    return clue


def clue_photo_visible(user: User, photo: Photo) -> bool:
    """A clue's photo (an attachment): the office's supervisors only, like its contact.
    Never on a device: the photo sync handler leaves clue photos out altogether."""
    if photo.parent_type != PhotoParent.clue or user.role != Role.supervisor:
        return False
    clue = db.session.get(Clue, photo.parent_id)
    return clue is not None and clue.office_unit_id == user.unit_id


def clue_photos_clause(user: User):
    """The SQL form of `clue_photo_visible`."""
    if user.role != Role.supervisor:
        return false()
    return and_(
        Photo.parent_type == PhotoParent.clue,
        Photo.parent_id.in_(select(Clue.id).where(office_clause(user))),
    )


def require_office(user: User) -> None:
    if user.role != Role.supervisor or user.unit_id is None:
        raise ApiError(403, "forbidden", "只有督查室的督查人员可以办理线索")


@dataclass(frozen=True)
class UnitView:
    """All a forwarded-to unit learns of a clue. Built from the forwarding fields only, so
    nothing the office does afterwards (planning, merging, closing) can show through."""

    id: uuid.UUID
    code: str
    received_on: date
    summary: str
    place: str
    topic: str
    forward_note: str
    forwarded_at: datetime
    answer_due: date | None
    answer: str
    answered_at: datetime | None

    @property
    def awaiting_answer(self) -> bool:
        return self.answered_at is None

    @classmethod
    def of(cls, clue: Clue) -> UnitView:
        return cls(
            id=clue.id,
            code=clue.code,
            received_on=clue.received_on,
            summary=clue.summary,
            place=clue.place,
            topic=clue.topic.name if clue.topic else "",
            forward_note=clue.forward_note,
            forwarded_at=clue.forwarded_at,
            answer_due=clue.answer_due,
            answer=clue.answer,
            answered_at=clue.answered_at,
        )

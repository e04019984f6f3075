"""Leaders' instructions (领导批示) on an item or on a finding, and the answer (回复批示).

- A leader writes on an item he can see (access.visible_clause), or on a finding of such
  an item: the findings a leader sees are exactly those of the items he sees. The due date
  is leader_instruction_working_days working days from today (seed 002 四(二)).
- A 批示 shows on the item it names, and a finding's on every item made from the finding.
  Who sees it is who sees such an item: the unit only once its item is issued, so a 批示
  on a draft, or on a finding not yet issued to the unit, never reaches the unit (no
  notification, no ledger mark, nothing on the portal).
- The responsible unit answers it, or the office (督查室, which handles 批示件 for the
  leader); the first answer closes it and the author is told."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, or_, select, union

from server.audit import record_event
from server.errors import ApiError, conflict, field_error, not_found
from server.extensions import db
from server.models import (
    Finding,
    Instruction,
    Rectification,
    RectificationStatus,
    Role,
    User,
    rectification_finding,
    utcnow,
)
from server.rectification.access import manages, responds, visible_clause
from server.rectification.notify import notify, responders_of, supervisors_of
from server.settings import get_setting
from server.timeutil import local_today
from server.workdays.calendar import add_working_days

NOT_FOUND = "批示不存在"
LINK = rectification_finding
OPEN = Instruction.answered_at.is_(None)


def _shown_on(instruction: Instruction):
    """The items a 批示 shows on (before anyone's sight is applied)."""
    if instruction.rectification_id is not None:
        return Rectification.id == instruction.rectification_id
    made_from = select(LINK.c.rectification_id).where(LINK.c.finding_id == instruction.finding_id)
    return Rectification.id.in_(made_from)


def items_showing(user: User, instruction: Instruction) -> list[Rectification]:
    """The items `user` may see that show the 批示 (none: it does not exist for them)."""
    query = select(Rectification).where(_shown_on(instruction), visible_clause(user))
    return list(db.session.scalars(query.order_by(Rectification.code)))


# ---- writing ----


def _due_date(written_on: date) -> date:
    due, _confirmed = add_working_days(
        written_on, int(get_setting("leader_instruction_working_days"))
    )
    return due


def write(
    author: User, text: str, item_id=None, finding_id=None, today: date | None = None
) -> Instruction:
    """A leader's 批示 on an item (item_id) or a finding (finding_id) he can see, written
    `today` (the demo's past days give theirs)."""
    if author.role != Role.leader:
        raise ApiError(403, "forbidden", "只有领导可以作出批示")
    if (item_id is None) == (finding_id is None):
        raise field_error("rectification_id", "请指定批示的整改事项或问题(二选一)")
    instruction = Instruction(
        rectification_id=item_id, finding_id=finding_id, author_id=author.id, text=text
    )
    items = items_showing(author, instruction)
    if not items:
        raise not_found("整改事项不存在" if item_id else "问题不存在")
    instruction.due_date = _due_date(today or local_today())
    db.session.add(instruction)
    db.session.flush()
    record_event(
        "instruction.written",
        "instruction",
        instruction.id,
        author.id,
        rectification_id=str(item_id) if item_id else None,
        finding_id=str(finding_id) if finding_id else None,
        due_date=instruction.due_date.isoformat(),
        text=text,
    )
    _tell_units(instruction, author)
    return instruction


def _tell_units(instruction: Instruction, author: User) -> None:
    """The units of the issued items it shows on, and their offices. A draft's unit is
    not told (nor is anyone else the unit could be)."""
    items = db.session.scalars(
        select(Rectification).where(
            _shown_on(instruction), Rectification.status != RectificationStatus.draft
        )
    )
    occasion = str(instruction.id)
    for item in items:
        title = f"领导批示:{item.code}(请于 {instruction.due_date.isoformat()} 前回复)"
        body = f"{author.display_name}:{instruction.text}"[:200]
        notify(responders_of(item.unit_id), "instruction", item, title, body, occasion)
        notify(supervisors_of(item.office_unit_id), "instruction", item, title, body, occasion)


# ---- answering ----


def answerable(
    user: User, instruction_id: uuid.UUID, through: Rectification | None = None
) -> tuple[Instruction, Rectification]:
    """The 批示 and the item through which `user` answers it (`through`, when the page of
    one item asks): 404 if they see none of its items, 403 if they see one but neither
    respond for it nor manage it."""
    instruction = db.session.get(Instruction, instruction_id)
    items = items_showing(user, instruction) if instruction is not None else []
    if through is not None:
        items = [i for i in items if i.id == through.id]
    if not items:
        raise not_found(NOT_FOUND)
    for item in items:
        if responds(user, item) or manages(user, item):
            return instruction, item
    raise ApiError(403, "forbidden", "只有责任单位或督查室可以回复批示")


def answer(
    user: User, instruction_id: uuid.UUID, text: str, through: Rectification | None = None
) -> Instruction:
    instruction, item = answerable(user, instruction_id, through)
    if instruction.answered_at is not None:
        raise conflict("该批示已回复", "instruction_answered")
    instruction.answer = text
    instruction.answered_at = utcnow()
    instruction.answered_by_id = user.id
    db.session.flush()
    record_event(
        "instruction.answered",
        "instruction",
        instruction.id,
        user.id,
        rectification_id=str(item.id),
        answer=text,
    )
    title = f"批示已回复:{item.code}"
    notify([instruction.author], "instruction_answered", item, title, text[:200])
    return instruction


# ---- reading ----


def on_item_clause(item: Rectification):
    """The 批示 shown on an item: its own, and its findings'."""
    findings = select(LINK.c.finding_id).where(LINK.c.rectification_id == item.id)
    return or_(Instruction.rectification_id == item.id, Instruction.finding_id.in_(findings))


def state(instruction: Instruction, today: date) -> str:
    """open | overdue | answered (glossary INSTRUCTION_STATES)."""
    if instruction.answered_at is not None:
        return "answered"
    return "overdue" if instruction.due_date and instruction.due_date < today else "open"


def view(i: Instruction, today: date, may_answer: bool = False) -> dict:
    """One 批示 as a viewer of its item reads it (InstructionSchema)."""
    return {
        "id": i.id,
        "text": i.text,
        "on_finding": i.finding_id is not None,
        "author": {"id": i.author_id, "name": i.author.display_name},
        "created_at": i.created_at,
        "due_date": i.due_date,
        "state": state(i, today),
        "answer": i.answer,
        "answered_at": i.answered_at,
        "answered_by": (
            {"id": i.answered_by_id, "name": i.answered_by.display_name} if i.answered_by else None
        ),
        "can_answer": may_answer and i.answered_at is None,
    }


def for_item(item: Rectification, user: User, today: date | None = None) -> list[dict]:
    """The item's 批示 for a viewer who sees the item, oldest first."""
    today = today or local_today()
    rows = db.session.scalars(
        select(Instruction).where(on_item_clause(item)).order_by(Instruction.created_at)
    ).all()
    may_answer = responds(user, item) or manages(user, item)
    return [view(i, today, may_answer) for i in rows]


def history_entries(instructions: list[dict]) -> list[dict]:
    """The 批示 as entries of an item's history (办理记录): written, and answered."""
    entries = []
    for i in instructions:
        entries.append(
            {"action": "instruction.written", "at": i["created_at"], "actor": i["author"]["name"]}
        )
        if i["answered_at"]:
            who = i["answered_by"]["name"] if i["answered_by"] else None
            entries.append({"action": "instruction.answered", "at": i["answered_at"], "actor": who})
    return entries


def open_clause():
    """Items with an unanswered 批示, their own or their findings' (the ledger's filter).
    The open 批示 are few: they are read first (ix_instruction_open, the finding index)
    and the items looked up by id, instead of probing every item of a large ledger."""
    own = select(Instruction.rectification_id).where(
        OPEN, Instruction.rectification_id.is_not(None)
    )
    via = (
        select(LINK.c.rectification_id)
        .join(Instruction, Instruction.finding_id == LINK.c.finding_id)
        .where(OPEN)
    )
    return Rectification.id.in_(union(own, via))


def open_marks(item_ids, today: date) -> dict:
    """{item id: "open" | "overdue"} for the items of one ledger page with an unanswered
    批示: two reads bounded by the page's ids (ix_instruction_open, the finding index)."""
    ids = list(item_ids)
    if not ids:
        return {}
    earliest: dict = {}
    own = (
        select(Instruction.rectification_id, func.min(Instruction.due_date))
        .where(Instruction.rectification_id.in_(ids), OPEN)
        .group_by(Instruction.rectification_id)
    )
    via = (
        select(LINK.c.rectification_id, func.min(Instruction.due_date))
        .join(Instruction, Instruction.finding_id == LINK.c.finding_id)
        .where(LINK.c.rectification_id.in_(ids), OPEN)
        .group_by(LINK.c.rectification_id)
    )
    for query in (own, via):
        for item_id, due in db.session.execute(query):
            known = earliest.get(item_id, date.max)
            earliest[item_id] = min(known, due or date.max)
    return {i: ("overdue" if due < today else "open") for i, due in earliest.items()}


def written_by(user: User, limit: int = 50) -> list[dict]:
    """A leader's 批示, unanswered first (earliest due first), then the latest answered,
    each with an item he can open."""
    today = local_today()
    rows = db.session.scalars(
        select(Instruction)
        .where(Instruction.author_id == user.id)
        .order_by(
            Instruction.answered_at.is_not(None),
            Instruction.due_date,
            Instruction.created_at.desc(),
        )
        .limit(limit)
    ).all()
    out = []
    for i in rows:
        items = items_showing(user, i)
        finding = db.session.get(Finding, i.finding_id) if i.finding_id else None
        out.append(
            {
                "id": i.id,
                "text": i.text,
                "state": state(i, today),
                "due_date": i.due_date,
                "created_at": i.created_at,
                "answer": i.answer,
                "answered_at": i.answered_at,
                "item": items[0] if items else None,
                "finding_title": finding.title if finding else None,
            }
        )
    return out

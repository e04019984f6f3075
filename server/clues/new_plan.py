"""A new plan started from a clue (以此线索新建计划): the plan form filled from the clue,
and on saving, the clue made the reason for the new plan's target in the same request.
Nobody is notified: a draft plan is the office's secret, as the clue's place in it."""

from __future__ import annotations

import uuid

from server.clues import operations
from server.clues.access import NOT_FOUND, get_managed_clue
from server.errors import not_found
from server.models import Clue, Plan, User
from server.plans.operations import create_plan

TITLE_MAX = 40  # characters of the summary in the suggested title


def clue_behind(user: User, raw: str | None) -> Clue | None:
    """The office's clue named by the form's clue_id, or None when it names none."""
    if not raw:
        return None
    try:
        clue_id = uuid.UUID(raw)
    except ValueError:
        raise not_found(NOT_FOUND) from None
    return get_managed_clue(user, clue_id)


def plan_values(clue: Clue) -> dict:
    """What the plan form suggests: the clue's site and unit as targets, a title and a
    matter from what was reported (the supervisor edits them before saving)."""
    summary = " ".join(clue.summary.split())
    short = summary if len(summary) <= TITLE_MAX else summary[: TITLE_MAX - 1] + "…"
    return {
        "title": f"核查群众反映问题:{short}",
        "mode": "sibu_liangzhi",  # a clue is checked without notice (四不两直)
        "matter": f"核查线索 {clue.code}:{summary}",
        "site_ids": {str(clue.site_id)} if clue.site_id else set(),
        "unit_ids": {str(clue.unit_id)} if clue.unit_id else set(),
    }


def create_plan_from(clue: Clue, data: dict, actor: User) -> Plan:
    """The plan as the form says, with the clue behind the clue's site when the plan
    targets it, else behind the plan as a whole."""
    plan = create_plan(data, actor)
    site_id = clue.site_id if any(s.id == clue.site_id for s in plan.sites) else None
    operations.link_to_plan(clue, plan.id, site_id, actor)
    return plan

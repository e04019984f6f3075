"""Console plan forms: request.form in the shape of the API's JSON bodies (loaded by the
same schemas), and the choices a plan form and a draw form offer."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import selectinload

from server.console.kit import keep
from server.models import OPEN_FOR_RECHECK, Category, Rectification, User
from server.plans import operations
from server.plans.queries import active_sites, inspectors, leaders, rows, target_units

SCALARS = ("title", "matter", "matter_category", "mode", "kind", "window_start", "window_end")
LISTS = ("team_ids", "site_ids", "unit_ids", "rectification_ids")


def form_data(form) -> dict:
    """request.form in the shape of the JSON body: empty optional fields left out."""
    data = {k: form[k].strip() for k in SCALARS if form.get(k, "").strip()}
    data["leader_id"] = form.get("leader_id") or None
    data.update({k: form.getlist(k) for k in LISTS})
    data["repeat_justification"] = form.get("repeat_justification", "").strip() or None
    if "version" in form:
        data["version"] = form["version"]
    return data


def form_values(form) -> dict:
    values = {k: form.get(k, "") for k in (*SCALARS, "leader_id", "repeat_justification")}
    values.update({k: set(form.getlist(k)) for k in LISTS})
    values["version"] = form.get("version", "")
    return values


def plan_values(plan) -> dict:
    state = operations.plan_state(plan)
    values = {k: state[k] or "" for k in (*SCALARS, "leader_id", "repeat_justification")}
    values.update({k: set(state[k]) for k in LISTS})
    values["version"] = plan.version
    return values


def choices(office_id: uuid.UUID, plan=None) -> dict:
    choices = {
        "categories": rows(Category, Category.active, order=(Category.sort_order, Category.code)),
        "leaders": leaders(),
        "team": rows(
            User, User.active, User.role.in_(operations.TEAM_ROLES), order=(User.display_name,)
        ),
        "sites": active_sites(),
        "units": target_units(),
        "rechecks": rows(
            Rectification,
            Rectification.office_unit_id == office_id,
            Rectification.status.in_(OPEN_FOR_RECHECK),
            order=(Rectification.code,),
            options=[selectinload(Rectification.unit)],
        ),
    }
    if plan is not None:  # what the plan has stays on the form even if no longer offered
        for key, extra in (
            ("leaders", [plan.leader]),
            ("team", plan.team),
            ("sites", plan.sites),
            ("units", plan.target_units),
            ("rechecks", plan.rechecks),
        ):
            choices[key] = keep(choices[key], extra)
    return choices


def draw_candidates() -> dict:
    return {"sites": active_sites(), "units": target_units(), "inspectors": inspectors()}


def draw_data(form, candidates: dict) -> dict:
    """The draw request from the form; a candidate list left as offered (all ticked) is
    left out, which the API reads as 'all active candidates'."""
    data = {
        k: form[k].strip()
        for k in ("pool", "targets", "inspectors", "seed")
        if form.get(k, "").strip()
    }
    pool = data.get("pool")
    lists = (
        ("target_ids", f"candidate_{pool}_ids", candidates.get(f"{pool}s", [])),
        ("inspector_ids", "candidate_inspector_ids", candidates["inspectors"]),
    )
    for key, name, offered in lists:
        ticked = form.getlist(name)
        if set(ticked) != {str(c.id) for c in offered}:
            data[key] = ticked
    return data

"""The clues behind a plan (线索来源), for the office's own plan page: per target site
the clues that led to it, and those behind the plan as a whole (a link naming no site).
Only for those who manage the plan: the team and leaders never see where a target came
from (the reporter may be identifiable from what they reported)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from server.extensions import db
from server.models import Clue, Plan, PlanClue, Site


@dataclass
class PlanSources:
    sites: list[tuple[Site, list[Clue]]] = field(default_factory=list)
    whole: list[Clue] = field(default_factory=list)  # behind the plan as a whole

    @property
    def empty(self) -> bool:
        return not self.sites and not self.whole


def plan_sources(plan: Plan) -> PlanSources:
    links = db.session.scalars(
        select(PlanClue)
        .where(PlanClue.plan_id == plan.id)
        .options(joinedload(PlanClue.clue), joinedload(PlanClue.site))
        .join(Clue, Clue.id == PlanClue.clue_id)
        .order_by(Clue.code)
    ).all()
    found = PlanSources()
    by_site: dict = {}
    for link in links:
        if link.site_id is None:
            found.whole.append(link.clue)
        else:
            by_site.setdefault(link.site_id, (link.site, []))[1].append(link.clue)
    # The plan's own order of its sites, then any site since taken off the plan.
    order = {site.id: n for n, site in enumerate(plan.sites)}
    found.sites = sorted(
        by_site.values(), key=lambda s: (order.get(s[0].id, len(order)), s[0].name)
    )
    return found

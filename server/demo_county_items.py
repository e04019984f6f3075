"""The demo county's items, through the real rectification and triage operations (so
the audit chain, the change log, the notifications and the colours are the real ones):
the triage of a plan's findings (a few rejected or merged), the items made of the rest,
issued to the county's departments and townships with their measures and deadlines, and
each item's life from its issue to today as its fate says: closed on time, closed late,
returned by a 回头看 and closed, overdue (red), behind schedule, waiting for
verification, just issued. Every step is dated to its past day by `at`
(server/demo_county.py); the plans and findings come from server/demo_county_plans.py."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from server.demo_county import Year, _moment, _workday, at
from server.findings import operations as triage
from server.models import Finding, Plan, Rectification, Role, Severity, User
from server.rectification import instructions, operations, verification, workflow
from server.workdays.calendar import add_working_days

MEASURES = {
    "project_quality": "组织返工整改,委托第三方检测,完善质量验收资料",
    "work_safety": "立即消除隐患,开展安全教育,建立隐患排查整改台账",
    "policy_implementation": "完善公示和宣传,逐户回访核实,建立长效机制",
    "benefit_funds": "全面核查资金流向,限期发放到位,追回违规资金",
    "livelihood_services": "补齐服务短板,明确责任人,定期回访群众",
    "environment": "恢复设施运行,加强日常巡查,规范运行台账",
    "work_style": "严肃工作纪律,约谈相关责任人,健全考勤和首问负责制度",
}

# Deadlines in working days.
LONG_WORK = {"project_quality", "environment", "benefit_funds"}
LONG, SHORT = (20, 30, 40, 60), (10, 15, 20)

TRIAGE_REJECT_REASONS = [
    "经核实系正常施工工序,不构成问题",
    "已在此前督查中交办,正在整改中",
    "反映情况与实际不符,已向群众解释",
]


# ---- triage and items ----


def _triage(year: Year, plan: Plan, findings: list[Finding], category_code: str) -> None:
    rng, supervisor = year.rng, year.users["supervisor"]
    day = _workday(plan.window_end + timedelta(days=rng.randrange(2, 5)))
    when = _moment(day, 10, year.now)
    kept = []
    for finding in findings:
        roll = rng.random()
        if roll < 0.08:
            with at(when, finding):
                triage.reject_finding(finding, rng.choice(TRIAGE_REJECT_REASONS), supervisor)
        elif roll < 0.13 and kept and kept[-1].site_id == finding.site_id:
            with at(when, finding):
                triage.merge_finding(finding, kept[-1], supervisor)
        else:
            kept.append(finding)
    for finding in kept:
        _item(year, plan, [finding], category_code, day)


def _item(year, plan, findings, category_code, triaged_on: date) -> None:
    rng, users, today = year.rng, year.users, year.today
    supervisor, leader = users["supervisor"], users["leader"]
    finding = findings[0]
    site = finding.site
    high = finding.severity == Severity.high
    listed = high and rng.random() < 0.45
    # Building work gets longer than a window's staff or a fire exit.
    days = rng.choice(LONG if category_code in LONG_WORK else SHORT)
    days = min(days, 15) if high and category_code not in LONG_WORK else days
    created = _moment(triaged_on, 10.5, year.now)
    with at(created, *findings) as added:
        item = operations.create_item(
            {
                "finding_ids": [f.id for f in findings],
                "unit_id": site.unit_id,
                "problem": f"{finding.title}({site.name})",
                "measures": MEASURES[category_code],
                "requirements": "整改到位后上传整改前后对比照片,申请销号。",
                "lead_official_id": leader.id if listed or rng.random() < 0.4 else None,
                "responsible_person": "分管负责同志",
                "listed": listed,
                "deadline_working_days": days,
            },
            supervisor,
        )
        item.code = _item_code(year, triaged_on.year)
    assert item in added
    year.items.append(item)
    issued_on = _workday(triaged_on + timedelta(days=rng.randrange(0, 3)))
    if issued_on > today:
        return  # still a draft
    issued = _moment(issued_on, 15, year.now)
    with at(issued, item) as added:
        operations.issue_item(item, supervisor)
        item.deadline, item.deadline_confirmed = add_working_days(issued_on, days)
        for row in added:
            if getattr(row, "action", None) == "rectification.issued":
                row.details = {
                    **row.details,
                    "deadline": item.deadline.isoformat(),
                    "deadline_confirmed": item.deadline_confirmed,
                }
    _follow(year, item, issued_on)
    _instruct(year, item, issued_on)


INSTRUCTIONS = (
    "此问题群众反映强烈,请责任单位主要负责同志亲自研究,限期整改到位并报告结果。",
    "请举一反三,对同类问题开展全面排查,建立长效机制。",
)


def _instruct(year: Year, item: Rectification, issued_on: date) -> None:
    """The county leader's 批示 on some 挂牌督办 items he leads, a few days after issue,
    mostly answered by the unit since, some still open. Its own random stream (seeded by
    the item's code), so the rest of the year stays as it was."""
    leader = year.users["leader"]
    if not item.listed or item.lead_official_id != leader.id:
        return
    rng = random.Random(f"instruction:{item.code}")
    written_on = _workday(issued_on + timedelta(days=rng.randrange(1, 5)))
    if rng.random() < 0.4 or written_on > year.today:
        return
    with at(_moment(written_on, 11, year.now), item):
        done = instructions.write(leader, rng.choice(INSTRUCTIONS), item.id, today=written_on)
    answered_on = _workday(written_on + timedelta(days=rng.randrange(3, 25)))
    if rng.random() < 0.75 and answered_on <= year.today:
        answer = "已按领导批示要求召开专题会议研究部署,明确责任人和整改时限,正在逐项落实。"
        with at(_moment(answered_on, 16, year.now), done):
            instructions.answer(_responder(year, item), done.id, answer)


def _item_code(year: Year, calendar_year: int) -> str:
    n = year.item_numbers.get(calendar_year, 0) + 1
    year.item_numbers[calendar_year] = n
    return f"ZG-{calendar_year}-{n:05d}"


def _fate(rng: random.Random, deadline: date, today: date) -> str:
    if deadline < today - timedelta(days=20):
        choices = {
            "on_time": 52,
            "late": 18,
            "returned_once": 14,
            "overdue": 12,
            "returned_twice": 4,
        }
    elif deadline < today:
        choices = {"on_time": 35, "late": 20, "overdue": 35, "returned_once": 10}
    else:
        choices = {
            "working": 50,
            "behind": 15,
            "requested": 15,
            "on_time": 10,
            "returned_twice": 10,
        }
    return rng.choices(list(choices), list(choices.values()))[0]


def _follow(year: Year, item: Rectification, issued_on: date) -> None:
    """The item's life from its issue to today, as its fate says."""
    rng, today = year.rng, year.today
    responder = _responder(year, item)
    supervisor = year.users["supervisor"]
    span = max((item.deadline - issued_on).days, 1)
    fate = _fate(rng, item.deadline, today)

    def day_at(share: float) -> date:
        return _workday(issued_on + timedelta(days=max(1, round(span * share))))

    def when(day: date, hour: float) -> datetime | None:
        return None if day > today else _moment(day, hour, year.now)

    steps: list[tuple[date, str, dict]] = [(day_at(0.05), "acknowledge", {})]
    if fate in ("overdue", "behind"):
        steps += [(day_at(0.3), "progress", {"percent": 20})]
        if fate == "overdue":
            steps += [(day_at(0.6), "progress", {"percent": 40})]
    elif fate == "working":
        for share in (0.3, 0.6, 0.9):
            steps.append((day_at(share), "progress", {"percent": min(90, round(share * 100) + 10)}))
    else:
        steps += [
            (day_at(0.35), "progress", {"percent": 40}),
            (day_at(0.7), "progress", {"percent": 80}),
        ]
        request = (
            day_at(0.7) if fate != "late" else item.deadline + timedelta(days=rng.randrange(4, 20))
        )
        request = _workday(request)
        steps.append((request, "request", {}))
        if fate in ("returned_once", "returned_twice"):
            steps.append((_workday(request + timedelta(days=3)), "field", {"passed": False}))
            again = _workday(request + timedelta(days=10))
            steps += [
                (again, "progress", {"percent": 90}),
                (_workday(again + timedelta(days=2)), "request", {}),
            ]
            if fate == "returned_twice":
                steps.append((_workday(again + timedelta(days=5)), "desk", {"passed": False}))
                steps.append((_workday(again + timedelta(days=8)), "progress", {"percent": 70}))
            else:
                steps.append((_workday(again + timedelta(days=6)), "field", {"passed": True}))
        elif fate == "requested":
            if rng.random() < 0.5:
                steps.append((_workday(request + timedelta(days=1)), "assign", {}))
        else:
            method = "field" if rng.random() < 0.35 else "desk"
            steps.append(
                (_workday(request + timedelta(days=rng.randrange(1, 3))), method, {"passed": True})
            )
    for day, action, args in steps:
        moment = when(day, rng.uniform(9, 17))
        if moment is None:
            break
        _step(year, item, action, args, moment, responder, supervisor)


def _responder(year: Year, item: Rectification) -> User:
    """The unit's liaison: a demo account's, or one of LIAISONS."""
    return next(
        u for u in year.users.values() if u.role == Role.responder and u.unit_id == item.unit_id
    )


def _step(year, item, action, args, moment, responder, supervisor) -> None:
    inspector = year.users[year.rng.choice(("inspector", "inspector2"))]
    with at(moment, item):
        if action == "acknowledge":
            workflow.acknowledge(item, responder)
        elif action == "progress":
            body = (
                "已制定整改方案,明确责任人和时限,正在推进。"
                if args["percent"] < 60
                else "主要整改任务已完成,正在完善资料。"
            )
            workflow.report_progress(item, {"body": body, "percent": args["percent"]}, responder)
        elif action == "request":
            workflow.request_closure(
                item, {"body": "整改任务已全部完成,整改前后对比资料已上传。"}, responder
            )
        elif action == "desk":
            reason = "资料核实无误" if args["passed"] else "整改资料不完整,请补充后重新申请"
            verification.record_desk_verification(
                item, {"passed": args["passed"], "reason": reason}, supervisor
            )
        elif action in ("field", "assign"):
            visit = verification.assign_field_verification(
                item,
                {
                    "inspector_id": inspector.id,
                    "instructions": "回头看:不打招呼,直奔现场核实整改效果。",
                },
                supervisor,
            )
            if action == "field":
                passed = args["passed"]
                site = item.site
                verification.report_field_visit(
                    visit,
                    {
                        "report": "现场核实,整改已到位,群众认可。"
                        if passed
                        else "现场核实,问题仍然存在,整改不到位。",
                        "opinion": "passed" if passed else "failed",
                        "lat": site.lat if site else None,
                        "lon": site.lon if site else None,
                        "accuracy_m": 12.0,
                    },
                    inspector,
                )
                reason = "回头看核实整改到位" if passed else "回头看发现问题反弹,整改不到位"
                verification.decide(item, visit, {"passed": passed, "reason": reason}, supervisor)

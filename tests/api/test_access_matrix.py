"""The authorisation matrix (issue 13): every route of /api/openapi.json and every
/console rule of the app, for every role and for anonymous, against the caller's own
objects and against objects the caller may not see: another office's plan and its draw, a
draft plan, another unit's item, a draft item, an item whose verification visit is over,
another office's finding, photos of another office or unit (finding, progress report,
verification), a verification, extension or report of another item, another user's
notification and tus upload, another office for the figures, and an id never used.
The world (tests/api/access_matrix_world.py) is built once per role.

The table below says, per route, which roles may use it at all; SEEN says once per kind
of object which role may see which object. From the two follows the answer expected of
every request (docs/api.md):
- anonymous: 401 on the API (the envelope), a redirect to the login page on the console;
- a role the route is not for: 403 (on the API with code `forbidden_role`);
- an object the caller may not see, or a sub-object of another parent (a draw of another
  plan, a verification of another item): 404;
- the caller's own objects: the route is reached (not 401/403/404/405/5xx), and for the
  main reads exactly 200, so the matrix cannot pass by refusing everything.
Every answer about a hidden object must also be exactly the answer for an id never used
(status and body), so it confirms nothing. List filters and references in a new record's
body that name a hidden object (`filter`, `ref`, `refs`) are not refused: they must
answer just as the unknown id does (an empty list, the same 422).

Mutations are sent with a minimal body (JSON `{}`; a form with only the CSRF token).
Where a route reads its body before it looks the object up (VALIDATES_FIRST: the JSON API
validates with flask-smorest's `arguments` after the role check, before the view runs)
the minimal body answers 422 whatever the object, which tells nothing; there a second
request with a well-formed body (`body=` in the table) is sent, for hidden objects only,
and must be 404. The caller's own objects get only minimal bodies, after every read and
every refusal has been asked, so the world each check sees is the one that was built.

A route missing from the table (or a table entry no longer routed) fails the test: a new
endpoint cannot slip in without someone saying who may use it."""

from __future__ import annotations

import pytest

from server.extensions import db
from tests.api.access_matrix import (
    ANY,
    UNKNOWN_ID,
    Route,
    api_routes,
    check_role,
    console_routes,
    r,
)
from tests.api.access_matrix_world import ROLES

A, S, L, R, INS = "admin", "supervisor", "leader", "responder", "inspector"
PUBLIC = None
PLAN_EDIT = {"version": 1, "title": "改过的计划标题"}
REASON = {"reason": "经核实不属于问题"}
PROGRESS = {"body": "已开始整改", "percent": 50}
FOLLOW_UP = {  # a follow-up plan re-checking an item (回头看)
    "title": "整改情况回头看",
    "matter": "复查整改是否到位",
    "matter_category": "project_quality",
    "mode": "sibu_liangzhi",
    "kind": "follow_up",
    "window_start": "@day:20",
    "window_end": "@day:30",
    "repeat_justification": "复查整改是否到位",
}
SUMMONS = {
    "unit_id": "@unit_foreign",
    "held_on": "@day:0",
    "person": "王局长",
    "reason": "整改不力",
}
# A list filtered by a plan: for a plan the caller may not see, the same as an unknown plan.
FILTER = "filter:plan"
OFFICE_FILTER = "filter:plan:admin,supervisor"  # the ledger's plan filter: the desk only

# fmt: off
API: dict[tuple[str, str], Route] = {
    ("POST", "/api/auth/login"): r(PUBLIC),
    ("POST", "/api/auth/refresh"): r(ANY, 200, token="refresh"),
    ("POST", "/api/auth/logout"): r(ANY, 204, last=True),
    ("GET", "/api/me"): r(ANY, 200),
    ("POST", "/api/me/password"): r(ANY),  # an empty body: 422, nothing changes
    ("GET", "/api/health"): r(PUBLIC, 200),
    ("GET", "/api/audit/verify"): r({A}, 200),
    ("GET", "/api/settings"): r({A, S}, 200),
    ("PUT", "/api/settings/{key}"): r({A}),
    ("GET", "/api/users"): r({A}, 200),
    ("POST", "/api/users"): r({A}),
    ("PATCH", "/api/users/{user_id}"): r({A}, body={"display_name": "改名"}),
    ("POST", "/api/users/{user_id}/unlock-login"): r({A}, 200),
    ("POST", "/api/users/{user_id}/reset-password"): r({A}, 200),
    ("GET", "/api/plans"): r(ANY, 200),
    ("POST", "/api/plans"): r({S}, body=FOLLOW_UP, rectification_ids="refs:item"),
    ("GET", "/api/plans/figures"): r({A, S}, 200, office_id="query:office"),
    ("GET", "/api/plans/{plan_id}"): r(ANY, 200),
    ("PATCH", "/api/plans/{plan_id}"): r({S}, body=PLAN_EDIT),
    ("POST", "/api/plans/{plan_id}/merge"): r({S}, body={"site_ids": [UNKNOWN_ID]}),
    ("POST", "/api/plans/{plan_id}/status"): r({S}, body={"status": "approved", "version": 1}),
    ("POST", "/api/plans/{plan_id}/draws"): r({S}, body={"pool": "site", "targets": 1}),
    ("GET", "/api/plans/{plan_id}/draws/{draw_id}/check"): r(ANY, 200),
    ("GET", "/api/calendar/add-working-days"): r(ANY),
    ("GET", "/api/calendar/years"): r({A, S}, 200),
    ("PUT", "/api/calendar/years"): r({A}),
    ("POST", "/api/sync/push"): r(ANY),
    ("GET", "/api/sync/pull"): r(ANY, 200),
    ("OPTIONS", "/api/uploads"): r(PUBLIC, 204),
    ("POST", "/api/uploads"): r(ANY, photo_id="tus:authored_photo"),
    ("HEAD", "/api/uploads/{upload_id}"): r(ANY, 200),
    ("PATCH", "/api/uploads/{upload_id}"): r(ANY),
    ("DELETE", "/api/uploads/{upload_id}"): r(ANY),
    ("GET", "/api/photos/{photo_id}"): r(ANY, 200),
    ("GET", "/api/photos/{photo_id}/{variant}"): r(ANY),
    ("GET", "/api/findings/triage"): r({S}, 200, plan_id=FILTER),
    ("POST", "/api/findings/{finding_id}/reject"): r({S}, body=REASON),
    ("POST", "/api/findings/{finding_id}/merge"): r({S}, body={}, into_id="body:finding"),
    ("POST", "/api/findings/{finding_id}/reopen"): r({S}),
    ("GET", "/api/rectifications"): r(ANY, 200, plan_id=OFFICE_FILTER),
    ("POST", "/api/rectifications"):
        r({S}, body={"unit_id": "@unit_home", "problem": "未设置围挡"}, finding_ids="refs:finding"),
    ("GET", "/api/rectifications/colours"): r(ANY, 200, plan_id=OFFICE_FILTER),
    ("GET", "/api/rectifications/three-lists"): r(ANY, 200, plan_id=OFFICE_FILTER),
    ("GET", "/api/rectifications/{item_id}"): r(ANY, 200),
    ("PATCH", "/api/rectifications/{item_id}"): r({S}, body={"version": 1, "problem": "改过"}),
    ("DELETE", "/api/rectifications/{item_id}"): r({S}),
    ("POST", "/api/rectifications/{item_id}/issue"): r({S}),
    ("POST", "/api/rectifications/{item_id}/acknowledge"): r({R}),
    ("POST", "/api/rectifications/{item_id}/progress"): r({R}, body=PROGRESS),
    ("POST", "/api/rectifications/{item_id}/progress/{report_id}/photos"): r({R}, body="photo"),
    ("POST", "/api/rectifications/{item_id}/extensions"):
        r({R}, body={"requested_deadline": "@day:120", "reason": "雨季无法施工,申请延期"}),
    ("POST", "/api/rectifications/{item_id}/extensions/{extension_id}/decision"):
        r({S}, body={"approve": False, "reason": "理由不充分"}),
    ("POST", "/api/rectifications/{item_id}/closure-request"): r({R}, body={"body": "已整改完毕"}),
    ("POST", "/api/rectifications/{item_id}/return"): r({S}, body=REASON),
    ("POST", "/api/rectifications/{item_id}/verifications"):
        r({S}, body={"method": "desk", "passed": False, "reason": "未整改到位"}),
    ("POST", "/api/rectifications/{item_id}/verifications/{verification_id}/decision"):
        r({S}, body={"passed": False, "reason": "未整改到位"}),
    ("DELETE", "/api/rectifications/{item_id}/verifications/{verification_id}"): r({S}),
    ("GET", "/api/rectifications/summons"): r({S, R, A}, 200),
    ("POST", "/api/rectifications/summons"): r({S}, body=SUMMONS, rectification_id="ref:item"),
    ("GET", "/api/instructions"): r({L}, 200),
    ("POST", "/api/instructions"): r({L}, body={"text": "请抓紧整改"}, rectification_id="ref:item"),
    ("POST", "/api/instructions/{instruction_id}/answer"): r({R, S}, body={"answer": "已办理"}),
    ("GET", "/api/notifications"): r(ANY, 200),
    ("POST", "/api/notifications/{notification_id}/read"): r(ANY, 200),
    ("POST", "/api/notifications/read"): r(ANY, 200),
}

ITEM, PLAN = "/console/rectifications/<uuid:item_id>", "/console/plans/<uuid:plan_id>"
UNIT_ITEM = "/console/unit/items/<uuid:item_id>"
USER = "/console/users/<uuid:user_id>"
BULLETIN = "/console/bulletins/<uuid:bulletin_id>"
EXPOSURE = "/console/exposure/<uuid:copy_id>"
VARIANTS = "<any(original, thumbnail, display, evidence, public):variant>"
CONSOLE: dict[tuple[str, str], Route] = {
    ("GET", "/console/static/<path:filename>"): r(PUBLIC, 200),
    ("POST", "/console/session"): r(ANY, 204, login=True),
    ("GET", "/console/"): r(ANY, 200),
    ("POST", "/console/logout"): r(ANY, 302, last=True),
    ("GET", "/console/password"): r(ANY, 200),
    ("POST", "/console/password"): r(ANY),
    ("GET", "/console/users"): r({A}, 200),
    ("GET", "/console/users/new"): r({A}, 200),
    ("POST", "/console/users/new"): r({A}),
    ("GET", USER): r({A}, 200),
    ("POST", USER): r({A}),
    ("POST", f"{USER}/active"): r({A}),
    ("POST", f"{USER}/reset-password"): r({A}),
    ("POST", f"{USER}/unlock"): r({A}),
    ("GET", "/console/evidence"): r({S, A}, 200),
    ("GET", f"/console/photos/<uuid:photo_id>/{VARIANTS}"): r({S, A}),
    ("GET", "/console/exposure"): r({S}, 200),
    ("POST", "/console/exposure"): r({S}),
    ("GET", "/console/exposure/public"): r(ANY, 200),
    ("GET", EXPOSURE): r({S}, 200),
    ("GET", f"{EXPOSURE}/state"): r({S}, 200),
    ("GET", f"{EXPOSURE}/image"): r(ANY, copy_id="path:exposure_image"),
    ("POST", f"{EXPOSURE}/boxes"): r({S}),
    ("POST", f"{EXPOSURE}/boxes/<box_id>/delete"): r({S}),
    ("POST", f"{EXPOSURE}/publish"): r({S}),
    ("POST", f"{EXPOSURE}/withdraw"): r({S}),
    ("GET", "/console/plans"): r(ANY, 200),
    ("GET", "/console/plans/figures"): r({S, A}, 200, office_id="query:office"),
    ("GET", "/console/plans/new"): r({S}, 200),
    ("POST", "/console/plans/new"): r({S}),
    ("GET", f"{PLAN}/edit"): r({S}, 200),
    ("POST", f"{PLAN}/edit"): r({S}),
    ("POST", f"{PLAN}/merge"): r({S}),
    ("GET", PLAN): r(ANY, 200),
    ("POST", f"{PLAN}/status"): r({S}),
    ("GET", f"{PLAN}/draw"): r({S}, 200),
    ("POST", f"{PLAN}/draw"): r({S}),
    ("GET", f"{PLAN}/draws/<uuid:draw_id>/check"): r(ANY, 200),
    ("GET", "/console/triage"): r({S}, 200, plan_id=FILTER),
    ("POST", "/console/findings/<uuid:finding_id>/reject"): r({S}),
    ("POST", "/console/findings/<uuid:finding_id>/merge"): r({S}),
    ("POST", "/console/findings/<uuid:finding_id>/reopen"): r({S}),
    ("GET", "/console/rectifications/new"): r({S}, 200, finding_ids="query:finding"),
    ("POST", "/console/rectifications/new"): r({S}),
    ("GET", f"{ITEM}/edit"): r({S}, 200),
    ("POST", f"{ITEM}/edit"): r({S}),
    ("GET", "/console/calendar/preview"): r({S}),
    ("GET", "/console/rectifications/form.js"): r(PUBLIC, 200),
    ("GET", ITEM): r({S, A}, 200),
    ("POST", f"{ITEM}/issue"): r({S}),
    ("POST", f"{ITEM}/delete"): r({S}),
    ("POST", f"{ITEM}/return"): r({S}),
    ("POST", f"{ITEM}/verifications"): r({S}),
    ("POST", f"{ITEM}/verifications/<uuid:verification_id>/decision"):
        r({S}, body={"passed": "false", "reason": "未整改到位"}),
    ("POST", f"{ITEM}/verifications/<uuid:verification_id>/cancel"): r({S}),
    ("POST", f"{ITEM}/extensions/<uuid:extension_id>/decision"):
        r({S}, body={"approve": "false", "reason": "理由不充分"}),
    ("GET", "/console/ledger"): r({S, L, A}, 200, plan_id=OFFICE_FILTER),
    ("GET", "/console/ledger/export.csv"): r({S, L, A}, 200, plan_id=OFFICE_FILTER),
    ("GET", "/console/three-lists"): r({S, L, A}, 200, plan_id=OFFICE_FILTER),
    ("GET", "/console/three-lists/<any(problems, measures, responsibility):name>.csv"):
        r({S, L, A}, 200, plan_id=OFFICE_FILTER),
    # XLSX exports: whoever reads the ledger's rows, a unit its own (导出任务: the requester's).
    ("GET", "/console/ledger/export.xlsx"): r({S, L, A, R}, 200, plan_id=OFFICE_FILTER),
    ("GET", "/console/three-lists/export.xlsx"): r({S, L, A, R}, 200, plan_id=OFFICE_FILTER),
    ("POST", "/console/exports"): r({S, L, A, R}),
    ("GET", "/console/exports"): r({S, L, A, R}, 200),
    ("GET", "/console/exports/<uuid:export_id>.xlsx"): r({S, L, A, R}, 200),
    ("GET", "/console/summons"): r({S, R, A}, 200),
    ("POST", "/console/summons/new"): r({S}),
    ("GET", "/console/notifications"): r(ANY, 200),
    ("POST", "/console/notifications/read"): r(ANY),
    ("GET", "/console/unit/items"): r({R}, 200),
    ("GET", UNIT_ITEM): r({R, L}, 200),
    ("POST", f"{UNIT_ITEM}/acknowledge"): r({R}),
    ("POST", f"{UNIT_ITEM}/progress"): r({R}),
    ("POST", f"{UNIT_ITEM}/extension"): r({R}),
    ("POST", f"{UNIT_ITEM}/closure"): r({R}),
    ("GET", "/console/unit/photos/<uuid:photo_id>/<any(thumbnail, display, public):variant>"):
        r({R, L}, photo_id="path:portal_photo"),
    ("POST", f"{UNIT_ITEM}/instructions"): r({L}),
    ("POST", f"{UNIT_ITEM}/instructions/<uuid:instruction_id>/answer"): r({R}),
    ("POST", f"{ITEM}/instructions/<uuid:instruction_id>/answer"): r({S}),
    ("GET", "/console/unit/summons"): r({R}, 200),
    ("GET", "/console/points"): r({S, L, A}, 200),
    ("GET", "/console/points/new"): r({S}, 200),
    ("POST", "/console/points/new"): r({S}),
    ("GET", "/console/points/units/<uuid:unit_id>"): r({S, L, A}, 200, unit_id="path:points_unit"),
    ("GET", "/console/points/<uuid:entry_id>"): r({S}, 200),
    ("POST", "/console/points/<uuid:entry_id>/decision"): r({S}),
    ("GET", "/console/unit/points"): r({R}, 200),
    ("POST", "/console/unit/points/<uuid:entry_id>/objection"): r({R}),
    # The unit's forwarded clues (server/clues/unit_pages.py): the UnitView only.
    ("GET", "/console/unit/clues"): r({R}, 200),
    ("GET", "/console/unit/clues/<uuid:clue_id>"): r({R}, 200, clue_id="path:clue_forwarded"),
    ("POST", "/console/unit/clues/<uuid:clue_id>/answer"): r({R}, clue_id="path:clue_forwarded"),
    ("GET", "/console/unit/portal.js"): r(PUBLIC, 200),
    # The office's clue console (server/clues/pages.py, triage_pages.py).
    ("GET", "/console/clues"): r({S}, 200),
    ("GET", "/console/clues/clue.js"): r(PUBLIC, 200),
    ("GET", "/console/clues/new"): r({S}, 200),
    ("POST", "/console/clues/new"): r({S}),
    ("GET", "/console/clues/<uuid:clue_id>"): r({S}, 200),
    ("GET", "/console/clues/<uuid:clue_id>/edit"): r({S}, 200),
    ("POST", "/console/clues/<uuid:clue_id>/edit"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/attachments"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/merge"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/reject"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/forward"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/plan"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/plan/<uuid:plan_id>/remove"): r({S}),
    ("POST", "/console/clues/<uuid:clue_id>/close"): r({S}),
    # Clues: the 12345 import and the replies (an office's supervisors), the topic list.
    ("GET", "/console/clues/import"): r({S}, 200),
    ("POST", "/console/clues/import"): r({S}),
    ("POST", "/console/clues/import/confirm"): r({S}),
    ("GET", "/console/clues/import/template.csv"): r({S}, 200),
    ("GET", "/console/clues/import/template.xlsx"): r({S}, 200),
    ("GET", "/console/clues/replies"): r({S}, 200),
    ("GET", "/console/clues/replies.csv"): r({S}, 200),
    ("GET", "/console/clues/replies.xlsx"): r({S}, 200),
    ("GET", "/console/clue-topics"): r({S, A}, 200),
    ("POST", "/console/clue-topics"): r({S, A}),
    ("POST", "/console/clue-topics/<code>"): r({S, A}),
    ("POST", "/console/clue-topics/<code>/active"): r({S, A}),
    ("GET", "/console/calendar"): r({A, S}, 200),
    ("GET", "/console/dashboard"): r({S, L, R, A}, 200),
    ("GET", "/console/dashboard/items"): r({R}, 200),
    ("GET", "/console/map"): r({S, L, R, A}, 200, plan_id=FILTER),
    ("GET", "/console/map/features"): r({S, L, R, A}, 200, plan_id=FILTER),
    ("GET", "/console/map/basemap.pmtiles"): r({S, L, R, A}, 404),  # no base map placed
    ("POST", "/console/calendar"): r({A}),
    ("GET", "/console/settings"): r({A, S}, 200),
    ("POST", "/console/settings/<string:key>"): r({A}),  # no value: 422, nothing changes
    # Monthly bulletins (server/bulletins/): the office edits, the units read 月公示.
    ("GET", "/console/bulletins"): r({S, L, R, A}, 200),
    ("GET", "/console/bulletins/new"): r({S}, 200),
    ("POST", "/console/bulletins/new"): r({S}),
    ("GET", BULLETIN): r({S, L, R, A}, 200),
    ("GET", f"{BULLETIN}/bulletin.pdf"): r({S, L, R, A}, 200),
    ("GET", f"{BULLETIN}/bulletin.xlsx"): r({S, L, R, A}, 200),
    ("GET", f"{BULLETIN}/photos/<uuid:photo_id>"):
        r({S, L, R, A}, photo_id="path:bulletin_photo"),
    ("POST", BULLETIN): r({S}),
    ("POST", f"{BULLETIN}/typical"): r({S}),
    ("POST", f"{BULLETIN}/typical/<int:index>/delete"): r({S}),
    ("POST", f"{BULLETIN}/review"): r({S}),
    ("POST", f"{BULLETIN}/reopen"): r({S}),
    ("POST", f"{BULLETIN}/publish"): r({S}),
    ("POST", f"{BULLETIN}/correct"): r({S}),
    # Units, regions and sites: the admin's (server/organisation/).
    ("GET", "/console/units"): r({A}, 200),
    ("GET", "/console/units/new"): r({A}, 200),
    ("POST", "/console/units/new"): r({A}),
    ("GET", "/console/units/<uuid:unit_id>"): r({A}, 200, unit_id="path:org_unit"),
    ("POST", "/console/units/<uuid:unit_id>"): r({A}, unit_id="path:org_unit"),
    ("POST", "/console/units/<uuid:unit_id>/active"): r({A}, unit_id="path:org_unit"),
    ("GET", "/console/regions"): r({A}, 200),
    ("GET", "/console/regions/new"): r({A}, 200),
    ("POST", "/console/regions/new"): r({A}),
    ("GET", "/console/regions/<region_code>"): r({A}, 200, region_code="path:region"),
    ("POST", "/console/regions/<region_code>"): r({A}, region_code="path:region"),
    ("GET", "/console/sites"): r({A}, 200),
    ("GET", "/console/sites/new"): r({A}, 200),
    ("POST", "/console/sites/new"): r({A}),
    ("GET", "/console/sites/<uuid:site_id>"): r({A}, 200, site_id="path:site"),
    ("POST", "/console/sites/<uuid:site_id>"): r({A}, site_id="path:site"),
    ("POST", "/console/sites/<uuid:site_id>/active"): r({A}, site_id="path:site"),
    **{
        key: route
        for kind in ("units", "regions", "sites")
        for key, route in (
            (("GET", f"/console/{kind}/import"), r({A}, 200)),
            (("POST", f"/console/{kind}/import"), r({A})),
            (("POST", f"/console/{kind}/import/confirm"), r({A})),
            (("GET", f"/console/{kind}/import/template.csv"), r({A}, 200)),
        )
    },
}

# Who may see which object, per kind of object (an id never used: nobody, for every kind).
# The access rules: server/plans/access.py, server/rectification/access.py,
# server/evidence/queries.py (photos), server/findings/operations.py (the office's findings).
SEEN: dict[str, dict[str, set]] = {
    "plan": {"plan_home": {A, S, L, INS}, "plan_home_draft": {A, S},
             "plan_foreign": {A}, "plan_foreign_draft": {A}},
    "draw": {"draw_home": {A, S, L, INS}, "draw_foreign": {A}},
    "finding": {"finding_home": {S}, "finding_foreign": set()},  # triage: the office
    # The inspector sees an item while sent back to verify it (item_home), not after.
    "item": {"item_home": ANY, "item_home_draft": {A, S}, "item_home_done": {A, S, L, R},
             "item_foreign": {A}, "item_foreign_draft": {A}, "item_foreign_done": {A}},
    "verification": {"verification_home": {A, S}, "verification_foreign": {A}},
    "extension": {"extension_home": {A, S, R}, "extension_foreign": {A}},
    "report": {"report_home": {R}, "report_foreign": set()},  # its author adds photos
    # A leader's 批示: whoever sees its item (answered by the unit or the office).
    "instruction": {"instruction_home": ANY, "instruction_foreign": {A}},
    # A finding's photo, a progress report's, a verification's (回头看: never the unit's).
    "photo": {"photo_home": {A, S, INS}, "photo_report_home": {A, S, R, L},
              "photo_verification_home": {A, S, INS}, "photo_foreign": {A},
              "photo_report_foreign": {A}, "photo_verification_foreign": {A}},
    # The unit portal serves progress-report photos only: the unit's, and the leader's items'.
    "portal_photo": {"photo_home": set(), "photo_report_home": {R, L},
                     "photo_verification_home": set(), "photo_foreign": set(),
                     "photo_report_foreign": set(), "photo_verification_foreign": set()},
    # A tus upload is started by the photo's author only.
    "authored_photo": {"photo_home": {INS}, "photo_report_home": {R},
                       "photo_verification_home": {INS}, "photo_foreign": set(),
                       "photo_report_foreign": set(), "photo_verification_foreign": set()},
    # Exposure copies (server/exposure/access.py): the office's supervisors edit them; a
    # published one is seen by the office's units (its inspectors, its government's
    # leaders, the units it issued items to), never another office's.
    "exposure": {"exposure_home": {S}, "exposure_home_published": {S},
                 "exposure_foreign": set(), "exposure_foreign_published": set()},
    "exposure_image": {"exposure_home": {S}, "exposure_home_published": ANY,
                       "exposure_foreign": set(), "exposure_foreign_published": {A}},
    "notification": {"notification_own": ANY, "notification_other": set()},
    "upload": {"upload_own": ANY, "upload_other": set()},
    "export": {"export_own": ANY, "export_other": set()},
    "user": {"user_home": {A}},
    "office": {"office_home": {A, S}, "office_foreign": {A}},
    # Units, sites and region names: every one the admin's to keep, nobody else's.
    "org_unit": {"unit_home": {A}, "unit_foreign": {A}},
    "site": {"site_home": {A}, "site_foreign": {A}},
    "region": {"region_home": {A}},
    # Negative-list entries: the office's, the unit's own; a unit's year page: any unit.
    "entry": {"entry_home": {A, S, R}, "entry_foreign": {A}},
    "points_unit": {"unit_home": {A, S, L}, "unit_foreign": {A, S, L}},
    # A draft bulletin is its office's alone; the published one: the office, the admin,
    # the leader of the office's items, the unit the office supervises (月公示).
    "bulletin": {"bulletin_home": {A, S, L, R}, "bulletin_home_draft": {S},
                 "bulletin_foreign": {A}},
    # Clues (server/clues/access.py): the office's supervisors; the unit a clue was
    # forwarded to sees its forwarding only ("clue_forwarded", the unit's pages).
    "clue": {"clue_home": {S}, "clue_home_office": {S}, "clue_foreign": set(),
             "clue_foreign_office": set()},
    "clue_forwarded": {"clue_home": {R}, "clue_home_office": set(), "clue_foreign": set(),
                       "clue_foreign_office": set()},
    # A bulletin serves only the photos of its typical problems (none in the world).
    "bulletin_photo": {"photo_home": set(), "photo_report_home": set(),
                       "photo_verification_home": set(), "photo_foreign": set(),
                       "photo_report_foreign": set(), "photo_verification_foreign": set()},
}
# fmt: on

# Where a minimal body answers 422 before the object is looked up (found by the matrix:
# the set must stay exactly what the requests show).
VALIDATES_FIRST: set[tuple[str, str]] = {
    ("PATCH", "/api/users/{user_id}"),
    ("PATCH", "/api/plans/{plan_id}"),
    ("POST", "/api/plans/{plan_id}/status"),
    ("POST", "/api/plans/{plan_id}/merge"),
    ("POST", "/api/plans/{plan_id}/draws"),
    ("POST", "/api/findings/{finding_id}/reject"),
    ("POST", "/api/findings/{finding_id}/merge"),
    ("PATCH", "/api/rectifications/{item_id}"),
    ("POST", "/api/rectifications/{item_id}/progress"),
    ("POST", "/api/rectifications/{item_id}/progress/{report_id}/photos"),
    ("POST", "/api/rectifications/{item_id}/extensions"),
    ("POST", "/api/rectifications/{item_id}/extensions/{extension_id}/decision"),
    ("POST", "/api/rectifications/{item_id}/closure-request"),
    ("POST", "/api/rectifications/{item_id}/return"),
    ("POST", "/api/rectifications/{item_id}/verifications"),
    ("POST", "/api/rectifications/{item_id}/verifications/{verification_id}/decision"),
    ("POST", "/api/instructions/{instruction_id}/answer"),
    # The console looks the item up first, then reads the form, then the verification or
    # extension: a foreign item is a 404 at once, a foreign sub-object after a valid form.
    ("POST", f"{ITEM}/verifications/<uuid:verification_id>/decision"),
    ("POST", f"{ITEM}/extensions/<uuid:extension_id>/decision"),
}

PERSONAS = [*ROLES, "anonymous"]


def test_every_route_is_in_the_table(app, client):
    assert set(api_routes(client)) == set(API), "API routes and the matrix table differ"
    assert set(console_routes(app)) == set(CONSOLE), "console rules and the table differ"


@pytest.mark.parametrize("role", PERSONAS)
def test_access_matrix(app, client, factory, auth, role):
    db.session.commit()
    report = check_role(app, client, factory, auth, role, API, CONSOLE, SEEN, VALIDATES_FIRST)
    if report.failures:
        pytest.fail(report.describe(), pytrace=False)

"""/console/settings: every rule setting with its value in force beside the documented
default, grouped by topic; an admin changes one (or restores its default) through the
same operation as PUT /api/settings/<key>, so the change is range-checked and audited
alike. Supervisors read the rules; the admin also sees the deployment configuration,
read-only and masked, with the variable that sets it."""

from __future__ import annotations

from flask import current_app, flash, g, redirect, request, url_for

from server.console.kit import page, pages_blueprint, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.models import Role
from server.system import deployment, operations

bp = pages_blueprint("system_pages", __name__)

# Topics of the rule settings, in the order shown; a setting not named here is shown
# under 其他 (a new setting is never left off the page).
TOPICS: list[tuple[str, tuple[str, ...]]] = [
    ("整改期限", (
        "feedback_working_days", "arrangement_working_days", "conveyance_working_days",
        "leader_instruction_working_days", "due_soon_working_days",
    )),
    ("台账颜色与调度提醒", (
        "progress_cadence_days", "red_return_count", "behind_schedule_margin",
        "red_follow_days", "yellow_follow_days",
    )),
    ("督查计划与年度指标", (
        "open_filing_lead_days", "matter_repeat_period_days", "draw_recent_days",
        "draw_max_candidates", "unannounced_share_goal", "routine_special_share_goal",
        "random_share_goal",
    )),
    ("现场核验与照片", (
        "geofence_radius_m", "low_accuracy_m", "exif_mismatch_m", "clock_skew_s",
        "max_speed_kmh", "photo_max_megapixels", "max_photos_per_report",
    )),
]  # fmt: skip
ORIGINS = {"database": "管理员调整", "environment": "部署环境变量"}  # else the default


@bp.app_template_filter("setting_number")
def setting_number(value, setting: dict | None = None) -> str:
    """10.0 as 10; a share (a fraction up to 1) with its percentage: 0.6 as 0.6(60%)."""
    text = str(int(value)) if float(value).is_integer() else str(value)
    if setting and not setting["integer"] and setting["maximum"] <= 1:
        text += f"({value * 100:g}%)"
    return text


def grouped(settings: list[dict]) -> list[tuple[str, list[dict]]]:
    by_key = {s["key"]: s for s in settings}
    named = {key for _, keys in TOPICS for key in keys}
    groups = [(title, [by_key[k] for k in keys if k in by_key]) for title, keys in TOPICS]
    groups.append(("其他", [s for s in settings if s["key"] not in named]))
    return [(title, rows) for title, rows in groups if rows]


def _page(failed=None, status: int = 200):
    config = current_app.config
    admin = g.user.role == Role.admin
    settings = operations.list_settings()
    labels = {s["key"]: s["label"] for s in settings}
    return page(
        "system/settings.html",
        status,
        groups=grouped(settings),
        failed_label=labels.get(failed.form) if failed else "",
        origins=ORIGINS,
        failed=failed,
        configuration=deployment.configuration(config) if admin else [],
        secrets_file=deployment.secrets_file(config) if admin else "",
    )


@bp.route("/settings")
@console_login_required(Role.admin, Role.supervisor)
def settings():
    return _page()


@bp.route("/settings/<string:key>", methods=["POST"])
@console_login_required(Role.admin)
def change_setting(key):
    reset = request.form.get("action") == "reset"
    raw = request.form.get("value", "").strip()
    values = {"value": raw}
    try:
        if not reset and not raw:
            raise ApiError(422, "validation_error", "请填写新值")
        operations.change_setting(key, None if reset else raw, g.user)
    except ApiError as error:
        failed = refusal(error, form=key, values=values)
        failed.errors.setdefault("value", []).append(failed.message)  # next to the field
        return _page(failed, failed.status)
    row = next(s for s in operations.list_settings() if s["key"] == key)
    if not reset:
        flash(f"{row['label']}:已调整为 {row['value']}")
    elif row["origin"] == "default":
        flash(f"{row['label']}:已恢复默认值 {row['value']}")
    else:  # the deployment's environment variable is in force again
        flash(f"{row['label']}:已取消调整,现行值 {row['value']}(部署环境变量)")
    return redirect(url_for("system_pages.settings", _anchor=f"s-{key}"), 303)

"""Every policy number, read in one place, each with a documented default.

An admin may override a rule in the database (`setting_override`); a deployment may
override it with the environment variable ZHICHA_RULE_<KEY>. The database wins, then the
environment, then the default below. docs/settings.md is generated from this list
(`flask settings-doc`) and a test keeps it in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from server.errors import ApiError


@dataclass(frozen=True)
class Setting:
    key: str
    default: int | float
    label: str  # Chinese, shown to admins
    doc: str  # English, for the docs table
    source: str = ""  # the policy document behind the number, if any
    minimum: float = 0
    maximum: float = 1_000_000


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting(
            "geofence_radius_m",
            200,
            "点位默认电子围栏半径(米)",
            "Default geofence radius of a new site, metres.",
            minimum=10,
            maximum=50_000,
        ),
        Setting(
            "import_max_bytes",
            2_000_000,
            "单位/点位导入文件大小上限(字节)",
            "Largest CSV or XLSX file an admin may upload to import units, regions or sites.",
            minimum=1_000,
            maximum=50_000_000,
        ),
        Setting(
            "import_max_rows",
            5_000,
            "单位/点位导入行数上限",
            "Most data rows one import file may hold (the header not counted).",
            minimum=1,
            maximum=100_000,
        ),
        Setting(
            "import_keep_minutes",
            30,
            "导入文件待确认保留时间(分钟)",
            "How long an uploaded import file waits for its confirmation before it is discarded.",
            minimum=1,
            maximum=1_440,
        ),
        Setting(
            "export_inline_max_rows",
            5_000,
            "直接下载的导出行数上限(超过则转为导出任务)",
            "An XLSX export of more rows than this runs as a background job (导出任务) "
            "instead of downloading at once.",
            minimum=0,
            maximum=1_000_000,
        ),
        Setting(
            "export_max_rows",
            200_000,
            "单个导出文件行数上限",
            "Most rows one XLSX export holds (a sheet takes about a million).",
            minimum=1,
            maximum=1_000_000,
        ),
        Setting(
            "export_keep_hours",
            24,
            "导出文件保留时间(小时)",
            "How long a finished export's file stays downloadable before it is deleted.",
            minimum=1,
            maximum=720,
        ),
        Setting(
            "feedback_working_days",
            5,
            "反馈时限(工作日)",
            "Working days for a unit's feedback on an issued item.",
            "seed 001 (五)",
            minimum=1,
            maximum=365,
        ),
        Setting(
            "arrangement_working_days",
            3,
            "收到后研究部署时限(工作日)",
            "Working days to make arrangements after receipt.",
            "seed 001 (六)",
            minimum=1,
            maximum=365,
        ),
        Setting(
            "conveyance_working_days",
            2,
            "传达部署时限(工作日)",
            "Working days to convey a task.",
            "seed 000 二(三)",
            minimum=1,
            maximum=365,
        ),
        Setting(
            "leader_instruction_working_days",
            15,
            "领导批示件办理时限(工作日)",
            "Working days to answer a leader-instructed item.",
            "seed 002 四(二)",
            minimum=1,
            maximum=365,
        ),
        Setting(
            "open_filing_lead_days",
            10,
            "公开督查提前报备天数",
            "Days before its window an announced inspection must be filed.",
            "seed 001 (十七)",
            minimum=0,
            maximum=365,
        ),
        Setting(
            "unannounced_share_goal",
            0.6,
            "暗访占比目标",
            "Yearly share of inspections that are unannounced.",
            "seed 000 四(三)",
            maximum=1,
        ),
        Setting(
            "routine_special_share_goal",
            0.4,
            "常态化专项暗访占比目标",
            "Yearly share that are routine special unannounced ones.",
            "seed 000 四(三)",
            maximum=1,
        ),
        Setting(
            "matter_repeat_period_days",
            180,
            "同一事项重复督查间隔(天)",
            "Within this many days of another plan of the office on the same matter and "
            "target unit, a plan is refused unless merged into it or justified.",
            "seed 001 (十七)",
            minimum=1,
            maximum=1095,
        ),
        Setting(
            "draw_recent_days",
            90,
            "双随机排除近期已督查对象(天)",
            "A draw leaves out targets of the office's plans whose window ended within this "
            "many days.",
            minimum=0,
            maximum=1095,
        ),
        Setting(
            "draw_max_candidates",
            5000,
            "双随机候选数量上限",
            "Largest pool of targets or inspectors one draw accepts.",
            minimum=10,
            maximum=100_000,
        ),
        Setting(
            "photo_max_megapixels",
            50,
            "照片像素上限(百万像素)",
            "Largest photo accepted for decoding, megapixels (checked before decoding).",
            minimum=1,
            maximum=200,
        ),
        Setting(
            "max_photos_per_report",
            9,
            "每次报送最多照片数(张)",
            "Most photos one progress report or closure request of a unit may carry.",
            minimum=1,
            maximum=50,
        ),
        Setting(
            "low_accuracy_m",
            100,
            "定位精度下限(米)",
            "Device location accuracy worse than this flags low_accuracy.",
            minimum=1,
            maximum=100_000,
        ),
        Setting(
            "exif_mismatch_m",
            500,
            "EXIF 与设备位置偏差上限(米)",
            "EXIF and device locations farther apart than this flag exif_location_mismatch.",
            minimum=1,
            maximum=1_000_000,
        ),
        Setting(
            "clock_skew_s",
            600,
            "设备时钟偏差上限(秒)",
            "Device clock off from the server's by more than this flags clock_skew.",
            minimum=1,
            maximum=86_400,
        ),
        Setting(
            "max_speed_kmh",
            150,
            "相邻两次拍摄的最大合理速度(公里/小时)",
            "Faster than this between consecutive captures of one inspector flags "
            "impossible_speed.",
            minimum=1,
            maximum=2000,
        ),
        Setting(
            "random_share_goal",
            0.5,
            "随机抽查占比目标",
            "Yearly share of field research by random draw or unannounced visit.",
            "seed 001 (四)",
            maximum=1,
        ),
        Setting(
            "progress_cadence_days",
            30,
            "整改进展报送周期(天)",
            "An open item with no progress report for longer than this (from issue or the "
            "last report) is red. An item may set its own cadence.",
            "seed 000, 二(四)",
            minimum=1,
            maximum=366,
        ),
        Setting(
            "red_return_count",
            2,
            "退回次数达到此数即为红色",
            "An item returned (verification failed or closure refused) this many times is red.",
            "seed 000, 二(四)",
            minimum=1,
            maximum=100,
        ),
        Setting(
            "behind_schedule_margin",
            0.3,
            "进度滞后容差",
            "Red when the share of the deadline already elapsed exceeds the reported progress "
            "by more than this (0.3 = 30 percentage points).",
            "seed 000, 二(四)",
            maximum=1,
        ),
        Setting(
            "red_follow_days",
            7,
            "红色事项调度周期(天)",
            "Red items are followed up (reminder to the unit, escalation to the lead "
            "official) once in each period of this many days.",
            "seed 000, 二(四)",
            minimum=1,
            maximum=366,
        ),
        Setting(
            "yellow_follow_days",
            30,
            "黄色事项调度周期(天)",
            "Yellow items are followed up once in each period of this many days.",
            "seed 000, 二(四)",
            minimum=1,
            maximum=366,
        ),
        Setting(
            "due_soon_working_days",
            3,
            "临期提醒(截止前工作日数)",
            "A due-soon reminder goes out this many working days before an item's deadline.",
            minimum=1,
            maximum=60,
        ),
        Setting(
            "password_min_length",
            8,
            "密码最短长度(字符)",
            "Fewest characters of a password set by its user, an admin or the command line.",
            minimum=6,
            maximum=64,
        ),
        Setting(
            "password_letters_and_digits",
            1,
            "密码须同时包含字母和数字(1 是,0 否)",
            "1: a new password must contain both a Latin letter and a digit; 0: no such rule.",
            maximum=1,
        ),
        Setting(
            "points_overdue",
            2,
            "负面清单:事项超期扣分(每项每月)",
            "Points deducted from a unit for an issued item past its deadline and not yet "
            "submitted for closure, once per item and calendar month (Beijing time) in which "
            "the daily points job finds it overdue. 0 turns the rule off.",
            "seed 000 五(一)",
            maximum=100,
        ),
        Setting(
            "points_returned",
            1,
            "负面清单:复查未通过被退回扣分(每次)",
            "Points deducted for each verification (desk or 回头看) that failed and returned "
            "the item to the unit, dated the day of the decision. 0 turns the rule off.",
            "seed 000 五(一)",
            maximum=100,
        ),
        Setting(
            "points_summons",
            3,
            "负面清单:被约谈扣分(每次)",
            "Points deducted for each summons (约谈) of the unit's head, dated the day it "
            "was held. 0 turns the rule off.",
            "seed 000 五(一)、五(四)",
            maximum=100,
        ),
        Setting(
            "points_red_days",
            30,
            "负面清单:红色持续天数超过此数即扣分",
            "An open item red for more than this many days (from the first day it is red "
            "with its current facts) costs points_red_long.",
            "seed 000 二(四)",
            minimum=1,
            maximum=366,
        ),
        Setting(
            "points_red_long",
            1,
            "负面清单:长期红色事项扣分(每项每月)",
            "Points deducted for an item red for more than points_red_days, once per item "
            "and calendar month in which the daily points job finds it so. 0 turns it off.",
            "seed 000 二(四)、五(一)",
            maximum=100,
        ),
        Setting(
            "points_manual_max",
            20,
            "负面清单:督查室单次手工扣分上限",
            "The most points a supervisor may deduct with one manual entry.",
            minimum=1,
            maximum=100,
        ),
        Setting(
            "ranking_weight_on_time",
            0.6,
            "排位:按期销号率权重",
            "Weight of the on-time rate (closed on time ÷ closed) in a unit's ranking score; "
            "the two rate weights are divided by their sum (docs/bulletins.md).",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_weight_closure",
            0.4,
            "排位:销号率权重",
            "Weight of the closure rate (closed ÷ items) in a unit's ranking score.",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_overdue_penalty",
            5.0,
            "排位:每件超期事项扣分",
            "Score points taken off a unit's ranking score per overdue item.",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_returned_penalty",
            3.0,
            "排位:每次复查退回扣分",
            "Score points taken off per return after a failed 回头看 (the items' return counts).",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_points_weight",
            1.0,
            "排位:负面清单积分折算系数",
            "Score points taken off per negative-list point the unit lost in the year.",
            "seed 000, 五(一)",
            maximum=100,
        ),
        Setting(
            "ranking_red_list_score",
            85,
            "红榜最低得分",
            "A unit is on the red list (红榜) with at least this score and no overdue item.",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_black_list_score",
            60,
            "黑榜得分线(低于)",
            "A unit scoring below this is on the black list (黑榜).",
            "seed 003",
            maximum=100,
        ),
        Setting(
            "ranking_list_size",
            3,
            "红榜、黑榜各列单位数上限",
            "Most units named on the red list and on the black list of a bulletin.",
            "seed 003",
            minimum=1,
            maximum=50,
        ),
        Setting(
            "exposure_min_box_px",
            8,
            "曝光副本遮挡区域最小边长(像素)",
            "Smallest width and height of a blur box a supervisor adds to an exposure copy.",
            minimum=1,
            maximum=200,
        ),
        Setting(
            "exposure_blur_blocks",
            10,
            "曝光副本遮挡马赛克块数(越小越模糊)",
            "Pixel blocks across the shorter side of a blurred box (then Gaussian-blurred); "
            "fewer is stronger. At most 16, so that no face stays recognisable.",
            minimum=2,
            maximum=16,
        ),
    ]
}

# Settings the ledger colours depend on: changing one recomputes every open item.
COLOUR_SETTINGS = frozenset({"progress_cadence_days", "red_return_count", "behind_schedule_margin"})


def setting_default(key: str):
    return _lookup(key).default


_CACHE = "setting_overrides"


def get_setting(key: str):
    """The value in force now: database override, environment, then default."""
    setting = _lookup(key)
    overrides = _overrides()
    if key in overrides:
        return overrides[key]
    raw = os.environ.get(env_name(key))
    if raw:
        return coerce(setting, raw)
    return setting.default


def env_name(key: str) -> str:
    """The environment variable a deployment may set a rule with."""
    return f"ZHICHA_RULE_{key.upper()}"


def origin(key: str) -> str:
    """Where the value in force comes from: "database", "environment" or "default"."""
    if key in _overrides():
        return "database"
    return "environment" if os.environ.get(env_name(key)) else "default"


def coerce(setting: Setting, raw) -> int | float:
    """Convert and range-check a value for a setting; ApiError 422 when it does not fit."""
    kind = type(setting.default)
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = kind(raw) if kind is float else int(str(raw), 10)
    except (TypeError, ValueError):
        raise ApiError(
            422, "invalid_setting", f"{setting.label}须为{'数字' if kind is float else '整数'}"
        ) from None
    if not setting.minimum <= value <= setting.maximum:
        raise ApiError(
            422,
            "invalid_setting",
            f"{setting.label}须在 {setting.minimum} 与 {setting.maximum} 之间",
        )
    return value


def _lookup(key: str) -> Setting:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(f"unknown setting {key!r}: add it to server/settings.py") from None


def _overrides() -> dict:
    """The database overrides, read once per transaction (a photo job or a push reads
    several settings; a new transaction sees changes made meanwhile)."""
    from server.extensions import db
    from server.models import SettingOverride

    session = db.session()
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] is session.get_transaction():
        return cached[1]
    rows = session.execute(db.select(SettingOverride.key, SettingOverride.value)).all()
    values = {k: v for k, v in rows if k in SETTINGS}
    session.info[_CACHE] = (session.get_transaction(), values)
    return values


def forget_cached_overrides() -> None:
    from server.extensions import db

    db.session().info.pop(_CACHE, None)


def settings_markdown() -> str:
    lines = [
        "| key | default | meaning | source | override |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS.values():
        lines.append(
            f"| `{s.key}` | {s.default} | {s.label} — {s.doc} | {s.source or '—'} "
            f"| `{env_name(s.key)}` |"
        )
    return "\n".join(lines) + "\n"

"""The catalogue of rule settings (each policy number with its documented default), part
one: sites, imports and exports, deadlines, plans and draws, photos and locations, the
ledger's colours, passwords. Part two (paperwork: negative list, ranking, exposure) is
server/settings_paperwork.py; server/settings.py reads both."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    key: str
    default: int | float
    label: str  # Chinese, shown to admins
    doc: str  # English, for the docs table
    source: str = ""  # the policy document behind the number, if any
    minimum: float = 0
    maximum: float = 1_000_000


RULES: list[Setting] = [
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
        "导入文件大小上限(字节;单位、点位、12345工单)",
        "Largest CSV or XLSX file that may be uploaded to import units, regions, sites or "
        "12345 work orders (clues).",
        minimum=1_000,
        maximum=50_000_000,
    ),
    Setting(
        "import_max_rows",
        5_000,
        "导入文件行数上限(单位、点位、12345工单)",
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
        "A draw leaves out targets of the office's plans whose window ended within this many days.",
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
        "Faster than this between consecutive captures of one inspector flags impossible_speed.",
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
]

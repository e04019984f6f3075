"""The one glossary of Chinese labels shown to people (statuses, colours, kinds, actions).

Each vocabulary maps the stored value (an enum's `.value`, or the string code kept in the
database or sent by the API) to its label. The console pages read it as the template
global `glossary`, the server's own messages import it, and the field app imports the same
data from GET /glossary.js (server/web.py): nothing else keeps a copy. Wording follows
DOMAIN.md and the seed documents where they name a thing.

Keys are plain strings, so a StrEnum member looks its label up directly
(`RECTIFICATION_STATUSES[item.status]`). Every enum of server/models has its vocabulary
in ENUMS; tests/unit/test_glossary.py fails when a member has no label.
"""

from __future__ import annotations

# ---- people and units ----

ROLES = {
    "inspector": "督查人员",
    "supervisor": "督查室",
    "responder": "责任单位联络员",
    "leader": "牵头领导",
    "admin": "系统管理员",
}

UNIT_KINDS = {
    "government": "人民政府",
    "office": "督查机构",
    "department": "县直部门",
    "township": "乡镇/街道",
    "village": "村/社区",
    "enterprise": "企业/项目单位",
}

# ---- inspection plans (督查计划) ----

PLAN_MODES = {
    "sanbu_sanzhi": "三不三直",
    "sibu_liangzhi": "四不两直",
    "open": "公开督查",
}

PLAN_KINDS = {
    "leader_led": "领导带队暗访",
    "cross_region": "异地交叉暗访",
    "follow_up": "“回头看”暗访",
    "routine_special": "常态化专项暗访",
    "ad_hoc": "临时督查",
}

PLAN_STATUSES = {
    "draft": "草稿",
    "approved": "已批准",
    "active": "实施中",
    "finished": "已结束",
    "findings_issued": "已交办",
}

# What a 双随机 draw picks targets from.
DRAW_POOLS = {"site": "点位", "unit": "单位"}

# ---- what inspectors record in the field ----

# The kinds of record a person sees named (the field app's outbox and lists; a photo's
# parent).
RECORDS = {
    "visit": "到场签到",
    "finding": "发现问题",
    "interview": "走访记录",
    "photo": "照片",
    "progress_report": "整改进展",
    "verification": "回头看报告",
    "clue": "线索",
}

SEVERITIES = {"low": "一般", "medium": "较重", "high": "严重"}

TRIAGE_STATUSES = {
    "pending": "待分办",
    "itemized": "已转整改",
    "merged": "已合并",
    "rejected": "已驳回",
}

INTERVIEWEE_KINDS = {
    "beneficiary": "政策受益对象",
    "resident": "群众",
    "staff": "工作人员",
    "enterprise": "企业",
    "other": "其他",
}

LOCATION_SOURCES = {
    "geolocation": "设备定位",
    "exif": "照片EXIF",
    "manual": "手动标注",
    "none": "无定位",
}

# A photo's content as the server holds it (content_error says why when invalid/failed).
CONTENT_STATUSES = {
    "pending": "内容待上传",
    "processing": "处理中",
    "stored": "已保存",
    "invalid": "内容无效",
    "failed": "处理失败",
}

# The field-truth checks (server/evidence/checks.py FLAGS).
PHOTO_FLAGS = {
    "outside_geofence": "超出点位范围",
    "low_accuracy": "定位精度不足",
    "exif_location_mismatch": "照片EXIF位置与设备位置不符",
    "outside_plan_window": "不在计划时间内",
    "clock_skew": "设备时钟偏差过大",
    "impossible_speed": "移动速度不可能",
    "from_gallery": "非现场拍摄(来自相册)",
    "duplicate_content": "照片重复使用",
}

# Why a photo's content is refused (ImageRefused.code; the message becomes content_error).
PHOTO_REFUSALS = {
    "unsupported_format": "文件不是受支持的图片格式(JPEG/PNG/WebP/HEIC)",
    "too_many_pixels": "图片像素过多,超过上限,请降低拍摄分辨率后重新上传",
    "decompression_bomb": "图片声明的尺寸与文件大小严重不符(疑似“解压炸弹”),已拒收",
    "corrupt": "图片文件已损坏,无法解码",
    "empty": "文件为空(0 字节)",
    "timeout": "图片处理超时,已中止",
    "too_much_memory": "图片处理所需内存超出上限,已中止",
    "worker_failed": "图片处理进程意外退出,请稍后重试或联系管理员",
}

# What a device's change does to a record (a sync mutation's `op`).
MUTATION_OPS = {"create": "新建", "update": "修改", "delete": "删除"}

# The fields of synced records, as the field app names them in a conflict or a refusal.
RECORD_FIELDS = {
    "title": "标题",
    "description": "描述",
    "category": "类别",
    "severity": "严重程度",
    "unit_id": "建议责任单位",
    "plan_id": "督查计划",
    "site_id": "点位",
    "visit_id": "签到",
    "note": "备注",
    "summary": "走访内容",
    "interviewee_kind": "走访对象",
    "arrived_at": "签到时间",
    "observed_at": "发现时间",
    "captured_at": "拍摄时间",
    "lat": "纬度",
    "lon": "经度",
    "accuracy_m": "定位精度",
    "sha256": "SHA-256",
    "size_bytes": "文件大小",
    "mime_type": "文件类型",
    "parent_id": "所属记录",
    "report": "复查情况",
    "opinion": "复查意见",
}

# ---- rectification items (整改事项) ----

RECTIFICATION_STATUSES = {
    "draft": "待交办",
    "issued": "已交办",
    "acknowledged": "已签收",
    "in_progress": "整改中",
    "closure_requested": "申请销号",
    "closed": "已销号",
}

# The ledger colours (seed 000, 二(四)); server/rectification/colour.py computes them.
COLOURS = {"red": "红色", "yellow": "黄色", "green": "绿色"}

# Why an item is red (colour.red_reasons).
RED_REASONS = {
    "returned": "多次退回",
    "overdue": "已超期",
    "no_progress": "未按期报送进展",
    "behind_schedule": "进度滞后",
}

# 挂牌督办 (listed for supervision), keyed as the ledger's filter sends it.
LISTED = {"true": "挂牌督办", "false": "未挂牌"}

EXTENSION_STATUSES = {"pending": "待审批", "approved": "已同意", "refused": "未同意"}

VERIFICATION_METHODS = {"desk": "书面核查", "field": "实地复查(回头看)"}

VERIFICATION_STATUSES = {
    "assigned": "待复查",
    "reported": "已报告",
    "passed": "复查通过",
    "failed": "复查未通过",
    "cancelled": "已撤销",
}

# The inspector's suggestion after a 回头看 (Verification.opinion); the office decides.
VERIFICATION_OPINIONS = {"passed": "整改到位", "failed": "未整改到位"}

NOTIFICATION_KINDS = {
    "issued": "交办",
    "due_soon": "即将到期",
    "overdue": "超期",
    "follow_red": "红色调度",
    "follow_yellow": "黄色调度",
    "escalation": "红色事项督办",
    "summons": "约谈",
    "extension_requested": "延期申请",
    "extension_decided": "延期审批",
    "closure_requested": "申请销号",
    "returned": "退回",
    "closed": "销号",
    "instruction": "领导批示",
    "instruction_answered": "批示已回复",
    "points": "负面清单扣分",
    "points_objection": "积分异议",
    "points_decided": "积分异议处理结果",
}

# A leader's 批示 (server/rectification/instructions.py): unanswered, past its due date,
# answered.
INSTRUCTION_STATES = {"open": "待回复", "overdue": "已逾期", "answered": "已回复"}

# Audit events shown to people in an item's history (办理记录). The unit reads only
# server/rectification/queries.UNIT_EVENTS of them.
AUDIT_ACTIONS = {
    "rectification.created": "创建草稿",
    "rectification.edited": "修改",
    "rectification.issued": "交办",
    "rectification.acknowledged": "签收",
    "rectification.progress_reported": "报送整改进展",
    "rectification.extension_requested": "申请延期",
    "rectification.extension_decided": "审批延期",
    "rectification.closure_requested": "申请销号",
    "rectification.returned": "退回",
    "rectification.closed": "销号",
    "rectification.deadline_recounted": "重新计算时限",
    "verification.assigned": "安排实地复查",
    "verification.cancelled": "撤销复查",
    "verification.reported": "复查人员提交报告",
    "verification.decided": "作出复查结论",
    "instruction.written": "领导批示",
    "instruction.answered": "回复批示",
    "bulletin.created": "创建通报草稿",
    "bulletin.edited": "修改通报",
    "bulletin.reviewed": "审核通报",
    "bulletin.reopened": "退回通报草稿",
    "bulletin.published": "发布通报",
}

# ---- monthly bulletins (月公示、月通报、月排位) ----

BULLETIN_STATUSES = {
    "draft": "草稿",
    "reviewed": "已审核",
    "published": "已发布",
}

# 红黄黑榜 (docs/bulletins.md defines who is on which).
RANKING_LISTS = {
    "red": "红榜",
    "yellow": "黄榜",
    "black": "黑榜",
}

# ---- the negative list and points (负面清单 / 积分, server/points) ----

# What a deduction was made for: the rules of server/points/rules.py, or a supervisor.
POINTS_RULES = {
    "overdue": "事项超期",
    "returned": "复查未通过被退回",
    "summons": "被约谈",
    "red_long": "长期红色",
    "manual": "督查室扣分",
}

OBJECTION_STATUSES = {
    "pending": "异议待处理",
    "upheld": "异议成立(已撤销)",
    "rejected": "异议不成立",
}

# ---- exposure copies (曝光台) ----

EXPOSURE_STATUSES = {"draft": "草稿", "published": "已发布", "withdrawn": "已撤回"}
RENDER_STATES = {"queued": "排队中", "running": "处理中", "done": "已生成", "failed": "生成失败"}
BLUR_BOX_KINDS = {"face": "自动识别:人脸", "plate": "自动识别:车牌", "manual": "手动添加"}

# ---- XLSX exports run as jobs (导出任务) ----

EXPORT_STATUSES = {
    "queued": "排队中",
    "running": "生成中",
    "done": "已完成",
    "failed": "生成失败",
    "expired": "已过期删除",
}

# ---- clues from the public (线索) ----

CLUE_SOURCES = {
    "hotline": "12345热线工单",
    "letter": "来信",
    "visit": "来访",
    "online": "网上留言",
    "media": "媒体反映",
    "referral": "上级转办",
    "own_lead": "自行掌握",
}

CLUE_STATUSES = {
    "received": "待研判",
    "forwarded": "已转办待答复",
    "answered": "单位已答复",
    "planned": "已纳入暗访",
    "merged": "已合并",
    "rejected": "不予采用",
    "closed": "已办结",
}

CLUE_OUTCOMES = {
    "rectified": "属实,已整改",
    "not_verified": "经核查不属实",
    "forwarded": "已转责任单位办理",
    "rejected": "不予受理",
}

# ---- the working-day calendar ----

# Where a year's holiday schedule comes from (server/workdays).
CALENDAR_SOURCES = {
    "imported": "已导入",
    "package": "内置(chinese-calendar)",
    "none": "未导入(仅按周末计算,期限标注“待确认”)",
}

# ---- all of it ----

# Every vocabulary above, under its name in lower case, in the order written here.
GLOSSARY: dict[str, dict[str, str]] = {
    name.lower(): labels for name, labels in list(globals().items()) if name.isupper()
}

# The vocabulary of each enum in server/models (by class name: the models import nothing
# from here, nor this from them).
ENUMS = {
    "Role": "roles",
    "UnitKind": "unit_kinds",
    "PlanMode": "plan_modes",
    "PlanKind": "plan_kinds",
    "PlanStatus": "plan_statuses",
    "DrawPool": "draw_pools",
    "PhotoParent": "records",
    "Severity": "severities",
    "TriageStatus": "triage_statuses",
    "IntervieweeKind": "interviewee_kinds",
    "LocationSource": "location_sources",
    "ContentStatus": "content_statuses",
    "RectificationStatus": "rectification_statuses",
    "ExtensionStatus": "extension_statuses",
    "VerificationMethod": "verification_methods",
    "VerificationStatus": "verification_statuses",
    "ObjectionStatus": "objection_statuses",
    "BulletinStatus": "bulletin_statuses",
    "ExposureStatus": "exposure_statuses",
    "RenderState": "render_states",
    "ExportStatus": "export_statuses",
    "ClueSource": "clue_sources",
    "ClueStatus": "clue_statuses",
    "ClueOutcome": "clue_outcomes",
}

"""The 12345 platform's work-order export as the clue import reads it: its columns (with
the header names platforms commonly use for them), the channel words mapped to a clue's
source, the date forms Chinese spreadsheets write, and the templates offered for download
(server/clues/imports.py reads the rows; docs/clues.md documents the format)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta

from server.glossary import CLUE_SOURCES
from server.models import ClueSource


def normal(text: str) -> str:
    text = text.strip().lower().replace("(", "(").replace(")", ")")
    return "".join(text.split()).lstrip("*")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("source_ref", "工单编号", True, "GD20260301000123", ("工单号", "编号", "受理编号")),
    Column(
        "received",
        "受理时间",
        True,
        "2026-03-01 09:30",
        ("受理日期", "来电时间", "登记时间", "创建时间", "派单时间"),
    ),
    Column(
        "summary",
        "诉求内容",
        True,
        "反映龙山镇幸福小区门口道路塌陷,多日无人修复",
        ("内容", "工单内容", "来电内容", "问题描述", "诉求描述"),
    ),
    Column("place", "事发地址", False, "龙里县龙山镇幸福小区", ("地址", "事发地点", "诉求地址")),
    Column(
        "region",
        "所属乡镇",
        False,
        "龙山镇",
        ("所属区域", "区域", "乡镇", "所属乡镇(街道)", "乡镇(街道)", "区划代码"),
    ),
    Column(
        "unit", "承办单位", False, "龙里县住房和城乡建设局", ("涉及单位", "责任单位", "办理单位")
    ),
    Column("topic", "诉求分类", False, "城乡建设", ("分类", "问题分类", "诉求类型", "工单分类")),
    Column("reporter_name", "来电人", False, "张**", ("诉求人", "来电人姓名", "反映人", "姓名")),
    Column("reporter_contact", "联系电话", False, "139****0001", ("电话", "来电号码", "联系方式")),
    Column("lon", "经度", False, "106.9768"),
    Column("lat", "纬度", False, "26.4532"),
    Column("channel", "渠道", False, "12345热线", ("来源", "诉求渠道", "来源渠道", "受理渠道")),
)
# The schema's field names, as the columns a row's message is shown under.
FIELD_COLUMNS = {
    "source_ref": "工单编号", "received_on": "受理时间", "summary": "诉求内容",
    "place": "事发地址", "region_code": "所属乡镇", "unit_id": "承办单位",
    "topic_id": "诉求分类", "reporter_name": "来电人", "reporter_contact": "联系电话",
    "lat": "纬度", "lon": "经度", "source": "渠道",
}  # fmt: skip
# Channel words of the platform's exports, by the source they mean (the glossary's own
# labels are accepted too).
CHANNELS = {
    ClueSource.hotline: ("12345", "12345热线", "热线", "热线电话", "电话", "来电", "市民热线"),
    ClueSource.online: (
        "网上留言",
        "网络",
        "互联网",
        "网站",
        "微信",
        "app",
        "小程序",
        "短信",
        "邮件",
    ),
    ClueSource.letter: ("来信", "信件", "书信"),
    ClueSource.visit: ("来访", "走访", "现场"),
    ClueSource.media: ("媒体", "媒体反映", "新闻", "舆情", "曝光"),
    ClueSource.referral: ("上级转办", "转办", "交办", "督办"),
}
SOURCE_BY_WORD = {normal(w): s for s, words in CHANNELS.items() for w in words}
SOURCE_BY_WORD.update({normal(label): ClueSource(s) for s, label in CLUE_SOURCES.items()})
EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[ T]+(\d{1,2})\s*[:时](\d{1,2})\s*分?(?:\s*[:]?\s*(\d{1,2})\s*秒?)?)?"
)


def template_csv() -> bytes:
    lines = [",".join(c.label for c in COLUMNS), ",".join(c.example for c in COLUMNS)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def template_xlsx() -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet("工单")
    bold = book.add_format({"bold": True, "bg_color": "#E8EEF5", "border": 1})
    for col, column in enumerate(COLUMNS):
        sheet.write_string(0, col, column.label, bold)
        sheet.write_string(1, col, column.example)
        sheet.set_column(col, col, 40 if column.key == "summary" else 16)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def parse_day(text: str) -> date | None:
    """A date or date-time as the platforms write it (2026-03-01, 2026/3/1 9:30,
    2026年3月1日, 20260301, ISO with a T) or an Excel day number; the day is kept."""
    text = text.strip()
    if re.fullmatch(r"\d{8}", text):
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    elif re.fullmatch(r"\d{5}(\.\d+)?", text):  # an Excel date cell read as a number
        return EXCEL_EPOCH + timedelta(days=int(float(text)))
    match = _DATE.match(text)
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None

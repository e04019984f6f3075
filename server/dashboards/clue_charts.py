"""The clue figures (server/clues/figures.py) as the dashboard's chart specifications:
by source, topic, township and month, each a table with its ECharts drawing. The two
shares are drawn by the template as a table of their own."""

from __future__ import annotations

from server import glossary


def clue_charts(figures: dict) -> list[dict]:
    from server.dashboards.pages import chart, plain  # the page module imports this one

    def one(id_: str, title: str, kind: str, head: str, rows: list, note: str = "") -> dict:
        names = [name for name, _ in rows]
        series = [plain("线索数", [n for _, n in rows])]
        return chart(id_, title, kind, head, names, series, note=note)

    sources = [(glossary.CLUE_SOURCES[s], n) for s, n in figures["sources"]]
    return [
        one("clue_sources", "线索按来源", "bar", "来源", sources),
        one("clue_topics", "线索按分类", "bar", "分类", figures["topics"]),
        one(
            "clue_townships",
            "线索按乡镇",
            "bar",
            "乡镇",
            figures["townships"],
            note="县级区划代码或未填地点的线索计入“县直/未指明”。",
        ),  # fmt: skip
        one("clue_months", "每月受理线索", "line", "月份", figures["months"]),
    ]

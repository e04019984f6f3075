"""The clue figures (server/clues/figures.py) as the dashboard's chart specifications:
by source, topic, township and month, each a table with its ECharts drawing. The two
shares are drawn by the template as a table of their own. Each count opens the register
filtered to exactly its clues, where the register can say which."""

from __future__ import annotations

from server import glossary


def clue_charts(figures: dict) -> list[dict]:
    from server.dashboards.pages import chart, series  # the page module imports this one

    def one(id_, title, kind, head, name, labels=None, note="") -> dict:
        rows, links = figures[name], figures["links"][name]
        cells = [{"count": n, "filters": f} for (_, n), f in zip(rows, links, strict=True)]
        names = [labels[k] if labels else k for k, _ in rows]
        return chart(id_, title, kind, head, names, [series("线索数", cells, "clues")], note=note)

    return [
        one("clue_sources", "线索按来源", "bar", "来源", "sources", glossary.CLUE_SOURCES),
        one("clue_topics", "线索按分类", "bar", "分类", "topics"),
        one(
            "clue_townships",
            "线索按乡镇",
            "bar",
            "乡镇",
            "townships",
            note="县级区划代码或未填地点的线索计入“县直/未指明”。",
        ),  # fmt: skip
        one("clue_months", "每月受理线索", "line", "月份", "months"),
    ]

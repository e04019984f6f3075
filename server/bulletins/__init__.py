"""Monthly bulletins (月公示、月通报、月排位, issue 16): the office's bulletin per month with
its figures, the ranking of the responsible units and 红黄黑榜, typical problems with
photos; draft -> reviewed (figures frozen) -> published (the units read it), as PDF and
XLSX. docs/bulletins.md."""

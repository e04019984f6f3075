"""Region codes (区划代码): the 6-digit county code of GB/T 2260, then 3 digits for a
township (乡镇/街道) and 3 more for a village or community, as in the statistics bureau's
division codes (统计用区划代码). Units and sites carry the code of the level they belong
to: a county department its county's, a township government and the sites in a township
that township's."""

from __future__ import annotations

import re

LENGTHS = (6, 9, 12)  # county, township, village
COUNTY_DIGITS = 6
PATTERN = re.compile(r"^\d{6}(\d{3}){0,2}$")
# The CHECK constraint of unit.region_code and site.region_code.
CHECK = "length(region_code) IN (6, 9, 12)"
ERROR = "区划代码应为6位(县)、9位(乡镇)或12位(村/社区)数字"


def is_region_code(code: str) -> bool:
    return bool(PATTERN.match(code or ""))


def county(code: str) -> str:
    """The county a code lies in: what "another region" means for cross-region
    inspections (异地交叉暗访 come from another county)."""
    return (code or "")[:COUNTY_DIGITS]

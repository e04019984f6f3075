"""The negative list and points (负面清单 / 积分): deductions made by rules (rules.py, a
daily job) or by supervisors, the unit's objections, year totals and the figures the
monthly ranking reads (queries.points_by_unit, queries.year_totals). docs/points.md."""

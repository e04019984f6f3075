"""Dashboards: the desk's figures as charts and tables, each number a link to the records
behind it (issue 14)."""

"""The house rule (docs/architecture.md): a domain uses another only through its public
modules (its operations, queries and access rules) or through signals; never through
another domain's pages, API, schemas, sync handler or helpers."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parents[2] / "server"
# accounts and auth are one domain in two packages (users; login and tokens).
DOMAINS = {
    "plans": "plans",
    "visits": "visits",
    "findings": "findings",
    "rectification": "rectification",
    "evidence": "evidence",
    "workdays": "workdays",
    "accounts": "accounts",
    "auth": "accounts",
    "system": "system",
    "dashboards": "dashboards",
    "maps": "maps",
    "organisation": "organisation",
}
PUBLIC = {"operations", "queries", "access"}
# Public by name, each a domain's face to the others: the route guard every door uses;
# the working-day arithmetic (the calendar's operations); the photos another domain takes
# in (a unit's progress report) and the field-truth checks a check-in goes through as a
# photo does (evidence's).
ALSO_PUBLIC = {"auth.guards", "workdays.calendar", "evidence.intake", "evidence.checks"}


def imports_of(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "server" or len(parts) < 2:
                continue
            if len(parts) == 2:  # from server.<pkg> import <module>
                for alias in node.names:
                    yield parts[1], alias.name, node.lineno
            else:
                yield parts[1], parts[2], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "server" and len(parts) >= 3:
                    yield parts[1], parts[2], node.lineno


def test_domains_use_each_other_only_through_public_modules():
    breaches = []
    for path in sorted(SERVER.glob("*/**/*.py")):
        own = DOMAINS.get(path.relative_to(SERVER).parts[0])
        if own is None:
            continue
        for package, module, line in imports_of(path):
            other = DOMAINS.get(package)
            if other is None or other == own:
                continue
            if module not in PUBLIC and f"{package}.{module}" not in ALSO_PUBLIC:
                breaches.append(f"{path.relative_to(SERVER)}:{line} uses {package}.{module}")
    assert breaches == []


def test_the_rule_sees_a_breach(tmp_path):
    # The checker itself: an import of another domain's internals is found.
    sample = tmp_path / "sample.py"
    sample.write_text("from server.rectification.views import detail\n", encoding="utf-8")
    assert list(imports_of(sample)) == [("rectification", "views", 1)]

"""Fuzzing the JSON API with schemathesis, in-process over WSGI: for each role, every
operation of /api/openapi.json gets generated requests, valid per the document and
invalid ones (schemathesis' positive and negative modes), with the world's real ids mixed
into path parameters so requests reach past 404. Every answer must be no 5xx and conform
to the document (status code, content type, body schema, documented headers).
Deterministic by default (derandomized); ZHICHA_FUZZ_SEED picks another sequence.

A small budget here (make test); a longer run: see docs/api.md ("Fuzzing")."""

from __future__ import annotations

import os
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from server.extensions import db
from server.models import Role

EXAMPLES = int(os.environ.get("ZHICHA_FUZZ_EXAMPLES", "6"))  # per operation, mode and role
SEED = os.environ.get("ZHICHA_FUZZ_SEED")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Logging out revokes the token the rest of the run uses.
SKIPPED = {("POST", "/api/auth/logout")}
ROLES = [Role.inspector, Role.supervisor, Role.responder, Role.leader, Role.admin]


def _known_ids(rw) -> dict[str, list[str]]:
    """Real ids for path parameters, by parameter name."""
    item = rw.issued()
    return {
        "plan_id": [str(rw.plan.id)],
        "item_id": [item["id"]],
        "finding_id": [str(f.id) for f in rw.findings],
        "user_id": [str(rw.responder_a.id), str(rw.inspector.id)],
    }


def _user_for(rw, role):
    return {
        Role.inspector: rw.inspector,
        Role.supervisor: rw.supervisor,
        Role.responder: rw.responder_a,
        Role.leader: rw.leader,
        Role.admin: None,
    }[role] or rw.user(Role.admin)


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_fuzz_api(app, rw, role):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 10**6  # logins are fuzzed too
    known = _known_ids(rw)
    headers = rw.h(_user_for(rw, role))
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if (result.ok().method.upper(), result.ok().path) not in SKIPPED
    ]
    assert len(operations) > 50
    failures: dict[str, str] = {}
    statuses: Counter = Counter()
    for operation in operations:
        for mode in GenerationMode:
            error = _fuzz(operation, mode, headers, known, statuses)
            if error:
                failures[f"{mode.value} {operation.method.upper()} {operation.path}"] = error
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
    # The token worked and requests got past validation: not everything was refused.
    assert sum(n for status, n in statuses.items() if status < 300) > 20, statuses
    assert statuses[401] < sum(statuses.values()) / 2, statuses


def _fuzz(operation, mode, headers, known, statuses: Counter) -> str | None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case, data):
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    if SEED is not None:
        run = seed(int(SEED))(run)
    try:
        run()
    except Unsatisfiable:
        return None  # nothing to make invalid (an operation without parameters or body)
    except Exception as error:  # one operation's failure must not hide the others'
        db.session.rollback()
        return str(error)[:3000]
    return None

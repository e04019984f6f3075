"""The engine of the authorisation matrix (tests/api/test_access_matrix.py): it reads the
routes from the app, fills their object parameters from the world
(tests/api/access_matrix_world.py), sends every request for one role, and compares each
answer with what the table says it must be."""

from __future__ import annotations

import base64
import io
import itertools
import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from server.timeutil import local_today
from tests.api.access_matrix_world import ROLES, UNKNOWN, build_world
from tests.conftest import PHOTOS

ANY = frozenset(ROLES)
UNKNOWN_ID = str(uuid.UUID(int=0x5EC2E7))
READS = ("GET", "HEAD", "OPTIONS")
# Path parameters that name an object, by kind; the other path parameters get a fixed value.
PATH_KINDS = {
    "plan_id": "plan",
    "draw_id": "draw",
    "finding_id": "finding",
    "item_id": "item",
    "verification_id": "verification",
    "extension_id": "extension",
    "report_id": "report",
    "photo_id": "photo",
    "notification_id": "notification",
    "instruction_id": "instruction",
    "upload_id": "upload",
    "user_id": "user",
    "entry_id": "entry",
    "bulletin_id": "bulletin",
    "copy_id": "exposure",
    "export_id": "export",
    "clue_id": "clue",
}
FIXED = {"key": "geofence_radius_m", "variant": "display", "name": "problems", "box_id": "0a1b2c3d"}
# "code": a clue topic's code (the migration's list; the minimal bodies change nothing).
FIXED_CONSOLE = {"filename": "console.css", "index": "0", "code": "other"}
# A sub-object belongs to the object named by another parameter of the same route.
PARENT_PARAM = {"draw": "plan_id", "verification": "item_id", "extension": "item_id"}
PARENT_PARAM["report"] = PARENT_PARAM["instruction"] = "item_id"
PARENT = {
    f"{kind}_{side}": f"{parent}_{side}"
    for kind, parent in (
        ("draw", "plan"),
        ("verification", "item"),
        ("extension", "item"),
        ("report", "item"),
        ("instruction", "item"),
    )
    for side in ("home", "foreign")
}
TUS = {"Tus-Resumable": "1.0.0"}
NAMED = ("filter", "ref", "refs")  # parameters that only name an object
IN_BODY = ("body", "ref", "refs")
PARAM = re.compile(r"\{(\w+)\}|<(?:[^<>]*:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    roles: frozenset | None  # None: no login needed
    own: int | None = None  # the exact answer with the caller's own objects; None: reached
    body: object = None  # a well-formed body (dict, or "photo" for multipart), for 404 probes
    params: tuple = ()  # (name, where, kind): see r()
    token: str = "access"
    last: bool = False  # ends the login: asked after everything else
    login: bool = False  # the console's login hand-over itself
    limits: dict = field(default_factory=dict)  # filter name -> the roles that may use it


def r(roles, own=None, body=None, token="access", last=False, login=False, **params) -> Route:
    """`params`: name="where:kind", where is one of
    - path: a path parameter of another kind than PATH_KINDS says;
    - query, tus (Upload-Metadata), body: the object is looked up, hidden ones are 404;
    - filter (query), ref (body), refs (body, a list of one): the object is only named
      (a list filter, a reference in a new record); a hidden one must answer exactly as
      an id never used, whatever the status;
    and for a filter only some roles may use, "filter:kind:role,role"."""
    extra = tuple((name, *spec.split(":")[:2]) for name, spec in params.items())
    limits = {
        name: frozenset(spec.split(":")[2].split(","))
        for name, spec in params.items()
        if spec.count(":") == 2
    }
    return Route(
        frozenset(roles) if roles is not None else None,
        own, body, extra, token, last, login, limits,
    )  # fmt: skip


def api_routes(client) -> list[tuple[str, str]]:
    spec = client.get("/api/openapi.json").get_json()
    return [
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    ]


def console_routes(app) -> list[tuple[str, str]]:
    return [
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/console")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


@dataclass
class Result:
    surface: str
    method: str
    path: str
    role: str
    combo: tuple  # ((param, object name), ...)
    variant: str  # minimal | probe
    blocked: tuple  # the parameters naming objects the caller may not see, when asked
    expected: str
    status: int
    answer: object
    ok: bool


@dataclass
class Report:
    role: str
    results: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    validated_first: set = field(default_factory=set)

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def describe(self) -> str:
        counts = Counter(r.expected for r in self.results)
        head = f"{self.role}: {len(self.results)} requests {dict(counts)}; failures:"
        return "\n".join([head, *self.failures[:80]])


class Matrix:
    def __init__(self, app, client, factory, auth, role, seen, validates_first):
        self.app, self.client, self.auth, self.role = app, client, auth, role
        self.seen, self.validates_first = seen, validates_first
        self.me, self.ids = build_world(factory)
        self.report = Report(role)
        self.gone: set[str] = set()  # objects the role deleted (own drafts)
        self.user = self.me.get(role)
        self.tokens, self.csrf = {}, ""

    # ---- logging in ----

    def log_in(self, console) -> None:
        """Tokens from the API's login, then the console's hand-over (its own route in the
        table, asked here: a second hand-over would start a new console session)."""
        if self.user is None:
            return
        tokens = self.auth.login(self.user)
        self.tokens = {"access": tokens["access_token"], "refresh": tokens["refresh_token"]}
        (method, path), route = next((k, v) for k, v in console.items() if v.login)
        self.run("console", method, path, route, [], (), "minimal")
        with self.client.session_transaction() as session:
            self.csrf = session.get("csrf", "")

    def _bearer(self, token="access") -> dict:
        value = self.tokens.get(token)
        return {"Authorization": f"Bearer {value}"} if value else {}

    # ---- the parameters of a route ----

    def params(self, path, route) -> list[tuple[str, str, str]]:
        out = []
        extra = {name: (where, kind) for name, where, kind in route.params}
        for match in PARAM.finditer(path):
            name = match.group(1) or match.group(2)
            where, kind = extra.pop(name, ("path", PATH_KINDS.get(name)))
            out.append((name, where, kind))
        return out + [(name, where, kind) for name, (where, kind) in extra.items()]

    def objects(self, kind) -> list[str]:
        if kind is None:
            return [""]
        return [*self.seen[kind], UNKNOWN]

    def combos(self, params, with_body: bool):
        used = [p for p in params if with_body or p[1] not in IN_BODY]
        choices = [
            [(p[0], o) for o in ([""] if p[1] == "filter" else []) + self.objects(p[2])]
            for p in used
        ]
        return [tuple(c) for c in itertools.product(*choices)]

    def blocked(self, params, combo) -> list[str]:
        kinds = {name: kind for name, _, kind in params}
        chosen = dict(combo)
        out = []
        wheres = {name: where for name, where, _ in params}
        for name, obj in combo:
            kind = kinds[name]
            if kind is None or wheres[name] in NAMED:
                continue
            hidden = self.role not in self.seen[kind].get(obj, ()) or obj in self.gone
            parent = PARENT.get(obj)
            if hidden or (parent and chosen.get(PARENT_PARAM[kind], parent) != parent):
                out.append(name)
        return out

    def hidden(self, params, combo) -> list[str]:
        """Filters and references naming an object the caller may not see: they must answer
        as an id never used does (a filter matching nothing is an empty list, a reference
        to nothing a 422 naming the field)."""
        filters = {name: kind for name, where, kind in params if where in NAMED}
        return [
            n for n, o in combo
            if n in filters and o and self.role not in self.seen[filters[n]].get(o, ())
        ]  # fmt: skip

    def id_of(self, obj: str) -> str:
        if obj == UNKNOWN:
            return UNKNOWN_ID
        return self.ids.get(obj) or self.ids[f"{obj}:{self.role if self.user else 'admin'}"]

    # ---- expectations ----

    def expected(self, surface, key, route, params, combo, variant) -> str:
        if route.roles is not None and self.user is None:
            return "401" if surface == "api" or route.login else "login"
        if route.roles is not None and self.role not in route.roles:
            return "403"
        if any(o and self.role not in route.limits.get(n, ANY) for n, o in combo):
            return "403 filter"  # whatever the value: the same refusal for every plan
        if self.blocked(params, combo):
            return "404" if variant == "probe" or key not in self.validates_first else "404|422"
        if variant == "probe":
            return "as unknown"  # a hidden reference: compared with an unknown id's answer
        return str(route.own) if route.own else "reached"

    def judge(self, surface, expected, response) -> bool:
        status = response.status_code
        if expected == "login":
            return status == 302 and response.headers["Location"].startswith("/?next=/console")
        if expected == "403" and surface == "api":
            return status == 403 and _code(response) == "forbidden_role"
        if expected == "as unknown":
            return status < 500
        if expected == "reached":
            refused = {401, 404, 405} | ({400, 403} if surface == "console" else set())
            role_refused = status == 403 and _code(response) == "forbidden_role"
            return status < 500 and status not in refused and not role_refused
        return str(status) in expected.split(" ")[0].split("|")

    # ---- requests ----

    def send(self, surface, method, path, route, params, combo, variant):
        values = {name: self.id_of(obj) if obj else "" for name, obj in combo}
        fixed = {**FIXED, **(FIXED_CONSOLE if surface == "console" else {})}
        url = PARAM.sub(lambda m: values.get(m[1] or m[2]) or fixed[m[1] or m[2]], path)
        where = {name: w for name, w, _ in params}
        query = {n: v for n, v in values.items() if where[n] in ("query", "filter") and v}
        body = {
            n: [v] if where[n] == "refs" else v for n, v in values.items() if where[n] in IN_BODY
        }
        kwargs: dict = {"query_string": query, "headers": {}}
        if surface == "api":
            kwargs["headers"].update(self._bearer(route.token))
            if path.startswith("/api/uploads"):
                kwargs["headers"].update(TUS)
                self._tus(method, values, kwargs)
            elif method in ("POST", "PUT", "PATCH"):
                self._json(route, body, variant, kwargs)
        elif route.login:
            kwargs["headers"].update(self._bearer())
        elif method == "POST":
            probe = self.fill(route.body) if variant == "probe" else {}
            kwargs["data"] = {"csrf_token": self.csrf, **probe, **body}
        return self.client.open(url, method=method, **kwargs)

    def _tus(self, method, values, kwargs) -> None:
        if method == "POST":
            meta = {"photo_id": values.get("photo_id", UNKNOWN_ID), "sha256": "c" * 64}
            kwargs["headers"]["Upload-Length"] = "1000"
            kwargs["headers"]["Upload-Metadata"] = ",".join(
                f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items()
            )
        elif method == "PATCH":
            kwargs["headers"]["Upload-Offset"] = "0"
            kwargs["content_type"] = "application/offset+octet-stream"
            kwargs["data"] = b""

    def _json(self, route, body_ids, variant, kwargs) -> None:
        if route.body == "photo":
            photo = (PHOTOS / "jpg_gps_DSCN0010.jpg").read_bytes()
            files = {"photo": (io.BytesIO(photo), "p.jpg")} if variant == "probe" else {}
            kwargs["data"], kwargs["content_type"] = files, "multipart/form-data"
            return
        if variant == "minimal":
            kwargs["json"] = {}
            return
        kwargs["json"] = {**self.fill(route.body), **body_ids}

    def fill(self, body: dict) -> dict:
        """ "@day:N" is the date N days from today, "@name" a world object's id."""
        out = {}
        for key, value in body.items():
            if isinstance(value, str) and value.startswith("@day:"):
                value = (local_today() + timedelta(days=int(value[5:]))).isoformat()
            elif isinstance(value, str) and value.startswith("@"):
                value = self.id_of(value[1:])
            out[key] = value
        return out

    # ---- running ----

    def run(self, surface, method, path, route, params, combo, variant) -> Result:
        key = (method, path)
        expected = self.expected(surface, key, route, params, combo, variant)
        response = self.send(surface, method, path, route, params, combo, variant)
        answer = response.get_json(silent=True) if surface == "api" else None
        if surface == "console" or answer is None:
            # (an XLSX download is binary: compared as replaced text all the same)
            answer = response.get_data().decode("utf-8", "replace") if method != "HEAD" else ""
        ok = self.judge(surface, expected, response)
        blocked = tuple(self.blocked(params, combo) + self.hidden(params, combo))
        blocked = blocked if self.user else ()
        result = Result(
            surface, method, path, self.role, combo, variant, blocked, expected,
            response.status_code, answer, ok,
        )  # fmt: skip
        self.report.results.append(result)
        if expected == "404|422" and response.status_code == 422:
            self.report.validated_first.add(key)
        if not ok:
            self.report.fail(
                f"{surface} {method} {path} as {self.role} with {dict(combo)} ({variant}): "
                f"expected {expected}, got {response.status_code} {_short(answer)}"
            )
        if response.status_code in (204, 303) and _deletes(method, path):
            self.gone.update(obj for name, obj in combo if name == "item_id")
        return result


def _text(answer, ids) -> str:
    text = json.dumps(answer, sort_keys=True, ensure_ascii=False)
    for value in ids:
        text = text.replace(value, "<id>")
    return text


def _deletes(method, path) -> bool:
    return (method == "DELETE" and path.endswith("{item_id}")) or path.endswith("/delete")


def _code(response):
    body = response.get_json(silent=True) or {}
    return (body.get("error") or {}).get("code")


def _short(answer) -> str:
    text = str(answer)
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    if title:
        return f"page {title[1].strip()!r}"
    return text if len(text) < 160 else text[:160] + "…"


def check_role(app, client, factory, auth, role, api, console, seen, validates_first) -> Report:
    """Every route for one role: reads and refusals first (nothing changes), then the
    role's own mutations, then the logouts; then the answers are compared."""
    matrix = Matrix(app, client, factory, auth, role, seen, validates_first)
    matrix.log_in(console)
    routes = [("api", key, api.get(key)) for key in api_routes(client)]
    routes += [("console", key, console.get(key)) for key in console_routes(app)]
    later, last = [], []
    for surface, (method, path), route in routes:
        if route is None:
            matrix.report.fail(f"{surface} {method} {path} is not in the matrix table")
            continue
        if route.login and matrix.user is not None:
            continue  # asked by log_in
        if route.last:
            last.append((surface, method, path, route))
            continue
        params = matrix.params(path, route)
        for combo in matrix.combos(params, with_body=False):
            refused = matrix.user is None or matrix.blocked(params, combo)
            if method in READS or refused or role not in (route.roles or ANY):
                matrix.run(surface, method, path, route, params, combo, "minimal")
            else:
                later.append((surface, method, path, route, params, combo))
        if route.body is not None and matrix.user is not None and role in (route.roles or ()):
            for combo in matrix.combos(params, with_body=True):
                if matrix.blocked(params, combo) or matrix.hidden(params, combo):
                    matrix.run(surface, method, path, route, params, combo, "probe")
    for surface, method, path, route, params, combo in later:
        matrix.run(surface, method, path, route, params, combo, "minimal")
    for surface, method, path, route in last:
        if surface == "api" and matrix.user is not None:
            matrix.tokens["access"] = auth.login(matrix.user)["access_token"]
        matrix.run(surface, method, path, route, [], (), "minimal")
    _same_as_unknown(matrix)
    _validates_first(matrix, api, console)
    return matrix.report


def _same_as_unknown(matrix: Matrix) -> None:
    """A foreign object answers exactly as an id never used (same status, same body, but
    for the id itself where a page repeats it)."""
    by_key = {(r.method, r.path, r.variant, r.combo): r for r in matrix.report.results}
    for result in matrix.report.results:
        if not result.blocked:
            continue
        blocked = set(result.blocked)
        twin_combo = tuple((n, UNKNOWN if n in blocked else o) for n, o in result.combo)
        twin = by_key.get((result.method, result.path, result.variant, twin_combo))
        if twin is None or twin is result:
            continue
        ids = [matrix.id_of(o) for _, o in (*result.combo, *twin.combo) if o]
        if (twin.status, _text(twin.answer, ids)) != (result.status, _text(result.answer, ids)):
            matrix.report.fail(
                f"{result.surface} {result.method} {result.path} as {result.role}: "
                f"{dict(result.combo)} answers {result.status} {_short(result.answer)}, "
                f"an unknown id {twin.status} {_short(twin.answer)}"
            )


def _validates_first(matrix: Matrix, api, console) -> None:
    """The routes that answered 422 before the lookup are exactly the declared ones, and
    each has a well-formed body to probe past its validation."""
    if matrix.user is None:
        return
    declared = {
        key
        for table in (api, console)
        for key, route in table.items()
        if key in matrix.validates_first and matrix.role in (route.roles or ())
    }
    if matrix.report.validated_first != declared:
        matrix.report.fail(
            f"validated before lookup: {sorted(matrix.report.validated_first)}; "
            f"declared for {matrix.role}: {sorted(declared)}"
        )
    for key in declared:
        route = api.get(key) or console.get(key)
        if route.body is None:
            matrix.report.fail(f"{key} validates first but has no well-formed body to probe")

"""/console/clues/replies: the office's ended clues as the replies its sources (the 12345
platform first) import: a page with filters (closed dates, source, outcome) and the same
rows as CSV (UTF-8 with a BOM) and XLSX downloads (server/clues/replies.py). Supervisors
of an office only; never the reporter's name or contact."""

from __future__ import annotations

from flask import Response, g

from server.clues import replies
from server.clues.access import require_office
from server.console.kit import page, pages_blueprint, query_args
from server.console.session import console_login_required
from server.errors import ApiError
from server.models import Role
from server.timeutil import local_today

bp = pages_blueprint("clue_reply_pages", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/clues/replies")
@console_login_required(Role.supervisor)
def clue_replies():
    require_office(g.user)
    raw, args, errors = query_args(replies.ReplyArgsSchema())
    if args is None:
        args, rows, total = {"page": 1}, [], 0
    else:
        total = replies.count(g.user, args)
        offset = (args["page"] - 1) * replies.PAGE_ROWS
        rows = replies.replies(g.user, args, offset=offset)
    pages = max(1, -(-total // replies.PAGE_ROWS))
    return page(
        "clues/replies.html",
        422 if errors else 200,
        filters=raw,
        errors=errors,
        source=raw.get("source", "hotline"),
        rows=rows,
        total=total,
        page_no=args["page"],
        pages=pages,
        export_max=replies.EXPORT_MAX,
    )


def _export_args() -> dict:
    _, args, errors = query_args(replies.ReplyArgsSchema())
    if args is None:
        raise ApiError(422, message="筛选条件有误:" + ";".join(sum(errors.values(), [])))
    return args


def _download(body: bytes, mimetype: str, ext: str) -> Response:
    response = Response(body, mimetype=mimetype)
    name = f"replies-{local_today().isoformat()}.{ext}"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/clues/replies.csv")
@console_login_required(Role.supervisor)
def clue_replies_csv():
    require_office(g.user)
    rows = replies.replies(g.user, _export_args(), limit=replies.EXPORT_MAX)
    return _download(replies.to_csv(rows), "text/csv; charset=utf-8", "csv")


@bp.route("/clues/replies.xlsx")
@console_login_required(Role.supervisor)
def clue_replies_xlsx():
    require_office(g.user)
    rows = replies.replies(g.user, _export_args(), limit=replies.EXPORT_MAX)
    return _download(replies.to_xlsx(rows), XLSX, "xlsx")

"""/console: the shell of the desk pages (start page per role, login hand-over, logout,
base layout and static files). Each domain serves its own pages (`<domain>/pages.py`)."""

from __future__ import annotations

from flask import g, redirect, render_template, send_from_directory, session
from flask_jwt_extended import verify_jwt_in_request

from server.auth.operations import log_out
from server.clues.queries import desk_counts
from server.console.assets import VersionedStatic
from server.console.session import console_login_required, csrf_token, open_console_session
from server.glossary import GLOSSARY
from server.models import Role
from server.system.queries import admin_counts
from server.timeutil import CHINA

bp = VersionedStatic(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

# Each role's start page: templates/start_<role>.html.
START_TEMPLATES = {role: f"start_{role.value}.html" for role in Role}


@bp.app_template_filter("china_time")
def china_time(value) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "—"


@bp.app_context_processor
def console_globals():
    return {"csrf_token": csrf_token}


@bp.record_once
def _glossary(state) -> None:
    """Every template reads its labels from `glossary` (server/glossary.py), also in
    macros imported without context."""
    state.app.jinja_env.globals["glossary"] = GLOSSARY


@bp.record_once
def _favicon(state) -> None:
    """Browsers ask for /favicon.ico whatever the page links: the console's icon."""
    state.app.add_url_rule("/favicon.ico", "favicon", favicon)


def favicon():
    return send_from_directory(bp.static_folder, "favicon.svg", mimetype="image/svg+xml")


@bp.route("/session", methods=["POST"])
def exchange_token():
    """The field app's login page hands its bearer token over for a console cookie.
    A bearer header cannot be forged cross-site, so this needs no CSRF token."""
    verify_jwt_in_request(locations=["headers"])
    open_console_session(g.auth_session)
    return "", 204


@bp.route("/")
@console_login_required()
def start():
    user = g.user
    context = {}
    if user.role == Role.admin:
        context = {"counts": admin_counts()}
    elif user.role == Role.supervisor:
        context = {"clues": desk_counts(user)}
    return render_template(START_TEMPLATES[user.role], user=user, **context)


@bp.route("/logout", methods=["POST"])
@console_login_required()
def logout():
    log_out(g.auth_session)
    session.clear()
    return redirect("/?logged_out=1")

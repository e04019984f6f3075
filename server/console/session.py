"""Console pages authenticate with Flask's signed, HttpOnly, SameSite cookie, bound to the
same login session as the bearer tokens: logging out anywhere ends both. Every POST form
carries a CSRF token kept in that session. An account that must change its password is
sent to the password page from every other page (logging out still works)."""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import quote

from flask import abort, g, redirect, request, session, url_for

from server.auth.tokens import load_live_session
from server.models import AuthSession, Role

# What an account that must change its password may open until it has (every other page
# sends it to the password page).
BEFORE_PASSWORD_CHANGE = frozenset({"account_pages.password", "console.logout"})


def open_console_session(auth_session: AuthSession) -> None:
    session.clear()
    session.permanent = True
    session["sid"] = str(auth_session.id)
    session["uid"] = str(auth_session.user_id)
    session["csrf"] = secrets.token_urlsafe(32)


def csrf_token() -> str:
    return session.get("csrf", "")


def console_login_required(*roles: Role):
    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            live = load_live_session(session.get("sid"), session.get("uid"))
            if live is None:
                session.clear()
                return redirect("/?next=" + quote(request.full_path.rstrip("?")))
            if request.method == "POST":
                sent = request.form.get("csrf_token", "")
                if not sent or not hmac.compare_digest(sent, csrf_token()):
                    abort(400, "CSRF")
            g.auth_session = live
            g.user = live.user
            if live.user.must_change_password and request.endpoint not in BEFORE_PASSWORD_CHANGE:
                return redirect(url_for("account_pages.password"), 303)
            if roles and live.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator

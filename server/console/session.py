"""Console pages authenticate with Flask's signed, HttpOnly, SameSite cookie, bound to the
same login session as the bearer tokens: logging out anywhere ends both. Every POST form
carries a CSRF token kept in that session."""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import quote

from flask import abort, g, redirect, request, session

from server.auth.tokens import load_live_session
from server.models import AuthSession, Role


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
            if roles and live.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorator

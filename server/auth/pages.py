"""/console/password: every console user changes their own password (the current one
required); the other login sessions end, this one stays (auth.operations). An account
that must change its password (new, or reset by an admin) is sent here from every page
and, once it has, on to its start page."""

from __future__ import annotations

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.auth import operations
from server.auth.api import begins_deferred
from server.auth.passwords import min_password_length, password_rules_text
from server.auth.schemas import PasswordChangeSchema
from server.console.kit import page, pages_blueprint, refusal
from server.console.session import console_login_required
from server.errors import ApiError

bp = pages_blueprint("account_pages", __name__)
FIELDS = ("old_password", "new_password", "confirm_password")


def _form(status: int = 200, refused=None):
    return page(
        "auth/password.html",
        status,
        refused=refused,
        min_length=min_password_length(),
        rules=password_rules_text(),
    )


@bp.route("/password", methods=["GET", "POST"])
@begins_deferred  # the hashes run before the write lock is taken
@console_login_required()
def password():
    if request.method == "GET":
        return _form()
    forced = g.user.must_change_password
    form = {name: request.form.get(name, "") for name in FIELDS}
    try:
        data = PasswordChangeSchema().load({k: form[k] for k in FIELDS[:2] if form[k]})
        if form["confirm_password"] != form["new_password"]:
            raise ValidationError({"confirm_password": ["两次输入的新密码不一致"]})
        ended = operations.change_own_password(
            g.user.id, g.auth_session.id, data["old_password"], data["new_password"]
        )
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "password")  # passwords are never sent back into the form
        return _form(refused.status, refused)
    if forced:  # done: on to the start page (which shows no flashed messages)
        return redirect(url_for("console.start"), 303)
    flash(f"密码已修改。其他设备和浏览器上的 {ended} 个登录已退出。" if ended else "密码已修改。")
    return redirect(url_for("account_pages.password"), 303)

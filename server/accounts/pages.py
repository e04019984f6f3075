"""/console/users: the admin's user administration (issue 15), over the same schemas and
operations as /api/users: search and filter, add, edit, disable / enable, reset the
password, lift the failed-login limits.

A new account's or a reset's one-time password is drawn into the answer to that POST and
nowhere else: not into a redirect's URL, not into the session cookie, not into the audit
trail (console answers are no-store). Reloading the page cannot show it again."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, request, url_for
from marshmallow import ValidationError

from server.accounts import operations, queries
from server.accounts.schemas import ListArgsSchema, UserCreateSchema, UserUpdateSchema
from server.auth.operations import recent_login_failures
from server.console.kit import keep, page, pages_blueprint, present, query_args, refusal
from server.console.session import console_login_required
from server.errors import ApiError
from server.models import Role

bp = pages_blueprint("account_admin_pages", __name__)
FIELDS = ("username", "display_name", "role", "unit_id")


@bp.route("/users")
@console_login_required(Role.admin)
def users():
    raw, args, errors = query_args(ListArgsSchema())
    result = queries.search_users(args) if args is not None else None
    pages = -(-result["total"] // result["per_page"]) if result else 0
    return page(
        "accounts/list.html",
        422 if errors else 200,
        result=result,
        pages=pages,
        filters={k: v for k, v in raw.items() if k != "page"},
        errors=errors,
        units=queries.unit_choices(),
    )


def _new_form(status: int = 200, refused=None):
    return page("accounts/new.html", status, refused=refused, units=queries.unit_choices())


@bp.route("/users/new", methods=["GET", "POST"])
@console_login_required(Role.admin)
def user_new():
    if request.method == "GET":
        return _new_form()
    form = present(request.form, *FIELDS)
    try:
        user, password = operations.create_user(UserCreateSchema().load(form), g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "new", form)
        return _new_form(refused.status, refused.as_dict())
    return page("accounts/one_time_password.html", target=user, password=password, created=True)


def _user_page(user_id: uuid.UUID, status: int = 200, refused=None):
    target = operations.get_user(user_id)
    return page(
        "accounts/detail.html",
        status,
        target=target,
        refused=refused,
        units=keep(queries.unit_choices(), [target.unit]),
        failures=recent_login_failures(target.username),
    )


@bp.route("/users/<uuid:user_id>", methods=["GET", "POST"])
@console_login_required(Role.admin)
def user_detail(user_id: uuid.UUID):
    if request.method == "GET":
        return _user_page(user_id)
    operations.get_user(user_id)  # an unknown account is a 404 whatever the form says
    # Every field the form sent, blanks too: a name erased is refused, not ignored.
    form = {k: request.form[k].strip() for k in FIELDS[1:] if k in request.form}
    try:
        operations.update_user(user_id, UserUpdateSchema().load(form), g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "edit", form)
        return _user_page(user_id, refused.status, refused.as_dict())
    flash("用户信息已保存。")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


@bp.route("/users/<uuid:user_id>/active", methods=["POST"])
@console_login_required(Role.admin)
def user_active(user_id: uuid.UUID):
    operations.get_user(user_id)
    wanted = request.form.get("active")
    try:
        if wanted not in ("0", "1"):
            raise ValidationError({"active": ["请选择启用或停用"]})
        operations.update_user(user_id, {"active": wanted == "1"}, g.user)
    except (ValidationError, ApiError) as error:
        refused = refusal(error, "active")
        return _user_page(user_id, refused.status, refused.as_dict())
    flash("账号已启用。" if wanted == "1" else "账号已停用,其所有登录已退出。")
    return redirect(url_for(".user_detail", user_id=user_id), 303)


@bp.route("/users/<uuid:user_id>/reset-password", methods=["POST"])
@console_login_required(Role.admin)
def user_reset_password(user_id: uuid.UUID):
    try:
        target, password = operations.reset_password(user_id, g.user)
    except ApiError as error:
        refused = refusal(error, "reset")
        return _user_page(user_id, refused.status, refused.as_dict())
    return page("accounts/one_time_password.html", target=target, password=password, created=False)


@bp.route("/users/<uuid:user_id>/unlock", methods=["POST"])
@console_login_required(Role.admin)
def user_unlock(user_id: uuid.UUID):
    result = operations.unlock_login(user_id, g.user)
    flash(f"已解除登录限制(清除 {result['cleared_failures']} 次失败记录)。")
    return redirect(url_for(".user_detail", user_id=user_id), 303)

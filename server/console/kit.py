"""The console's small forms kit, used by every domain's pages.

- `pages_blueprint`: a domain's console pages live in its own package (`<domain>/pages.py`,
  templates in `<domain>/templates/<domain>/`), served under /console.
- `page`: one way to render a page (the signed-in user is always there).
- `refusal`: one place that turns a refused operation into what a redrawn form shows. The
  operation's writes are rolled back first (nothing of it may be committed with the page);
  403 and 404 are answered as the API answers them.
- `query_args`: a list page's query string through the API's own schema.
- `field_errors`: marshmallow or ApiError field messages as {field: [messages]}.
- `Confirmation`, `confirmed`, `confirmation_page`: an action that cannot be undone runs
  only with `confirm=1` in the form; without it (no JavaScript) the answer is a page that
  says what will happen and posts the same form again with confirm=1. With JavaScript the
  button's data-confirm-* attributes (`Confirmation.attrs`) open a dialog first.
The pager is `_pager.html` (a macro over the API's page dict)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, g, render_template, request
from markupsafe import Markup, escape
from marshmallow import ValidationError

from server.errors import ApiError
from server.extensions import db

FORM_ERROR = "表单有误,请按提示修改"


def pages_blueprint(name: str, import_name: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix="/console", template_folder="templates")


def page(template: str, status: int = 200, **context):
    return render_template(template, user=g.user, **context), status


def flat_messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in flat_messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in flat_messages(v)]
    return [str(value)]


def field_errors(raw) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {"_schema": flat_messages(raw)}
    return {name: flat_messages(value) for name, value in raw.items()}


@dataclass
class Refusal:
    """A refused submission, for the form drawn again: which form, its kept values, the
    messages next to the fields and the one on top, and the answer's status."""

    form: str | None
    values: dict
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str = FORM_ERROR
    status: int = 422
    code: str = "validation_error"

    def as_dict(self) -> dict:
        return {
            "form": self.form,
            "values": self.values,
            "kept": self.values,
            "errors": self.errors,
            "message": self.message,
        }


def refusal(
    error: Exception | None,
    form: str | None = None,
    values: dict | None = None,
    errors=None,
    once: bool = False,
) -> Refusal:
    """Roll back the refused operation and describe it. A ValidationError or an ApiError
    (403 and 404 re-raised); None with `errors` for what the page itself found wrong.
    `once`: a message already shown next to its field is not repeated on top."""
    if isinstance(error, ApiError) and error.status in (403, 404):
        raise error
    db.session.rollback()
    fields: dict[str, list[str]] = {}
    message, status, code = FORM_ERROR, 422, "validation_error"
    if isinstance(error, ValidationError):
        fields = field_errors(error.messages)
    elif isinstance(error, ApiError):
        fields = field_errors(error.details.get("fields", {}))
        message, status, code = error.message, error.status, error.code
    elif error is not None:
        raise error
    fields.update(errors or {})
    if once and any(message in messages for messages in fields.values()):
        message = FORM_ERROR  # the field says it already
    return Refusal(form, values or {}, fields, message, status, code)


def query_args(schema) -> tuple[dict, dict | None, dict]:
    """The query string through the API's schema: (raw, args or None, field errors)."""
    raw = {k: v.strip() for k, v in request.args.items() if v.strip()}
    try:
        return raw, schema.load(raw), {}
    except ValidationError as error:
        return raw, None, field_errors(error.messages)


def present(form, *names) -> dict:
    """Only the fields the user filled: a missing one is reported by the schema (必填)."""
    return {k: form[k].strip() for k in names if form.get(k, "").strip()}


def keep(rows: list, extra) -> list:
    """A form's choices plus the values it already holds that are no longer among them
    (a deactivated unit still shows on the item that names it)."""
    seen = {r.id for r in rows}
    return rows + [r for r in extra if r is not None and r.id not in seen]


@dataclass(frozen=True)
class Confirmation:
    """What an action asks once before it runs: the verb (交办), what it acts on (an
    item's code and title) and what follows that cannot be undone."""

    action: str
    subject: str
    consequence: str

    def attrs(self) -> Markup:
        """The submit button's attributes for console.js's dialog."""
        return Markup(
            f'data-confirm="{escape(self.consequence)}" '
            f'data-confirm-action="{escape(self.action)}" '
            f'data-confirm-subject="{escape(self.subject)}"'
        )


def confirmed() -> bool:
    return request.form.get("confirm") == "1"


def confirmation_page(ask: Confirmation, back: str):
    """The no-JavaScript question: the form as posted (CSRF token aside, a fresh one is
    drawn), to be sent again with confirm=1, or 返回 to `back`."""
    kept = [
        (name, value)
        for name, values in request.form.lists()
        if name not in ("csrf_token", "confirm")
        for value in values
    ]
    return page("confirm.html", ask=ask, kept=kept, action_url=request.path, back=back)

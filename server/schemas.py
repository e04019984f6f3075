"""Shared schema base: unknown fields are refused (no mass assignment), and every integer
field is bounded (no OverflowError from a 64-bit database column, no 500)."""

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

import server.messages  # noqa: F401  (Chinese validation messages)

# The widest integer any request may carry: PostgreSQL's INTEGER (and well inside SQLite's
# 64 bits, JavaScript's safe integers and any OFFSET arithmetic on them).
INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def integer_bounds() -> validate.Range:
    return validate.Range(
        min=INT_MIN, max=INT_MAX, error="数值超出允许范围(须在 {min} 与 {max} 之间)"
    )


def _within_bounds(validator) -> bool:
    return (
        isinstance(validator, validate.Range)
        and validator.min is not None
        and validator.max is not None
        and validator.min >= INT_MIN
        and validator.max <= INT_MAX
    )


def _bound_integers(field: fields.Field) -> None:
    """Add the shared bounds to an Integer field (also inside List/Tuple/Dict values);
    a field's own narrower Range still applies (and the OpenAPI document shows the
    narrowest of them)."""
    if isinstance(field, fields.Integer):
        if not any(_within_bounds(v) for v in field.validators):
            field.validators = [*field.validators, integer_bounds()]
        return
    for inner in (
        getattr(field, "inner", None),
        getattr(field, "value_field", None),
        *getattr(field, "tuple_fields", ()),
    ):
        if isinstance(inner, fields.Field):
            _bound_integers(inner)


class BaseSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _bound_integers(field_obj)


class UpdateSchema(BaseSchema):
    """A PATCH body: at least one field to change. `version` (the edit's optimistic lock)
    alone changes nothing, so it does not count."""

    NOT_CHANGES = frozenset({"version"})

    @validates_schema
    def something_to_change(self, data, **kwargs):
        if not set(data) - self.NOT_CHANGES:
            raise ValidationError("没有要修改的内容:请至少提供一项要修改的字段")


class ReasonSchema(BaseSchema):
    """A refusal, a rejection or a return: why, in words."""

    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class RefSchema(BaseSchema):
    """Another object, named: a unit, an office, a person."""

    id = fields.UUID()
    name = fields.String()


class PlanRefSchema(BaseSchema):
    id = fields.UUID()
    code = fields.String()
    title = fields.String()


class ErrorBodySchema(BaseSchema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorSchema(BaseSchema):
    error = fields.Nested(ErrorBodySchema, required=True)

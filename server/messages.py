"""Chinese validation messages for marshmallow, set once at import.

Field errors reach inspectors' phones and desk users' screens, so they must be Chinese
like the rest of the interface. marshmallow's defaults are class attributes; each message
keeps its placeholders ({min}, {choices}, …)."""

from marshmallow import Schema, fields, validate

FIELD_MESSAGES = {
    fields.Field: {"required": "必填", "null": "不能为空值", "validator_failed": "取值无效"},
    fields.String: {"invalid": "须为文本", "invalid_utf8": "不是有效的 UTF-8 文本"},
    fields.UUID: {"invalid_uuid": "不是有效的编号(UUID)"},
    fields.Number: {"invalid": "须为数字", "too_large": "数字过大"},
    fields.Integer: {"invalid": "须为整数"},
    fields.Float: {"special": "不能为 NaN 或无穷大"},
    fields.Boolean: {"invalid": "须为是/否(true/false)"},
    fields.DateTime: {
        "invalid": "不是有效的时间(ISO 8601)",
        "invalid_awareness": "时间须带时区偏移,如 +08:00",
        "format": "时间格式无效",
    },
    fields.Date: {"invalid": "不是有效的日期(YYYY-MM-DD)"},
    fields.List: {"invalid": "须为列表"},
    fields.Mapping: {"invalid": "须为对象"},
    fields.Nested: {"type": "须为对象"},
}


def install() -> None:
    for field_class, messages in FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
    Schema._default_error_messages = {
        **Schema._default_error_messages,
        "unknown": "不允许的字段",
        "type": "须为对象",
    }
    validate.Length.message_min = "长度不能少于 {min}"
    validate.Length.message_max = "长度不能超过 {max}"
    validate.Length.message_all = "长度须在 {min} 到 {max} 之间"
    validate.Length.message_equal = "长度须为 {equal}"
    validate.Range.message_min = "须{min_op} {{min}}"
    validate.Range.message_max = "须{max_op} {{max}}"
    validate.Range.message_all = "须{min_op} {{min}} 且{max_op} {{max}}"
    validate.Range.message_gte = "大于或等于"
    validate.Range.message_gt = "大于"
    validate.Range.message_lte = "小于或等于"
    validate.Range.message_lt = "小于"
    validate.OneOf.default_message = "须为以下之一:{choices}"
    validate.Regexp.default_message = "格式不正确"


install()

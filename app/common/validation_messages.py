"""marshmallow's built-in validation messages, in Chinese: they reach riders' phones and the console
next to the field. Installed once, before any schema class is declared."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

_FIELD_MESSAGES: dict[type[fields.Field], dict[str, str]] = {
    fields.Field: {"required": "必填。", "null": "不能为空。", "validator_failed": "填写的内容不正确。"},
    fields.String: {"invalid": "应为文字。", "invalid_utf8": "文字编码不正确（应为 UTF-8）。"},
    fields.Number: {"invalid": "应为数字。", "too_large": "数字太大。"},
    fields.Integer: {"invalid": "应为整数。"},
    fields.Float: {"special": "不能是 NaN 或无穷大。"},
    fields.Decimal: {"special": "不能是 NaN 或无穷大。"},
    fields.Boolean: {"invalid": "应为是或否（true/false）。"},
    fields.DateTime: {"invalid": "时间格式不正确（例如 2026-12-06T08:30:00+08:00）。",
                      "invalid_awareness": "时间需要带时区（例如 +08:00）。",
                      "format": "无法格式化为时间。"},
    fields.Date: {"invalid": "日期格式不正确（例如 2026-12-06）。", "format": "无法格式化为日期。"},
    fields.List: {"invalid": "应为列表。"},
    fields.Tuple: {"invalid": "应为列表。"},
    fields.Mapping: {"invalid": "应为对象。"},
    fields.Nested: {"type": "格式不正确。"},
    fields.Email: {"invalid": "邮箱地址不正确。"},
    fields.URL: {"invalid": "网址不正确。"},
    fields.UUID: {"invalid_uuid": "不是有效的 UUID。"},
    fields.Enum: {"unknown": "只能是以下之一：{choices}。"},
}

_VALIDATOR_MESSAGES: dict[type, dict[str, str]] = {
    validate.Length: {"message_min": "至少{min}个字符。", "message_max": "最多{max}个字符。",
                      "message_all": "长度应在{min}到{max}之间。", "message_equal": "长度应为{equal}。"},
    validate.Range: {"message_min": "应{min_op} {{min}}。", "message_max": "应{max_op} {{max}}。",
                     "message_all": "应{min_op} {{min}}，且{max_op} {{max}}。",
                     "message_gte": "大于或等于", "message_gt": "大于",
                     "message_lte": "小于或等于", "message_lt": "小于"},
    validate.OneOf: {"default_message": "只能是以下之一：{choices}。"},
    validate.Regexp: {"default_message": "格式不正确。"},
    validate.Email: {"default_message": "邮箱地址不正确。"},
    validate.URL: {"default_message": "网址不正确。"},
    validate.Equal: {"default_message": "应等于 {other}。"},
    validate.NoneOf: {"default_message": "这个值不可用。"},
    validate.ContainsOnly: {"default_message": "有的选项不在可选范围内：{choices}。"},
}


def install() -> None:
    """Replace marshmallow's English defaults; schemas declared afterwards speak Chinese."""
    for field_class, messages in _FIELD_MESSAGES.items():
        field_class.default_error_messages = {**field_class.__dict__.get("default_error_messages", {}),
                                              **messages}
    for validator_class, messages in _VALIDATOR_MESSAGES.items():
        for name, text in messages.items():
            setattr(validator_class, name, text)
    Schema._default_error_messages = {"type": "格式不正确。", "unknown": "不认识这个字段。"}

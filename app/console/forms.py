"""Console forms: parsed by the API's own schema, run through one service call, and every failure
turned into Chinese words under the field it concerns (nothing is written when a form fails)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields

from app.console.messages import ERROR, error_text, has_chinese
from app.errors import AppError
from app.extensions import db

FORM_LEVEL = "_form"  # errors that belong to no single field
_WHOLE_NUMBER = re.compile(r"^[+-]?\d{1,12}$")


@dataclass
class FormResult:
    """What a submitted form gave: the service's answer, or Chinese errors by field name."""

    value: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)  # what was typed (ticked), to fill the form again

    @property
    def ok(self) -> bool:
        return not self.errors


def run_form(schema: Schema, form: Mapping[str, str], call: Callable[[dict[str, Any]], Any], *,
             hints: Mapping[str, str], code_fields: Mapping[str, str] | None = None) -> FormResult:
    """Load the form with the API's schema and pass it to call; errors in Chinese, under their field.
    `hints`: the Chinese help shown when the schema refuses a field; `code_fields`: the field an
    application error code belongs to (else it is shown above the form)."""
    typed = _values(schema, form)
    try:
        loaded = schema.load(_typed(schema, typed), unknown=EXCLUDE)
    except ValidationError as exc:
        return FormResult(errors=_schema_errors(exc.messages, hints), data=typed)
    try:
        return FormResult(value=call(loaded), data=typed)
    except AppError as exc:
        db.session.rollback()
        return FormResult(errors=app_error_fields(exc, hints, code_fields or {}), data=typed)


def app_error_fields(exc: AppError, hints: Mapping[str, str],
                     code_fields: Mapping[str, str]) -> dict[str, str]:
    """An application error as {field: Chinese text}."""
    named = (exc.details or {}).get("fields")
    if isinstance(named, dict) and named:
        if exc.code in ERROR:  # our words for this exact failure beat the field's general hint
            return dict.fromkeys(named, ERROR[exc.code])
        return _schema_errors(named, hints, fallback=error_text(exc))
    return {code_fields.get(exc.code, FORM_LEVEL): error_text(exc)}


def _values(schema: Schema, form: Mapping[str, str]) -> dict[str, Any]:
    """What was typed, trimmed; every ticked box of a list field (checkboxes share one name)."""
    values: dict[str, Any] = {}
    for key, value in form.items():
        if key == "csrf_token":
            continue
        if isinstance(schema.fields.get(key), fields.List) and hasattr(form, "getlist"):
            values[key] = [item.strip() for item in form.getlist(key) if item.strip()]
        else:
            values[key] = value.strip()
    return values


def _typed(schema: Schema, form: Mapping[str, Any]) -> dict[str, Any]:
    """Blank fields left out (as if not sent); whole numbers as numbers for strict integer fields."""
    data: dict[str, Any] = {}
    for key, value in form.items():
        if value == "" or value == []:
            continue
        spec = schema.fields.get(key)
        is_number = isinstance(spec, fields.Integer) and isinstance(value, str) and _WHOLE_NUMBER.match(value)
        data[key] = int(value) if is_number else value
    return data


def _schema_errors(messages: Mapping[str, Any], hints: Mapping[str, str], *,
                   fallback: str = "请检查这一项。") -> dict[str, str]:
    errors = {}
    for name, found in messages.items():
        text = found[0] if isinstance(found, list) and found else found
        # The form's own hint says how to fix this field; the schema's words are the fallback.
        errors[name] = hints.get(name) or (text if has_chinese(text) else fallback)
    return errors

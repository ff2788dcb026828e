"""Turn pydantic validation into plain-English messages, one per field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from qa.errors import ValidationFailed

M = TypeVar("M", bound=BaseModel)

FIELD_LABELS = {
    "full_name": "Full name",
    "email": "Email",
    "grade": "Grade",
    "staff_id": "Staff ID",
    "roles": "Roles",
    "password": "Password",
    "new_password": "New password",
    "confirm_password": "Confirm password",
    "current_password": "Current password",
    "name": "Name",
    "team_id": "Team",
    "pdu_id": "PDU",
    "region_id": "Region",
    "supervisor_id": "Supervisor",
    "duration_minutes": "Length",
    "observed_on": "Date of the session",
}


def too_long_message(limit: int, length: int) -> str:
    """What a box says when it holds more than it takes: the limit, in words, and that the text is kept, not saved.

    Boxes have no limit in the browser (pages/_ui.text_input and text_area), because the browser
    silently drops a paste that would go over it; this message, beside the box, says so instead.
    """
    over = length - limit
    return (
        f"This box takes up to {limit:,} characters; you have {length:,}. Your text is kept in the box "
        f"but has not been saved: shorten it by {over:,} character{'s' if over != 1 else ''}, then save."
    )


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field.replace("_", " ").capitalize())


def plain_message(error: ErrorDetails) -> str:
    field = str(error["loc"][0]) if error.get("loc") else ""
    label = _label(field)
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "string_too_long":
        length = len(given) if isinstance(given, str) else None
        extra = f" (you entered {length})" if length is not None else ""
        return f"{label} must be {ctx.get('max_length')} characters or fewer{extra}. Nothing has been saved."
    if kind == "string_too_short":
        if ctx.get("min_length", 1) <= 1:
            return f"Enter {label.lower()}."
        return f"{label} must be at least {ctx.get('min_length')} characters."
    if kind == "too_short":
        return f"Choose at least one {label.lower().rstrip('s')}."
    if kind == "missing":
        return f"Enter {label.lower()}."
    if kind == "enum":
        return f"Choose a valid {label.lower()}."
    if kind in {"date_from_datetime_parsing", "date_parsing", "date_type"}:
        return f"{label} must be a real date, like 2026-03-31."
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{label}: {error.get('msg', 'is not valid')}."


def field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error.get("loc") else "form"
        errors.setdefault(field, plain_message(error))
    return errors


def validate(model: type[M], data: dict[str, Any]) -> M:
    """Build ``model`` from form data or raise :class:`ValidationFailed`."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None

"""Dashboard filters, and their round trip through the page address so a view can be shared."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from db.organisation import OrderType, RoshLevel


@dataclass(frozen=True)
class Filters:
    date_from: date
    date_to: date
    pdu_id: int | None = None
    team_id: int | None = None
    order_type: str | None = None
    rosh: str | None = None


def default_filters(today: date | None = None) -> Filters:
    today = today or date.today()
    return Filters(date_from=today - timedelta(days=365), date_to=today)


def to_query(filters: Filters) -> dict[str, str]:
    """Only what differs from nothing: short, readable addresses."""
    query = {"from": filters.date_from.isoformat(), "to": filters.date_to.isoformat()}
    for key, value in (
        ("pdu", filters.pdu_id),
        ("team", filters.team_id),
        ("order", filters.order_type),
        ("rosh", filters.rosh),
    ):
        if value is not None:
            query[key] = str(value)
    return query


def _date(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else fallback
    except ValueError:
        return fallback


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


def from_query(query: dict[str, str], today: date | None = None) -> Filters:
    """Read filters from an address. Anything malformed falls back to the default, never errors."""
    base = default_filters(today)
    order = query.get("order")
    rosh = query.get("rosh")
    filters = Filters(
        date_from=_date(query.get("from"), base.date_from),
        date_to=_date(query.get("to"), base.date_to),
        pdu_id=_int(query.get("pdu")),
        team_id=_int(query.get("team")),
        order_type=order if order in {o.value for o in OrderType} else None,
        rosh=rosh if rosh in {r.value for r in RoshLevel} else None,
    )
    if filters.date_from > filters.date_to:
        filters = replace(filters, date_from=filters.date_to, date_to=filters.date_from)
    return filters

"""Whether a person is due something that recurs: a supervision session or an observation.

Supervision cadence and observation coverage both sort people into the same three
states, so the states and their counting live here once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class DueStatus(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    UP_TO_DATE = "up to date"

    @property
    def order(self) -> int:
        """Most pressing first: the order lists are sorted in."""
        return list(DueStatus).index(self)


class _HasDueStatus(Protocol):
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class DueCounts:
    overdue: int = 0
    due: int = 0
    up_to_date: int = 0

    @property
    def needs_attention(self) -> bool:
        return bool(self.overdue or self.due)


def count_due(rows: Iterable[_HasDueStatus]) -> DueCounts:
    statuses = [DueStatus(r.status) for r in rows]
    return DueCounts(
        overdue=statuses.count(DueStatus.OVERDUE),
        due=statuses.count(DueStatus.DUE),
        up_to_date=statuses.count(DueStatus.UP_TO_DATE),
    )

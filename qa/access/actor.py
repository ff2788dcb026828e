"""The acting user, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass

from db.organisation import Grade, Role


@dataclass(frozen=True)
class Actor:
    id: int
    full_name: str
    email: str
    grade: Grade
    roles: frozenset[Role]
    team_id: int | None = None
    pdu_id: int | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles

"""The id of a saved row, typed as ``int``.

Every table's primary key is declared ``id: int | None`` because a row built in
Python has no id until the database gives it one. A row read from the database,
or added and flushed, always has one: :func:`id_of` says so to the type checker
and fails loudly if it is ever called on a row that was not yet saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

V = TypeVar("V")


class _HasId(Protocol):
    @property
    def id(self) -> int | None: ...


def id_of(row: _HasId) -> int:
    """``row.id``, which is set once the row is read from, or flushed to, the database."""
    if row.id is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add it and flush the session first.")
    return row.id


def by_id(rows: Iterable[tuple[int | None, V]]) -> dict[int, V]:
    """``dict(rows)`` for (id, value) rows read from the database, whose ids are never None."""
    found: dict[int, V] = {}
    for key, value in rows:
        if key is None:
            raise ValueError("A row read from the database has no id.")
        found[key] = value
    return found

"""Reading a row that must be there.

``session.get`` returns ``None`` for a missing row. Most services first check
that the record asked for exists (and raise :class:`qa.errors.NotFound`), then
follow its non-null foreign keys to the rows it points at, which the database
keeps in place. :func:`get_required` makes both steps one typed call: the row,
or ``NotFound`` if it is not there (for a followed key, only if it was deleted
under us).
"""

from __future__ import annotations

from typing import TypeVar

from sqlmodel import Session, SQLModel

from qa.errors import NotFound

Row = TypeVar("Row", bound=SQLModel)


def get_required(session: Session, model: type[Row], key: int, message: str | None = None) -> Row:
    """The ``model`` row with primary key ``key``; NotFound (with ``message``, if given) if there is none."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(message) if message else NotFound()
    return row

"""Optimistic concurrency: a save is refused if someone else saved first.

Each editable record carries a ``version``. A form remembers the version it
was opened at and sends it back with the save. :func:`claim` moves the record
from that version to the next in one ``UPDATE ... WHERE id = ? AND version = ?``,
so two saves racing on two connections cannot both win: the later one matches
no row and is refused with :class:`qa.errors.StaleEdit`, before anything else
in its transaction is written. ``session_scope`` then rolls the whole save back.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from qa.errors import StaleEdit


class Versioned(Protocol):
    """A table row that carries an optimistic-concurrency ``version``."""

    id: int | None
    version: int


def claim(
    session: Session, row: Versioned, expected_version: int | None, error: StaleEdit | None = None, bump: bool = True
) -> int:
    """Check that ``row`` is still at ``expected_version`` and, with ``bump``, move it to the next version.

    ``expected_version=None`` means "the version just read in this transaction"
    (services called without a form still cannot overwrite a save that lands in
    between). ``bump=False`` checks and locks the row without changing it, for
    a sign-off that must be of the version the person read.
    """
    error = error or StaleEdit()
    opened = row.version if expected_version is None else expected_version
    if opened != row.version:
        raise error
    model = type(row)
    new = opened + 1 if bump else opened
    result = session.exec(
        update(model)
        .where(col(model.id) == row.id, col(model.version) == opened)
        .values(version=new)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise error
    set_committed_value(row, "version", new)
    return new

"""Retention: deleting old debriefs (and, if chosen, old journal notes) after N months.

Retention is **off by default**: nothing is deleted until an administrator sets
a period on **Settings**. The periods are stored as settings (``Setting``
rows), one for debriefs and one for journal notes, each a whole number of
months from 1 to 120, or blank for "keep".

- A debrief is older than N months when it was *recorded* before the same
  day N calendar months ago.
- A journal note is older than N months when it was *last changed* before
  that day, so a note someone keeps coming back to is kept.

Deleting a debrief also deletes its feelings and any shares of it, and
unlinks it from a request to talk (the request itself stays: it is the other
person's record that someone asked to talk). Deleting a note also deletes its
shares. Everything happens in one transaction, with one audit-trail entry
that holds counts only, never any text.

Team wellbeing figures are counted from the debriefs that remain, so after a
run they simply draw on less data. The trail entry also changes the
dashboards' data version, so cached figures are recomputed.

An administrator can apply retention from **Settings**; ``python -m portal
apply-retention`` does the same from a shell, for a nightly cron job.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import SupportsIndex, SupportsInt

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from db.engine import session_scope
from db.reflection import Debrief, DebriefFeeling, EntryKind, EntryShare, JournalEntry, SupportRequest
from qa.access import trail
from qa.access.actor import Actor
from qa.access.policy import Action, require
from qa.errors import ValidationFailed
from qa.settings import get_flag, set_flag

DEBRIEF_KEY = "retention_debrief_months"
NOTE_KEY = "retention_note_months"
MONTHS_MIN = 1
MONTHS_MAX = 120


@dataclass(frozen=True)
class RetentionSettings:
    debrief_months: int | None  # None: keep debriefs
    note_months: int | None  # None: keep journal notes

    def describe(self) -> str:
        def one(months: int | None, what: str) -> str:
            return f"{what}: keep" if months is None else f"{what}: {months} month{'s' if months != 1 else ''}"

        return f"{one(self.debrief_months, 'debriefs')}; {one(self.note_months, 'journal notes')}"


@dataclass(frozen=True)
class RetentionCounts:
    debriefs: int
    notes: int
    debrief_cutoff: date | None  # older than this is deleted; None when debriefs are kept
    note_cutoff: date | None

    @property
    def total(self) -> int:
        return self.debriefs + self.notes


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _months(raw: str | None) -> int | None:
    try:
        value = int(raw) if raw not in (None, "") else None
    except ValueError:
        return None
    return value if value is not None and MONTHS_MIN <= value <= MONTHS_MAX else None


def _read(session: Session) -> RetentionSettings:
    return RetentionSettings(_months(get_flag(session, DEBRIEF_KEY)), _months(get_flag(session, NOTE_KEY)))


def current_settings(actor: Actor) -> RetentionSettings:
    require(actor, Action.MANAGE_RETENTION)
    with session_scope() as session:
        return _read(session)


def _check(value: object, field: str, errors: dict[str, str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        if isinstance(value, str):
            months = int(value.strip())
        elif isinstance(value, (SupportsInt, SupportsIndex, bytes, bytearray)):  # what int() takes
            months = int(value)
        else:
            raise TypeError
    except (TypeError, ValueError):
        errors[field] = (
            f"Enter a whole number of months from {MONTHS_MIN} to {MONTHS_MAX}, or leave it blank to keep everything."
        )
        return None
    if not MONTHS_MIN <= months <= MONTHS_MAX:
        errors[field] = (
            f"Enter a whole number of months from {MONTHS_MIN} to {MONTHS_MAX}, or leave it blank to keep everything."
        )
        return None
    return months


def set_retention(actor: Actor, debrief_months: object, note_months: object) -> RetentionSettings:
    """Store the retention periods. Blank (or None) means keep. Nothing is deleted here."""
    require(actor, Action.MANAGE_RETENTION)
    errors: dict[str, str] = {}
    debriefs = _check(debrief_months, "debrief_months", errors)
    notes = _check(note_months, "note_months", errors)
    if errors:
        raise ValidationFailed(errors)
    chosen = RetentionSettings(debriefs, notes)
    with session_scope() as session:
        if _read(session) != chosen:
            set_flag(session, DEBRIEF_KEY, "" if debriefs is None else str(debriefs))
            set_flag(session, NOTE_KEY, "" if notes is None else str(notes))
            trail.record(session, actor, "changed", "setting", "retention", chosen.describe())
    return chosen


def _cutoffs(settings: RetentionSettings, today: date) -> tuple[date | None, date | None]:
    return (
        months_before(today, settings.debrief_months) if settings.debrief_months else None,
        months_before(today, settings.note_months) if settings.note_months else None,
    )


def _count(session: Session, today: date) -> RetentionCounts:
    debrief_cutoff, note_cutoff = _cutoffs(_read(session), today)
    debriefs = notes = 0
    if debrief_cutoff:
        debriefs = session.exec(
            select(func.count()).select_from(Debrief).where(Debrief.created_at < _start_of(debrief_cutoff))
        ).one()
    if note_cutoff:
        notes = session.exec(
            select(func.count()).select_from(JournalEntry).where(JournalEntry.updated_at < _start_of(note_cutoff))
        ).one()
    return RetentionCounts(debriefs, notes, debrief_cutoff, note_cutoff)


def preview(actor: Actor, today: date | None = None) -> RetentionCounts:
    """How many entries a run today would delete. Deletes nothing."""
    require(actor, Action.MANAGE_RETENTION)
    with session_scope() as session:
        return _count(session, today or date.today())


_BULK = {"synchronize_session": False}  # nothing of these is loaded in the session


def _delete(session: Session, today: date) -> RetentionCounts:
    debrief_cutoff, note_cutoff = _cutoffs(_read(session), today)
    debriefs = notes = 0
    if debrief_cutoff:
        old = select(Debrief.id).where(Debrief.created_at < _start_of(debrief_cutoff))
        session.exec(delete(DebriefFeeling).where(col(DebriefFeeling.debrief_id).in_(old)), execution_options=_BULK)
        session.exec(
            delete(EntryShare).where(col(EntryShare.kind) == EntryKind.DEBRIEF, col(EntryShare.entry_id).in_(old)),
            execution_options=_BULK,
        )
        session.exec(
            update(SupportRequest).where(col(SupportRequest.debrief_id).in_(old)).values(debrief_id=None),
            execution_options=_BULK,
        )
        debriefs = session.exec(
            delete(Debrief).where(col(Debrief.created_at) < _start_of(debrief_cutoff)), execution_options=_BULK
        ).rowcount
    if note_cutoff:
        old = select(JournalEntry.id).where(JournalEntry.updated_at < _start_of(note_cutoff))
        session.exec(
            delete(EntryShare).where(col(EntryShare.kind) == EntryKind.NOTE, col(EntryShare.entry_id).in_(old)),
            execution_options=_BULK,
        )
        notes = session.exec(
            delete(JournalEntry).where(col(JournalEntry.updated_at) < _start_of(note_cutoff)), execution_options=_BULK
        ).rowcount
    return RetentionCounts(debriefs, notes, debrief_cutoff, note_cutoff)


def _summary(counts: RetentionCounts, how: str) -> str:
    parts = []
    if counts.debrief_cutoff:
        parts.append(f"{counts.debriefs} debriefs recorded before {counts.debrief_cutoff.isoformat()}")
    if counts.note_cutoff:
        parts.append(f"{counts.notes} journal notes last changed before {counts.note_cutoff.isoformat()}")
    return f"{how}: deleted " + ("; ".join(parts) if parts else "nothing (retention is off)")


def apply_retention(actor: Actor, today: date | None = None) -> RetentionCounts:
    """An administrator applies the retention periods now, in one transaction."""
    require(actor, Action.MANAGE_RETENTION)
    with session_scope() as session:
        counts = _delete(session, today or date.today())
        trail.record(session, actor, "applied", "retention", None, _summary(counts, "applied by an administrator"))
    return counts


def scheduled_preview(today: date | None = None) -> tuple[RetentionSettings, RetentionCounts]:
    """The periods and what a run would delete, for the shell command (no signed-in person)."""
    with session_scope() as session:
        return _read(session), _count(session, today or date.today())


def apply_scheduled(today: date | None = None) -> RetentionCounts:
    """The same, run from a shell (``python -m portal apply-retention``), by the system.

    There is no signed-in person here: whoever can run the command can already
    reach the database. The trail entry has no actor and says it was scheduled.
    """
    with session_scope() as session:
        counts = _delete(session, today or date.today())
        trail.record(session, None, "applied", "retention", None, _summary(counts, "scheduled run"))
    return counts

"""What every CSV import shares: reading the file, and reporting problems by row.

An import (:mod:`qa.organisation.staff_import`, :mod:`qa.organisation.case_import`) describes its columns
with a :class:`CsvLayout`, reads the upload with :func:`read_csv`, checks every
row itself, and then uses :func:`preview` or :func:`apply` to run its checks
and (only when every row is valid) its writes in one transaction.

Problems are :class:`RowError` values numbered as a spreadsheet user sees them:
the heading row is row 1, blank lines still count, and row 0 means the file as a
whole. Reading never raises for anything a user could upload: a file that cannot
be used becomes an :class:`ImportReport` with one file-level error.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from charset_normalizer import from_bytes
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.engine import session_scope
from qa.access import trail
from qa.access.actor import Actor

MAX_ROWS = 5_000
MAX_BYTES = 2 * 1024 * 1024
FILE_LEVEL = 0  # the row number given to problems with the file as a whole
SAVE_AS_HINT = "In Excel, use Save As and choose 'CSV UTF-8 (Comma delimited)'."


# --------------------------------------------------------------------- results


@dataclass(frozen=True)
class RowError:
    """One problem. ``row`` is the spreadsheet row (heading = 1); 0 means the whole file."""

    row: int
    field: str | None
    message: str

    @property
    def file_level(self) -> bool:
        return self.row == FILE_LEVEL

    def __str__(self) -> str:
        return self.message


@dataclass
class ImportReport:
    """What an import found, and (after it is applied) what it did.

    While there are errors the counts are all zero: nothing was, or would be,
    changed. ``rows`` is the number of records read from the file.
    """

    errors: list[RowError] = field(default_factory=list)
    to_create: int = 0
    to_update: int = 0
    unchanged: int = 0
    rows: int = 0
    applied: bool = False
    #: How the file's bytes were read as text (:data:`ENCODINGS`); None for text given as a string.
    encoding: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def messages(self) -> list[str]:
        return [e.message for e in self.errors]


def file_error(message: str, rows: int = 0) -> ImportReport:
    """A report with one problem about the whole file."""
    return ImportReport(errors=[RowError(FILE_LEVEL, None, message)], rows=rows)


def row_errors(number: int, errors: dict[str, str], column_order: dict[str, int]) -> list[RowError]:
    """One row's problems as :class:`RowError` values, in column order ("row" first)."""
    ordered = sorted(errors.items(), key=lambda kv: column_order.get(kv[0], -1))
    return [RowError(number, column, f"Row {number}: {message}") for column, message in ordered]


# ------------------------------------------------------------------ the layout


@dataclass(frozen=True)
class CsvLayout:
    """The columns one kind of import reads, and what its records are called.

    ``columns`` is every column it reads, in template order; ``required`` those
    that must be in the heading row. ``item``/``items`` name one record and many
    ("person"/"people") in messages.
    """

    columns: tuple[str, ...]
    required: tuple[str, ...]
    item: str
    items: str
    max_rows: int = MAX_ROWS
    max_bytes: int = MAX_BYTES

    @property
    def optional(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.required)

    @property
    def order(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.columns)}


@dataclass
class Row:
    """One non-blank record: its spreadsheet row number and its cells, trimmed.

    ``cells`` has every column of the layout; a column missing from the heading
    row reads as blank (see :attr:`Table.present`).
    """

    number: int
    cells: dict[str, str]
    extra: bool = False  # values beyond the last heading


@dataclass
class Table:
    rows: list[Row]
    present: frozenset[str]  # the layout's columns found in the heading row
    header_row: int = 1
    encoding: str | None = None  # see ImportReport.encoding

    def __len__(self) -> int:
        return len(self.rows)


def template(columns: tuple[str, ...], *examples: list[str]) -> str:
    """A heading row and made-up example rows, as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(examples)
    return out.getvalue()


# --------------------------------------------------------------- reading files


#: What the import report says about each encoding it accepts. Excel on Windows saves
#: "CSV (Comma delimited)" in Windows-1252, and "CSV UTF-8" with a byte-order mark.
UTF8, UTF8_BOM, CP1252, CP1252_OR_LATIN1, LATIN1 = (
    "UTF-8",
    "UTF-8 with a byte-order mark (Excel's 'CSV UTF-8')",
    "Windows-1252 (Excel's 'CSV (Comma delimited)' on Windows)",
    "Windows-1252 (Excel's 'CSV (Comma delimited)' on Windows), which reads this file the same as Latin-1",
    "Latin-1 (ISO-8859-1)",
)
ENCODINGS = (UTF8, UTF8_BOM, CP1252, CP1252_OR_LATIN1, LATIN1)


def decode(raw: bytes) -> tuple[str, str] | None:
    """The file's text and which encoding was assumed (one of :data:`ENCODINGS`), or None if it is none of them.

    UTF-8 is tried first: it is strict, so text that reads as UTF-8 almost surely is. Otherwise
    charset-normalizer chooses between the two single-byte encodings a spreadsheet saves,
    Windows-1252 and Latin-1; they differ only in bytes 0x80-0x9F, where Windows-1252 has
    curly quotes, dashes and the euro sign and Latin-1 has invisible control codes.
    """
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), UTF8_BOM
        except UnicodeDecodeError:
            return None
    try:
        return raw.decode("utf-8"), UTF8
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw, cp_isolation=["cp1252", "latin_1"]).best()
    if best is None:
        return None
    text = str(best)
    if best.encoding == "cp1252":
        return text, CP1252_OR_LATIN1 if text == raw.decode("latin-1") else CP1252
    return text, LATIN1


def read_text(
    data: bytes | bytearray | memoryview | str, max_bytes: int = MAX_BYTES
) -> tuple[str, str | None] | ImportReport:
    """The upload as text, with the encoding assumed (:func:`decode`; None for text given as a string), within size."""
    encoding: str | None = None
    if isinstance(data, str):
        try:
            raw = data.encode("utf-8")
        except UnicodeEncodeError:
            return file_error(f"The file is not UTF-8 text. {SAVE_AS_HINT}")
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
    else:
        raise TypeError("data must be the file's bytes or text")
    if len(raw) > max_bytes:
        size = len(raw) / (1024 * 1024)
        return file_error(
            f"The file is {size:.1f} MB; the largest file you can import is {max_bytes // (1024 * 1024)} MB. "
            "Split it into smaller files."
        )
    if isinstance(data, str):
        text = data
    else:
        decoded = decode(raw)
        if decoded is None:
            return file_error(
                "The file's characters could not be read as UTF-8, Windows-1252 or Latin-1 text. " + SAVE_AS_HINT
            )
        text, encoding = decoded
    if "\x00" in text:
        return file_error(f"The file is not a CSV file: it contains binary data. {SAVE_AS_HINT}")
    return text, encoding


def heading(cell: str) -> str:
    """A heading as the imports compare it: trimmed, lower case, spaces and hyphens as '_'."""
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def is_blank(record: list[str]) -> bool:
    return all(not cell.strip() for cell in record)


#: Looks at the raw heading row; returns a file-level message to refuse the file, or None.
HeadingCheck = Callable[[list[str]], str | None]


def read_csv(data: bytes | str, layout: CsvLayout, check_headings: HeadingCheck | None = None) -> Table | ImportReport:
    """Read an upload into rows, or say in one message why the file cannot be used.

    ``check_headings`` runs on the heading row before anything else is looked
    at, so an import can refuse a file for what its columns are.
    """
    read = read_text(data, layout.max_bytes)
    if isinstance(read, ImportReport):
        return read
    text, encoding = read
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return file_error(f"The file could not be read as CSV. {SAVE_AS_HINT}")

    numbered = [(i, rec) for i, rec in enumerate(records, start=1) if not is_blank(rec)]
    if not numbered:
        return file_error(f"The file is empty. It needs a heading row and at least one {layout.item}.")
    header_number, header = numbered[0]
    if check_headings is not None:
        refusal = check_headings(header)
        if refusal:
            return file_error(refusal)
    headings = [heading(c) for c in header]

    missing = [c for c in layout.required if c not in headings]
    if missing:
        if len(header) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
            return file_error(
                "The file does not look like comma-separated values: its heading row uses another separator. "
                + SAVE_AS_HINT
            )
        plural = "column" if len(missing) == 1 else "columns"
        message = (
            f"The file is missing the {plural} {', '.join(missing)}. "
            f"The heading row (row {header_number}) must include: {', '.join(layout.required)}."
        )
        if layout.optional:
            message += f" It may also include: {', '.join(layout.optional)}."
        return file_error(message)
    order = layout.order
    repeated = sorted({h for h in headings if h in order and headings.count(h) > 1}, key=order.__getitem__)
    if repeated:
        return file_error(f"The heading row has the column {', '.join(repeated)} more than once.")

    position = {h: i for i, h in enumerate(headings) if h in order}
    rows = []
    for number, record in numbered[1:]:
        cells = {col: _cell(record, position.get(col)) for col in layout.columns}
        extra = any(cell.strip() for cell in record[len(headings) :])
        rows.append(Row(number, cells, extra))
    if not rows:
        return file_error(f"The file has a heading row but no {layout.items} in it.")
    if len(rows) > layout.max_rows:
        return file_error(
            f"The file has {len(rows):,} {layout.items}; one import can take at most {layout.max_rows:,}. "
            "Split it into smaller files."
        )
    return Table(rows, frozenset(position), header_number, encoding)


def _cell(record: list[str], index: int | None) -> str:
    """The trimmed value at ``index``; blank for a column the file lacks or a short row."""
    if index is None or index >= len(record):
        return ""
    return record[index].strip()


# ------------------------------------------------------------------- messages


def shown(value: str, limit: int = 60) -> str:
    """A value quoted back to the user, kept short."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def sentence(message: str) -> str:
    """A form's message, made to follow "Row N: "."""
    message = message.strip().removesuffix("Nothing has been saved.").strip()
    if len(message) > 1 and message[0].isupper() and not message[1].isupper():
        message = message[0].lower() + message[1:]
    if message and message[-1] not in ".!?":
        message += "."
    return message


# ------------------------------------------------------- checking and applying


class Plan(Protocol):
    def report(self) -> ImportReport: ...


class PlannedRow(Protocol):
    """One checked row of a plan: the record it matches, if any, and what it would change."""

    @property
    def existing(self) -> object | None: ...

    @property
    def changes(self) -> list[str]: ...


class CountedPlan:
    """The report every import's plan gives: its errors, or (only when there are none) what it would do.

    A plan sets ``rows`` and says what is wrong in :meth:`errors`; the counting is the same for every import.
    """

    rows: Sequence[PlannedRow]

    def errors(self) -> list[RowError]:
        raise NotImplementedError

    def report(self) -> ImportReport:
        errors = self.errors()
        report = ImportReport(errors=errors, rows=len(self.rows))
        if not errors:
            report.to_create = sum(1 for p in self.rows if p.existing is None)
            report.to_update = sum(1 for p in self.rows if p.existing is not None and p.changes)
            report.unchanged = sum(1 for p in self.rows if p.existing is not None and not p.changes)
        return report


P = TypeVar("P", bound=Plan)


def record_summary(
    session: Session, actor: Actor, action: str, entity: str, rows: int, created: int, updated: int
) -> None:
    """One audit-trail line for a whole import that changed something (each record has its own line too)."""
    if created or updated:
        summary = f"created {created}, updated {updated}, unchanged {rows - created - updated}"
        trail.record(session, actor, action, entity, None, summary)


def preview(table: Table, plan: Callable[[Session, Table], P]) -> ImportReport:
    """Check a file against the database and say what importing it would do. Writes nothing."""
    with session_scope() as session:
        report = plan(session, table).report()
        session.rollback()  # belt and braces: a preview never writes
    report.encoding = table.encoding
    return report


def apply(
    table: Table,
    plan: Callable[[Session, Table], P],
    write: Callable[[Session, P], None],
    conflict_message: str,
) -> ImportReport:
    """Check a file again and, only if every row is valid, write it in one transaction.

    A unique-key clash while writing means someone else changed the same records
    between the checks and the writes: nothing is written, and the report says so.
    """
    try:
        with session_scope() as session:
            planned = plan(session, table)
            report = planned.report()
            if report.ok:
                write(session, planned)
                report.applied = True
            else:
                session.rollback()
    except IntegrityError:
        return file_error(conflict_message, rows=len(table))
    report.encoding = table.encoding
    return report

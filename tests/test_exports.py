"""Exports: CSV and Excel downloads, and the printable feedback sheet.

Spreadsheets never run what a user typed: text that a spreadsheet program
would read as a formula gets a leading apostrophe, and the Excel workbook
stores all text as text. The feedback sheet PDF prints what was typed exactly
(never as markup), survives any characters, and flows across pages.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pypdf
import pytest
from openpyxl.utils.escape import unescape

from qa import exports
from qa.exports import (
    NO_REPLY,
    NONE_RECORDED,
    WHO_CAN_SEE,
    FeedbackSheetDocument,
    feedback_sheet_pdf,
    latin1_safe,
    safe_cell,
    safe_sheet_name,
    to_csv,
    to_xlsx,
)

INJECTIONS = [
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A2)",
    '   =HYPERLINK("http://evil.example","x")',
    "\t=1+1",
    "\rhello",
    "\n@x",
]

# ------------------------------------------------------------------ safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("   @x", "'   @x"),
        ("\u00a0-x", "'\u00a0-x"),  # a non-breaking space is whitespace too
        ("\t", "'\t"),
        ("\tplain", "'\tplain"),
        ("\rplain", "'\rplain"),
        ("\n=1", "'\n=1"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("e-mail", "e-mail"),
        ("x@example.org", "x@example.org"),
        ("", ""),
        ("   ", "   "),
        ("'=already quoted", "'=already quoted"),
    ],
)
def test_safe_cell_text(value, expected):
    assert safe_cell(value) == expected


@pytest.mark.parametrize(
    "value",
    [0, 42, -2, -2.5, 1.5, Decimal("-3.10"), True, False, None, date(2025, 3, 3), datetime(2025, 3, 3, 9, 0)],
)
def test_safe_cell_leaves_non_text_alone(value):
    assert safe_cell(value) is value


# ------------------------------------------------------------------------ CSV


def _read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_byte_order_mark_and_reads_back():
    data = to_csv(["Name", "Score", "Due"], [["Zoë O’Brien", 3, date(2025, 3, 7)], ("Ann", -2, None)])
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    assert _read_csv(data) == [["Name", "Score", "Due"], ["Zoë O’Brien", "3", "2025-03-07"], ["Ann", "-2", ""]]


def test_csv_injection_cells_start_with_an_apostrophe():
    data = to_csv(["text"], [[value] for value in INJECTIONS])
    rows = _read_csv(data)[1:]
    assert [row[0] for row in rows] == ["'" + value for value in INJECTIONS]
    assert all(row[0].startswith("'") for row in rows)


def test_csv_numbers_stay_numbers_and_headings_are_made_safe():
    rows = _read_csv(to_csv(["=bad heading", "n"], [["x", -2], ["y", -0.5]]))
    assert rows[0] == ["'=bad heading", "n"]
    assert [row[1] for row in rows[1:]] == ["-2", "-0.5"]


def test_csv_quotes_commas_quotes_and_line_breaks():
    awkward = 'She said "no", then left.\nSecond line, too'
    rows = _read_csv(to_csv(["note", "other"], [[awkward, "a,b"]]))
    assert rows[1] == [awkward, "a,b"]


def test_csv_dict_rows_follow_the_columns():
    rows = _read_csv(to_csv(["a", "b"], [{"b": 2, "a": "=x", "ignored": "y"}, {"a": "only a"}]))
    assert rows == [["a", "b"], ["'=x", "2"], ["only a", ""]]


def test_csv_timestamps_are_uk_local_time():
    summer = datetime(2025, 7, 1, 9, 30, tzinfo=UTC)
    winter = datetime(2025, 1, 1, 9, 30)  # naive is taken as UTC
    rows = _read_csv(to_csv(["at"], [[summer], [winter]]))
    assert [row[0] for row in rows[1:]] == ["2025-07-01 10:30:00", "2025-01-01 09:30:00"]


def test_csv_rejects_a_row_of_the_wrong_length():
    with pytest.raises(ValueError, match="row 2 has 1 values for 2 columns"):
        to_csv(["a", "b"], [["1", "2"], ["only one"]])


def test_csv_with_no_rows_is_just_the_heading():
    assert _read_csv(to_csv(["a", "b"], [])) == [["a", "b"]]


# ----------------------------------------------------------------------- XLSX


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _every_cell(workbook):
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_xlsx_values_round_trip_with_their_types():
    rows = [
        ["Zoë O’Brien", 3, -2.5, date(2025, 3, 7), True, None],
        ("123", 0, Decimal("1.25"), date(2024, 12, 31), False, "plain"),
    ]
    book = _load(to_xlsx({"Audits": (["Name", "Count", "Score", "Due", "Open", "Note"], rows)}))
    sheet = book["Audits"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values == [
        ["Name", "Count", "Score", "Due", "Open", "Note"],
        ["Zoë O’Brien", 3, -2.5, datetime(2025, 3, 7), True, None],
        ["123", 0, 1.25, datetime(2024, 12, 31), False, "plain"],
    ]
    assert sheet["A3"].data_type == "s"  # "123" stays text
    assert sheet["D2"].is_date and sheet["D2"].number_format == "yyyy-mm-dd"


def test_xlsx_never_contains_formulas_or_links():
    texts = [*INJECTIONS, "https://example.org/case/1", "mailto:a@example.org", "www.example.org"]
    data = to_xlsx({"Text": (["=heading", "text"], [["x", value] for value in texts])})
    book = _load(data)
    cells = list(_every_cell(book))
    assert cells, "the sheet should have cells"
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    assert not [cell.coordinate for cell in cells if cell.hyperlink is not None]
    sheet = book["Text"]
    assert sheet["A1"].value == "'=heading"
    # xlsxwriter stores a carriage return as Excel's "_x000D_" escape, which
    # Excel reads back as "\r" but openpyxl leaves as it is.
    column = [unescape(sheet.cell(row=i + 2, column=2).value) for i in range(len(texts))]
    assert column[: len(INJECTIONS)] == ["'" + value for value in INJECTIONS]
    assert column[len(INJECTIONS) :] == texts[len(INJECTIONS) :]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = [archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")]
    assert sheet_xml and not any(re.search(rb"<f[ >]", xml) for xml in sheet_xml)


def test_xlsx_heading_is_bold_and_frozen_and_columns_are_sized():
    long_text = "x" * 500
    book = _load(to_xlsx({"S": (["Short", "Long", "Due"], [["a", long_text, date(2025, 1, 1)]])}))
    sheet = book["S"]
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    widths = {key: dim.width for key, dim in sheet.column_dimensions.items()}
    assert 8 <= widths["A"] < 20
    assert 20 < widths["B"] <= 61  # capped, not 500 wide
    assert widths["C"] >= 10  # room for yyyy-mm-dd


def test_xlsx_timestamps_are_uk_local_time():
    book = _load(to_xlsx({"S": (["at"], [[datetime(2025, 7, 1, 9, 30, tzinfo=UTC)]])}))
    assert book["S"]["A2"].value == datetime(2025, 7, 1, 10, 30)


def test_xlsx_several_sheets_with_dict_rows():
    book = _load(
        to_xlsx(
            {
                "Actions": (["a", "b"], [{"a": 1, "b": "@x"}]),
                "Empty": (["only heading"], []),
            }
        )
    )
    assert book.sheetnames == ["Actions", "Empty"]
    assert [c.value for c in book["Actions"][2]] == [1, "'@x"]
    assert book["Empty"].max_row == 1


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Actions", "Actions"),
        ("Q1/Q2 [draft]: a*b?c\\d", "Q1-Q2 -draft-- a-b-c-d"),
        ("x" * 40, "x" * 31),
        ("'quoted'", "quoted"),
        ("", "Sheet"),
        ("  ", "Sheet"),
        ("[]:*?/\\", "-------"),
        ("history", "history-"),
        ("tab\there", "tab-here"),
    ],
)
def test_safe_sheet_name(name, expected):
    assert safe_sheet_name(name) == expected


def test_xlsx_sheet_names_are_valid_and_unique():
    names = ["North/East: 2025", "North\\East: 2025", "N" * 40, "N" * 45, "[x]", "History"]
    book = _load(to_xlsx({name: (["a"], [[1]]) for name in names}))
    assert len(book.sheetnames) == len(names)
    assert len({name.casefold() for name in book.sheetnames}) == len(names)
    for name in book.sheetnames:
        assert 1 <= len(name) <= 31
        assert not set(name) & set("[]:*?/\\")
        assert not name.startswith("'") and not name.endswith("'")
        assert name.casefold() != "history"


# ------------------------------------------------------------------------ PDF


@pytest.fixture(params=["unicode font", "core font"])
def font_mode(request, monkeypatch):
    """Run each PDF test with DejaVu Sans (when installed) and with Helvetica."""
    if request.param == "unicode font":
        if not exports.DEJAVU_SANS.is_file():
            pytest.skip("DejaVu Sans is not installed")
    else:
        monkeypatch.setattr(exports, "DEJAVU_SANS", exports.Path("/nonexistent/DejaVuSans.ttf"))
    return request.param


def _doc(**changes) -> FeedbackSheetDocument:
    values = dict(
        case_ref="C123456",
        pdu_name="North Tyneside",
        event_date=date(2025, 3, 3),
        holder_name="Alex Holder",
        spo_name="Sam Senior",
        auditors=["Pat Auditor", "Kim Auditor"],
        status="feedback sent",
        instrument_title="LEARN risk of harm",
        instrument_version=2,
        section_judgements=[
            ("Assessment", "Partly", "Risk factors listed; protective factors missing."),
            ("Planning", "Yes", "Plan matches the assessment."),
        ],
        good_practice="Thorough, timely assessment.",
        improvement="Record protective factors.",
        improvement_themes=["Assessment quality", "", "Recording"],
        concerns="",
        concern_themes=[],
        actions=[("Update the risk plan", "Alex Holder", date(2025, 4, 1), "open")],
        holder_reply=None,
        generated_at=datetime(2025, 7, 4, 12, 0, tzinfo=UTC),
    )
    values.update(changes)
    return FeedbackSheetDocument(**values)


def _pages(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [page.extract_text() or "" for page in reader.pages]


def _squash(text: str) -> str:
    """Text without whitespace: extraction may break lines anywhere."""
    return "".join(text.split())


def test_pdf_short_sheet_is_one_page_with_everything_in_order(font_mode):
    data = feedback_sheet_pdf(_doc())
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    pages = _pages(data)
    assert len(pages) == 1
    text = pages[0]
    assert "LEARN case audit feedback" in text
    assert "Case C123456 \u00b7 North Tyneside \u00b7 audit event 3 March 2025" in text
    assert _squash(WHO_CAN_SEE) in _squash(text)
    for expected in ["Alex Holder", "Sam Senior", "Pat Auditor, Kim Auditor", "Feedback sent", "LEARN risk of harm"]:
        assert expected in text
    headings = [
        "Good practice examples",
        "Areas for improvement",
        "Concerns",
        "Action(s) required",
        "Section judgements",
        "Case holder's reply",
    ]
    positions = [text.index(heading) for heading in headings]
    assert positions == sorted(positions), "sections are out of order"
    concerns = text[positions[2] : positions[3]]
    assert NONE_RECORDED in concerns  # blank concerns
    assert "Assessment quality, Recording" in text
    assert "Update the risk plan" in text and "1 April 2025" in text and "Open" in text
    assert "Protective factors missing." in text or _squash("protective factors missing.") in _squash(text)
    assert text[positions[5] :].count(NO_REPLY) == 1
    assert "Page 1 of 1" in text
    assert "Generated 4 July 2025 13:00 from the Practice Quality Portal" in text  # UK summer time


def test_pdf_empty_sections_say_none_recorded(font_mode):
    doc = _doc(
        good_practice="",
        improvement="   ",
        improvement_themes=[],
        concerns=None,
        actions=[],
        section_judgements=[],
        holder_reply="I agree and have updated the plan.",
        spo_name=None,
        auditors=[],
    )
    text = "\n".join(_pages(feedback_sheet_pdf(doc)))
    assert text.count(NONE_RECORDED) == 5
    assert NO_REPLY not in text
    assert "I agree and have updated the plan." in text


def test_pdf_long_sheet_flows_across_pages_with_page_numbers(font_mode):
    lines = [
        f"Line {n:03d} of the good practice notes, written at some length to fill the page." for n in range(1, 201)
    ]
    data = feedback_sheet_pdf(_doc(good_practice="\n".join(lines), holder_reply="Reply at the very end."))
    pages = _pages(data)
    total = len(pages)
    assert total > 1
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {total}" in text
        assert "from the Practice Quality Portal" in text
    everything = _squash("".join(pages))
    for n in range(1, 201):
        assert f"Line{n:03d}ofthegoodpractice" in everything
    first = next(i for i, text in enumerate(pages) if "Line 001" in text)
    last = next(i for i, text in enumerate(pages) if "Line 200" in text)
    assert last > first
    assert "Reply at the very end." in pages[-1]


def test_pdf_very_long_words_and_table_cells_wrap(font_mode):
    doc = _doc(
        good_practice="x" * 3000,
        actions=[("d" * 500, "An owner with a long name " * 3, date(2025, 4, 1), "done")],
        section_judgements=[("S" * 200, "Partly", "R" * 500)],
    )
    pages = _pages(feedback_sheet_pdf(doc))
    everything = _squash("".join(pages))
    assert "x" * 3000 in everything
    assert "d" * 500 in everything and "R" * 500 in everything


HOSTILE = "<script>alert(1)</script> **not bold** __nor this__ {nb} <b>tag</b> &amp; \\n"


def test_pdf_prints_markup_literally(font_mode):
    doc = _doc(good_practice=HOSTILE, concerns=HOSTILE, holder_reply=HOSTILE, actions=[(HOSTILE, "A", None, "open")])
    text = "\n".join(_pages(feedback_sheet_pdf(doc)))
    assert "<script>alert(1)</script>" in text
    assert _squash(HOSTILE) in _squash(text)
    assert _squash(text).count(_squash(HOSTILE)) == 4


def test_pdf_survives_any_characters(font_mode):
    awkward = (
        "Emoji 😀👍🏽❤️👨‍👩‍👧 “curly” ‘quotes’ – en — em … "
        "Łódź Дмитрий 王 عربى \u200b\u202e\x00\x07 tab\there\r\nnew line"
    )
    doc = _doc(
        case_ref="C“1”",
        pdu_name="Tyne – Wear 😀",
        holder_name="Zoë Łukasz",
        auditors=["Dmitrii Дмитрий"],
        good_practice=awkward,
        improvement_themes=["Theme 😀"],
        section_judgements=[("Section “A”", "Yes", awkward)],
        actions=[(awkward, "Owner 😀", date(2025, 1, 1), "open")],
        holder_reply=awkward,
    )
    data = feedback_sheet_pdf(doc)
    assert data.startswith(b"%PDF-")
    text = "\n".join(_pages(data))
    assert "Emoji" in text and "new line" in text
    if font_mode == "core font":
        assert "\"curly\" 'quotes' - en - em ..." in text
        assert "Lódz" in text and "Zoë Lukasz" in text
    else:
        assert "“curly” ‘quotes’ – en — em …" in text
        assert "Łódź" in text and "Дмитрий" in text


def test_pdf_footer_date_in_winter_and_for_naive_utc(font_mode):
    text = _pages(feedback_sheet_pdf(_doc(generated_at=datetime(2025, 1, 9, 8, 5))))[0]
    assert "Generated 9 January 2025 08:05 from the Practice Quality Portal" in text


# --------------------------------------------------------------- latin1_safe


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ASCII", "plain ASCII"),
        ("café Zoë naïve £5 ½", "café Zoë naïve £5 ½"),
        ("“double” ‘single’ it’s", "\"double\" 'single' it's"),
        ("a – b — c − d", "a - b - c - d"),
        ("wait…", "wait..."),
        ("€10 → ≥ ™", "EUR10 -> >= (TM)"),
        ("ā ő Łódź", "a o Lódz"),
        ("smile 😀", "smile ?"),
        ("王", "?"),
        ("zero\u200bwidth\u202e", "zerowidth"),
        ("e\u0301", "é"),
        ("line\r\nbreak\rand\ttab\x00", "line\nbreak\nand    tab"),
        ("narrow\u202fspace", "narrow space"),
    ],
)
def test_latin1_safe(text, expected):
    assert latin1_safe(text) == expected
    latin1_safe(text).encode("latin-1")


def test_latin1_safe_output_always_encodes():
    everything = "".join(chr(c) for c in range(0, 0x3000)) + "😀👍🏽🇬🇧"
    latin1_safe(everything).encode("latin-1")

"""Hostile input is shown as typed and never acts: on every screen it reaches,
and in every export.

Payloads (script and image tags, a ``javascript:`` link, Markdown, Streamlit
colour and icon directives, a right-to-left override, spreadsheet formulas
and very long text) are written through the services into each kind of text
field: a journal note, a debrief, a feedback sheet, an audit action, an
observation's notes and evidence, the practitioner's replies, supervision
notes and decisions, an agenda item, and a person's name from a staff import.
Then:

- the screens that show them are run through AppTest, and no text that
  Streamlit renders as Markdown (body text, captions, titles, alerts, and the
  labels of buttons, boxes, links, expanders and tabs) holds the payload
  unescaped; each screen must show the payload somewhere, so the check cannot
  pass by showing nothing;
- no page passes user text to ``unsafe_allow_html`` or raw HTML at all;
- CSV and XLSX exports put an apostrophe before formula cells and hold no
  formulas or links; PDFs print the text literally with no links or script;
  the Markdown journal export escapes HTML and link syntax.

The same payload is checked in a real browser by tests/browser/test_hostile_input.py.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from db.audits import AnswerInput, AuditActionCreate, AuditEventCreate, FeedbackSheetUpdate, HolderReply
from db.engine import session_scope
from db.observations import DevelopmentGoalCreate, ObservationPlan, ObservationRecord, PractitionerReply, RatingInput
from db.organisation import Case, User
from db.reflection import DebriefCreate, EntryKind
from db.supervision import SessionRecordCreate
from pages import _registry as screens
from pages._ui import BIDI_CONTROLS, label_text, literal, plain
from qa.audits import events as audit_events
from qa.audits import exports as audit_exports
from qa.audits import workflow
from qa.observations import workflow as observations
from qa.organisation import staff_import
from qa.privacy import subject_access
from qa.reflection import debriefs, journal, journal_export, sharing
from qa.supervision import agenda
from qa.supervision import records as supervision
from qa.validation import validate
from tests.conftest import examples
from tests.factories import PASSWORD, case_pool
from tests.test_observations import RECORD, accept_invitation, ratings

ROOT = Path(__file__).resolve().parent.parent
TODAY = date.today()

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
LINK = "[click](javascript:alert(1))"
MARKDOWN = "**bold** # heading"
DIRECTIVES = ":red[loud] :material/warning: :smile:"
RTL = "\u202eevil"
ENTITY = "&lt;b&gt; &amp;"  # typed entities show as typed, never as "<b> &"
LATEX = "$x^2$"
ISOLATE = "\u2067isolated\u2069 \u200fmark"  # a right-to-left isolate and a right-to-left mark
#: Everything that must never act, in one line of text (186 characters).
MARKUP = f"{SCRIPT} {IMG} {LINK} {MARKDOWN} {DIRECTIVES} {ENTITY} {LATEX} {RTL} {ISOLATE}"
FORMULA = '=HYPERLINK("http://x")'
LONG = " ".join(["very long"] * 1500)  # 14,999 characters

#: In Markdown these would become an element, a link, emphasis, a heading, a
#: colour, an icon or reversed text. Escaped text always has a backslash in
#: front of the special character, so none of these can match it.
LIVE = [
    re.compile(r"(?<!\\)<script", re.I),
    re.compile(r"(?<!\\)<img", re.I),
    re.compile(r"(?<!\\)\[click(?<!\\)\]"),
    re.compile(r"(?<!\\)\*\*bold"),
    re.compile(r"(?<![\\*])# heading"),
    re.compile(r"(?<!\\):red(?<!\\)\[loud"),
    re.compile(r"(?<!\\):material(?<!\\)/"),
    re.compile(r"(?<!\\):smile(?<!\\):"),
    re.compile("\u202e"),
]
#: How the payload looks once escaped for Markdown (pages/_ui.plain).
ESCAPED_LINK = r"\[click\]\(javascript\:alert\(1\)\)"

MARKDOWN_VALUES = {
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "error",
    "warning",
    "info",
    "success",
    "toast",
}
TEXT_VALUES = {"text", "text_input", "text_area", "code", "json"}
BOXES = {"text_input", "text_area"}


# --- the world --------------------------------------------------------------------------

#: Every hostile text the world fixtures type into a field, by a short tag that is also in the text
#: (so a failure names the field). The walk over every page checks each is shown exactly as typed.
SEEDED: dict[str, str] = {}


def seed(tag: str, text: str) -> str:
    SEEDED.setdefault(tag, text)
    return text


def import_hostile_colleague(org) -> str:
    """A staff import whose full name is hostile. Returns the name as stored.

    A name may not begin like a formula (tests/test_formula_names.py), so the formula comes after the markup.
    """
    name = f"{IMG} {LINK} {RTL} {FORMULA}"
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            staff_import.STAFF_COLUMNS,
            ["H001", name, "hostile@example.org", "PO", "practitioner", "North PDU", "Team A", "S001"],
        ]
    )
    report = staff_import.import_staff(org.actor(org.admin_id), out.getvalue())
    assert report.ok, report.errors
    return name


@pytest.fixture
def world(org):
    pat, spo, bea = org.actor(org.practitioner_id), org.actor(org.spo_id), org.actor(org.spo_b_id)
    hostile_name = import_hostile_colleague(org)

    # A LEARN audit of Pat's case, with hostile evidence, sheet and action; Pat replies.
    case_pool(org, 16)
    with session_scope() as session:  # the hostile colleague holds Pip's cases, so their name is in the event's exports
        hostile_id = session.exec(select(User.id).where(User.staff_id == "H001")).one()
        for case in session.exec(select(Case).where(Case.holder_id == org.peer_id)):
            case.holder_id = hostile_id
            session.add(case)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead,
        validate(AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": date(2026, 12, 10), "sample_size": 12}),
    )
    audit_events.accept_sample(lead, event.id)
    audit_id = auditor = None
    for pair in audit_events.pairs_view(lead, event.id).pairs:
        for case in pair.cases:
            who = org.actor(pair.first_id)
            if audit_id is None and workflow.audit_detail(who, case.audit_id).holder_id == org.practitioner_id:
                audit_id, auditor = case.audit_id, who
    detail = workflow.audit_detail(auditor, audit_id)
    keys = [q.key for s in detail.definition.sections for q in s.questions]
    starts = [FORMULA, "+1", "-2", "@SUM(A1)"]
    answers = [
        {"question_key": k, "answer": "yes", "evidence": seed("AEV", f"{starts[i % 4]} AEV {MARKUP}")}
        for i, k in enumerate(keys)
    ]
    sheet = {
        "good_practice": seed("AGP", f"{FORMULA} AGP {MARKUP}"),
        "improvement": seed("AIM", f"+1 AIM {MARKUP}"),
        "concerns": seed("ACO", f"-2 ACO {MARKUP}") + f" {LONG[:3000]}",
    }
    version = workflow.save_draft(
        auditor,
        audit_id,
        [validate(AnswerInput, a) for a in answers],
        validate(FeedbackSheetUpdate, sheet),
        detail.version,
    )
    workflow.add_action(
        auditor,
        audit_id,
        validate(
            AuditActionCreate,
            {
                "description": seed("AAC", f"@SUM(A1) AAC {MARKUP}"),
                "owner_id": org.practitioner_id,
                "due_date": TODAY - timedelta(days=1),
            },
        ),
        today=TODAY - timedelta(days=3),
    )
    workflow.submit(auditor, audit_id, version)
    workflow.reply(pat, audit_id, validate(HolderReply, {"reply": seed("ARE", f"-2 ARE {MARKUP}")}))

    # An observation of Pat, with hostile notes and evidence; Pat replies.
    obs_id = observations.plan_observation(
        bea,
        validate(
            ObservationPlan,
            {
                "practitioner_id": org.practitioner_id,
                "observer_id": org.spo_b_id,
                "observed_on": TODAY - timedelta(days=2),
                "setting": "office",
                "mode": "live",
            },
        ),
    )
    accept_invitation(org, obs_id)
    hostile_ratings = [r | {"evidence": seed("OEV", f"{FORMULA} OEV {MARKUP}")} for r in ratings()]
    observations.save_record(
        bea,
        obs_id,
        validate(
            ObservationRecord,
            RECORD
            | {
                "observed_on": TODAY - timedelta(days=2),
                "strengths": seed("OST", f"{FORMULA} OST {MARKUP}"),
                "development_points": seed("ODP", f"ODP {MARKUP}") + f" {LONG[:3000]}",
            },
        ),
        [validate(RatingInput, r) for r in hostile_ratings],
        None,
    )
    goal_id = observations.add_goal(
        bea,
        obs_id,
        validate(
            DevelopmentGoalCreate,
            {"description": seed("OGO", f"+1 OGO {MARKUP}"), "review_date": TODAY + timedelta(days=5)},
        ),
    )
    observations.share(bea, obs_id)
    observations.agree_goal(pat, goal_id)
    observations.reply(
        pat,
        obs_id,
        validate(
            PractitionerReply, {"reflection": seed("ORF", f"ORF {MARKUP}"), "reply": seed("ORP", f"-2 ORP {MARKUP}")}
        ),
    )

    # Pat's private space: a note and a debrief, shared with the SPO; an agenda item.
    note_id = journal.new_note(pat)
    journal.save_note(
        pat,
        note_id,
        title=seed("JTI", f"JTI {MARKUP}"),
        sections={"notes": seed("JNO", f"JNO {MARKUP}") + f"\n{LONG}"},
        tags=[LINK, "**bold**"],
        finished=True,
    )
    sharing.share(pat, EntryKind.NOTE, note_id, org.spo_id, for_supervision=True)
    saved = debriefs.record_debrief(
        pat,
        validate(
            DebriefCreate,
            {
                "feelings": ["anxious"],
                "intensity": 6,
                "what_happened": seed("DWH", f"{FORMULA} DWH {MARKUP}"),
                "what_helped": seed("DWP", f"DWP {MARKUP}"),
            },
        ),
    )
    sharing.share(pat, EntryKind.DEBRIEF, saved.id, org.spo_id)
    agenda.add_item(pat, org.practitioner_id, seed("GIT", f"{FORMULA} GIT {MARKUP}"))

    # A supervision record with hostile notes, decision and action.
    session_id = supervision.record_session(
        spo,
        validate(
            SessionRecordCreate,
            {
                "participant_ids": [org.practitioner_id],
                "kind": "one-to-one",
                "held_on": TODAY,
                "accountability": True,
                "notes": seed("SNO", f"{FORMULA} SNO {MARKUP}") + f" {LONG[:5000]}",
                "personal_notes": seed("SPN", f"SPN {MARKUP}"),
                "personal_private": True,
                "case_discussions": [
                    {
                        "case_ref": "N100000",
                        "decision": seed("SDE", f"{FORMULA} SDE {MARKUP}"),
                        "rationale": seed("SRA", f"SRA {MARKUP}"),
                    }
                ],
                "actions": [
                    {
                        "description": seed("SAC", f"+1 SAC {MARKUP}"),
                        "owner_id": org.practitioner_id,
                        "due_date": TODAY + timedelta(days=14),
                    }
                ],
            },
        ),
    )
    return {
        "audit_id": audit_id,
        "event_id": event.id,
        "obs_id": obs_id,
        "note_id": note_id,
        "debrief_id": saved.id,
        "session_id": session_id,
        "hostile_name": hostile_name,
        "lead": lead,
    }


# --- reading what is on screen ------------------------------------------------------------


def assert_inert_and_shown(at, where: str) -> None:
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    markdown, literal = shown_text(at, boxes=True)
    for text in markdown:
        for pattern in LIVE:
            assert not pattern.search(text), f"{where}: live markup {pattern.pattern!r} in {text[:200]!r}"
    shown = any(ESCAPED_LINK in t for t in markdown) or any(LINK in t for t in literal)
    assert shown, f"{where}: the payload should be on this screen (escaped or as plain text)"


def visit(app, email: str, page: str, **query):
    from tests.conftest import sign_in

    at = sign_in(app(), email, PASSWORD)
    at.switch_page(page)
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


# --- the screens -----------------------------------------------------------------------------


def test_the_practitioners_screens_show_hostile_text_inert(app, world):
    for page, query in [
        (screens.JOURNAL.file, {}),
        (screens.JOURNAL_NOTE.file, {"note": world["note_id"]}),
        (screens.MY_WELLBEING.file, {}),
        (screens.AUDIT_CASE.file, {"audit": world["audit_id"]}),
        (screens.AUDIT_FEEDBACK_MINE.file, {}),
        (screens.OBSERVATION.file, {"observation": world["obs_id"]}),
        (screens.MY_DEVELOPMENT.file, {}),
        (screens.MY_SUPERVISION.file, {}),
        (screens.SUPERVISION_RECORD.file, {"session": world["session_id"]}),
        (screens.HOME_PRACTITIONER.file, {}),
    ]:
        assert_inert_and_shown(visit(app, "pat@example.org", page, **query), page)


def test_the_spos_screens_show_hostile_text_inert(app, world):
    for page, query in [
        (screens.SHARED_WITH_ME.file, {}),
        (screens.JOURNAL_NOTE.file, {"note": world["note_id"]}),
        (screens.SUPERVISION_TEAM.file, {}),
        (screens.AUDIT_CASE.file, {"audit": world["audit_id"]}),
        (screens.AUDIT_FEEDBACK_TEAM.file, {}),
        (screens.SUPERVISION_RECORD.file, {"session": world["session_id"]}),
        (screens.HOME_SPO.file, {}),
    ]:
        assert_inert_and_shown(visit(app, "spo@example.org", page, **query), page)


def test_the_observers_qa_leads_and_administrators_screens_show_hostile_text_inert(app, world):
    assert_inert_and_shown(
        visit(app, "spo.b@example.org", screens.OBSERVATION.file, observation=world["obs_id"]), "observer"
    )
    assert_inert_and_shown(
        visit(app, "qa@example.org", screens.AUDIT_CASE.file, audit=world["audit_id"]), "QA lead: audit"
    )
    assert_inert_and_shown(visit(app, "admin@example.org", screens.USERS.file), "admin: users")


# --- every page, as every role: each hostile string shown exactly as typed ------------------------
#
# Names and other short fields get a compact payload (they have limits of 80 characters and up):
# HTML, a link whose text differs from its address, emphasis, LaTeX, a colour, an icon, an entity
# and a direction override. Everything else carries MARKUP (see the world fixture).


def short(tag: str) -> str:
    return seed(tag, f"{tag} <b>b</b> [t](https://e.org) **x** $y$ :red[r] :material/home: &lt; \u202eZ")


@pytest.fixture
def named_world(org, world):
    """The world, plus hostile names: a PDU, a team, support contacts and a learning theme."""
    from db.organisation import PduCreate, TeamCreate
    from db.reflection import SupportContactCreate
    from qa.organisation import org as org_service
    from qa.reflection import support

    admin = org.actor(org.admin_id)
    org_service.create_pdu(admin, validate(PduCreate, {"name": short("NPD"), "region_id": org.region_id}))
    org_service.create_team(admin, validate(TeamCreate, {"name": short("NTE"), "pdu_id": org.north_pdu_id}))
    support.add_contact(
        admin,
        validate(
            SupportContactCreate,
            {
                "name": short("NSC"),
                "description": seed("NSD", f"NSD {MARKUP}"),
                "how_to_reach": seed("NSH", f"NSH {MARKUP} https://help.example.org"),
            },
        ),
    )
    workflow.add_learning_theme(world["lead"], short("NTH"))
    seed("NPE", world["hostile_name"])
    return world


#: Who walks, and which of the small organisation's people they are.
WALKERS = {
    "practitioner": "pat@example.org",
    "SPO": "spo@example.org",
    "observer": "spo.b@example.org",
    "QA lead": "qa@example.org",
    "administrator": "admin@example.org",
}

#: Where a field of the corpus is expected to be read, beyond any page that happens to show it: every
#: seeded tag must be found, as typed, on at least one page some role opens.
UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation
LIVE_ENTITY = re.compile(r"(?<!\\)&(?:lt|gt|amp);")


def screens_for(roles) -> list:
    """Every screen in the menu of someone with ``roles``, hidden record screens included, once each."""
    found: list = []
    for section in screens.MENU:
        if section.roles is None or set(section.roles) & set(roles):
            found += [entry.screen for entry in section.entries if entry.screen not in found]
    return found


def shown_text(at, *, boxes: bool = False) -> tuple[list[str], list[str]]:
    """(text Streamlit renders as Markdown, text it shows literally), from every element on the page.

    Markdown: body text, captions, titles, alerts, toasts, and the labels of widgets, links, expanders
    and tabs, radio options and st.table cells. Literal: st.text and st.code, st.dataframe cells, and
    selectbox and multiselect options. Not a text box's value: that is the author's own text, kept
    exactly as typed so that saving it again never changes it.
    """
    markdown, literal_ = [], []
    for node in (*at.main, *at.sidebar, *at.toast):
        kind = getattr(node, "type", "")
        value = getattr(node, "value", None)
        if kind in MARKDOWN_VALUES and isinstance(value, str):
            markdown.append(value)
        elif kind in (TEXT_VALUES if boxes else TEXT_VALUES - BOXES) and isinstance(value, str):
            literal_.append(value)
        # A box's value is left out unless asked for: it holds exactly what its author typed, so saving never changes it.
        proto = getattr(node, "proto", None)
        for attr in ("label", "help"):
            text = getattr(node, attr, None)
            if not isinstance(text, str) and proto is not None and hasattr(proto, attr):
                text = getattr(proto, attr)  # elements whose AppTest wrapper does not expose it
            if isinstance(text, str) and text:
                markdown.append(text)
        if kind == "radio":
            markdown += [str(o) for o in node.options]
        elif kind in ("selectbox", "multiselect"):
            literal_ += [str(o) for o in node.options]
        elif kind in ("table", "dataframe"):
            frame = node.value
            cells = [str(c) for c in frame.columns] + [str(v) for row in frame.itertuples(index=False) for v in row]
            (markdown if kind == "table" else literal_).extend(cells)
    return markdown, literal_


def check_page(at, where: str, seen: list[str]) -> None:
    """Nothing on the page acts, nothing reverses, and every hostile text on it is escaped for where it is."""
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    markdown, literal_ = shown_text(at)
    for text in markdown + literal_:
        controls = sorted({f"U+{ord(c):04X}" for c in text if c in BIDI_CONTROLS})
        assert not controls, f"{where}: direction control {controls} shown raw in {text[:120]!r}"
    for text in markdown:
        for pattern in LIVE:
            assert not pattern.search(text), f"{where}: live markup {pattern.pattern!r} in {text[:200]!r}"
        assert not LIVE_ENTITY.search(text), f"{where}: an entity Markdown would decode, in {text[:200]!r}"
        read = UNESCAPE.sub(r"\1", text)
        for tag, typed in SEEDED.items():
            if literal(typed) in read:
                assert plain(typed) in text or label_text(typed) in text, (
                    f"{where}: {tag} is on the page but not escaped for Markdown: {text[:200]!r}"
                )
    seen += [UNESCAPE.sub(r"\1", t) for t in markdown] + literal_


def _found(typed: str, seen: list[str]) -> bool:
    return any(literal(typed) in text for text in seen)


def test_every_page_as_every_role_shows_every_hostile_string_exactly_as_typed(app, named_world):
    """Each role signs in and opens every screen in its menu (record screens on the world's records). On every page
    nothing acts or reverses (check_page), and every field of the corpus is read on some page exactly
    as typed, its direction controls as visible markers."""
    from qa.access.auth import load_actor
    from tests.conftest import sign_in

    seen: list[str] = []
    for email in WALKERS.values():
        with session_scope() as session:
            user_id = session.exec(select(User.id).where(User.email == email)).one()
        # One signed-in session per person, walking from screen to screen as they would: signing in
        # afresh for each screen cost a password check and two extra runs, and checked nothing more.
        at = sign_in(app(), email, PASSWORD)
        for screen in screens_for(load_actor(user_id).roles):
            at.query_params.clear()
            at.switch_page(screen.file)
            query = {
                screens.AUDIT_CASE: ("audit", named_world["audit_id"]),
                screens.AUDIT_EVENT: ("event", named_world["event_id"]),
                screens.OBSERVATION: ("observation", named_world["obs_id"]),
                screens.JOURNAL_NOTE: ("note", named_world["note_id"]),
                screens.SUPERVISION_RECORD: ("session", named_world["session_id"]),
            }.get(screen)
            if query:
                at.query_params[query[0]] = str(query[1])
            check_page(at.run(), f"{email} on {screen.title}", seen)
    missing = {tag: typed[:40] for tag, typed in SEEDED.items() if not _found(typed, seen)}
    assert not missing, f"never shown as typed on any page: {missing}"


def test_pages_show_literal_text_only_through_the_display_function():
    """st.text, st.code, st.dataframe and st.table are only called inside pages/_ui.py's helpers.

    Pages use show_text, literal, dataframe and table instead, so every such path goes through
    pages/_ui.display (the walk above checks what they show). st.code is allowed on literal(...) text.
    """
    import ast

    offenders = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        if path.name == "_ui.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            name = node.func.attr
            through_literal = (
                bool(node.args)
                and isinstance(node.args[0], ast.Call)
                and isinstance(node.args[0].func, ast.Name)
                and node.args[0].func.id == "literal"
            )
            if name in ("text", "dataframe", "table") or (name == "code" and not through_literal):
                offenders.append(f"{path.name}:{node.lineno} .{name}(")
    assert not offenders, f"show user text through pages/_ui (show_text, literal, dataframe, table): {offenders}"


def _portal_html(call: ast.Call) -> bool:
    """The two st.html calls that hold no user text: the stylesheet's link (pages/_registry.STYLESHEET,
    a constant) and the error summary's anchor, whose only variable part is error_anchor() (a-z, 0-9, -)."""
    if not call.args:
        return False
    body = call.args[0]
    if isinstance(body, ast.Name):
        return body.id == "STYLESHEET"
    return isinstance(body, ast.JoinedStr) and all(
        isinstance(part, ast.Constant)
        or (
            isinstance(part, ast.FormattedValue)
            and isinstance(part.value, ast.Call)
            and isinstance(part.value.func, ast.Name)
            and part.value.func.id == "error_anchor"
        )
        for part in body.values
    )


def test_no_page_renders_raw_html():
    offenders = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        source = path.read_text(encoding="utf-8")
        for needle in ("unsafe_allow_html", "components.html(", "components.v1", "st.components"):
            if needle in source:
                offenders.append(f"{path.name}: {needle}")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "html":
                if not _portal_html(node):
                    offenders.append(f"{path.name}:{node.lineno}: st.html(")
    assert not offenders, offenders


# --- exports -----------------------------------------------------------------------------------


def formula_like(value) -> bool:
    return isinstance(value, str) and value.lstrip()[:1] in ("=", "+", "-", "@")


def test_event_results_csv_prefixes_every_formula_cell(world):
    data = audit_exports.event_results_csv(world["lead"], world["event_id"]).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    holders = {row[rows[0].index("Case holder")] for row in rows[1:]}
    assert world["hostile_name"] in holders, "the name is exported as typed"
    assert not [c for row in rows for c in row if formula_like(c)], "a cell would run as a formula"


def test_event_results_xlsx_holds_text_only_never_formulas_or_links(world):
    book = openpyxl.load_workbook(io.BytesIO(audit_exports.event_results_xlsx(world["lead"], world["event_id"])))
    seen_formula_text, starts = False, set()
    for sheet in book.worksheets:
        assert not sheet._hyperlinks
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                assert cell.hyperlink is None
                assert not formula_like(cell.value), f"{sheet.title}!{cell.coordinate}: {cell.value!r}"
                seen_formula_text |= isinstance(cell.value, str) and cell.value.startswith("'" + FORMULA)
                if isinstance(cell.value, str) and cell.value[:1] == "'":
                    starts.add(cell.value[1])
    assert seen_formula_text and starts >= {"=", "+", "-", "@"}


def _pdf(data: bytes) -> tuple[str, bytes]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        assert "/Annots" not in page, "no links or other annotations"
    root = reader.trailer["/Root"]
    assert "/JavaScript" not in root and "/Names" not in root and "/AA" not in root
    # fpdf2 opens the document at page 1 (a destination, never an action).
    assert "/OpenAction" not in root or isinstance(root["/OpenAction"], list)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split()), data


def test_the_feedback_sheet_pdf_prints_the_text_literally(org, world):
    text, raw = _pdf(audit_exports.feedback_pdf(org.actor(org.practitioner_id), world["audit_id"]))
    for piece in (SCRIPT, IMG, LINK, "**bold** # heading", FORMULA):
        assert piece in text, piece
    assert b"/JS" not in raw and b"/URI" not in raw


def test_the_journal_pdf_prints_the_text_literally(org, world):
    text, raw = _pdf(journal_export.journal_pdf(org.actor(org.practitioner_id)))
    assert SCRIPT in text and LINK in text and "\u202e" not in text
    assert b"/JS" not in raw and b"/URI" not in raw


def test_the_markdown_journal_export_has_no_live_html_or_links(org, world):
    exported = journal_export.journal_markdown(org.actor(org.practitioner_id))
    for pattern in LIVE[:5]:
        assert not pattern.search(exported), pattern.pattern
    assert "&lt;script&gt;" in exported and "&lt;img src=x onerror=alert(1)&gt;" in exported
    assert r"\[click\](javascript:alert(1))" in exported
    assert r"\*\*bold\*\* \# heading" in exported
    assert LONG[:200] in exported, "long text is exported in full"


def test_the_subject_access_csvs_prefix_formula_cells(org, world):
    with zipfile.ZipFile(io.BytesIO(subject_access.export_for(org.actor(org.practitioner_id)))) as archive:
        csvs = {n: archive.read(n).decode("utf-8-sig") for n in archive.namelist() if n.endswith(".csv")}
    cells = [c for data in csvs.values() for row in csv.reader(io.StringIO(data)) for c in row]
    for start in ("'" + FORMULA, "'+1 ", "'-2 ", "'@SUM(A1) "):
        assert any(c.startswith(start) for c in cells), start
    assert any(SCRIPT in c and IMG in c and LINK in c for c in cells), "the text itself is kept as typed"
    assert not [c for c in cells if formula_like(c)], "a cell would run as a formula"


# --- staff import: whatever the name, it is stored as typed or refused, never half-imported -----

NAMES = st.one_of(
    st.text(min_size=1, max_size=130),
    st.sampled_from(
        [SCRIPT, IMG, LINK, MARKDOWN, FORMULA, "+1", "-2", "@SUM(A1)", RTL, "\x00bad", "a\nb", "=cmd|' /C calc'!A0"]
    ),
)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_an_imported_name_is_stored_exactly_or_refused_with_a_reason(org, name):
    from sqlmodel import func, select

    from db.engine import session_scope
    from db.organisation import User

    with session_scope() as session:
        before = session.exec(select(func.count()).select_from(User)).one()
    out = io.StringIO()
    csv.writer(out).writerows(
        [staff_import.STAFF_COLUMNS, ["F001", name, "fuzz@example.org", "PO", "admin", "", "", ""]]
    )
    report = staff_import.import_staff(org.actor(org.admin_id), out.getvalue())
    with session_scope() as session:
        stored = session.exec(select(User).where(User.staff_id == "F001")).first()
        after = session.exec(select(func.count()).select_from(User)).one()
        if stored is not None:  # the next example starts clean
            from db.organisation import UserRole

            for role in session.exec(select(UserRole).where(UserRole.user_id == stored.id)):
                session.delete(role)
            session.flush()
            session.delete(stored)
    if report.ok and report.to_create:
        assert stored is not None and stored.full_name == name.strip() and after == before + 1
    else:
        assert not report.ok and report.errors and all(e.message for e in report.errors)
        assert stored is None and after == before


def test_widget_labels_escape_only_what_makes_markup_so_screen_readers_hear_plain_words():
    from pages._ui import label_text

    # A checkbox label is also its accessible name: ordinary punctuation stays as typed.
    assert (
        label_text("Shared reflection: a home visit (ROSH high) - follow-up.")
        == "Shared reflection: a home visit (ROSH high) - follow-up."
    )
    # Links, images, emphasis, code, LaTeX and Streamlit codes are broken.
    assert (
        label_text("![x](http://evil/p.png) [go](javascript:alert(1))")
        == "!\\[x\\](http:\\/\\/evil\\/p.png) \\[go\\](javascript\\:alert(1))"
    )
    assert (
        label_text("**bold** _it_ `code` $x$ :red[alarm]")
        == "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\$x\\$ \\:red\\[alarm\\]"
    )

"""Every text field people type into has a size limit, checked by the service
(not only by the box on screen), with a plain message under the field.

This module is also the source of the "record – field – limit" table in
docs/SECURITY.md: ``python -m tests.test_text_limits`` prints it, and a test
fails if the document and the code drift apart. Another test fails if a text
column is added to the schema without being classified here: either as a
field people type into (with its limit, checked end to end below) or as a
value the portal writes itself.

Each limit is checked end to end through the real service, on SQLite and on
PostgreSQL: text of exactly the limit is saved (so the database column is
big enough), and one character more is refused with a message naming the
limit, and nothing is saved.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import db.schema  # noqa: F401  (every table)
from db import audits as ca
from db import observations as ob
from db import organisation as m
from db import reflection as rf
from db import supervision as sv
from db.observations import ObservationRecord, RatingInput
from db.reflection import DebriefCreate
from pages import _registry as screens
from qa.reflection import journal as jn
from qa.reflection import reflective_models as rm
from qa.validation import validate

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT / "docs" / "SECURITY.md"
START, END = "<!-- text-limits:start -->", "<!-- text-limits:end -->"


@dataclass(frozen=True)
class Limit:
    record: str
    field: str
    limit: int
    columns: tuple[str, ...]  # where it is stored ("table.column"); encrypted JSON documents name their column
    checked_by: str  # the model or service that refuses longer text


LIMITS: list[Limit] = [
    # People and the organisation
    Limit(
        "Person", "Full name", m.NAME_MAX, ("user.full_name",), "db.organisation.PersonBase (forms and staff import)"
    ),
    Limit("Person", "Email", m.EMAIL_MAX, ("user.email",), "db.organisation.PersonBase (forms and staff import)"),
    Limit(
        "Person", "Staff ID", m.STAFF_ID_MAX, ("user.staff_id",), "db.organisation.UserBase (forms and staff import)"
    ),
    Limit(
        "Person",
        "Password (stored only as a hash)",
        m.PASSWORD_MAX,
        ("user.password_hash",),
        "db.organisation (UserCreate, PasswordChange, FirstAdminCreate), qa.organisation.users.set_password",
    ),
    Limit(
        "Region, PDU or team",
        "Name",
        m.ORG_NAME_MAX,
        ("region.name", "pdu.name", "team.name"),
        "db.organisation.OrgNameBase",
    ),
    Limit(
        "Support contact", "Name", rf.CONTACT_NAME_MAX, ("support_contact.name",), "db.reflection.SupportContactCreate"
    ),
    Limit(
        "Support contact",
        "What it offers",
        rf.SHORT_MAX,
        ("support_contact.description",),
        "db.reflection.SupportContactCreate",
    ),
    Limit(
        "Support contact",
        "How to reach it",
        rf.HOW_TO_REACH_MAX,
        ("support_contact.how_to_reach",),
        "db.reflection.SupportContactCreate",
    ),
    # LEARN case audits
    Limit(
        "Case (imported)", "Case reference", m.CASE_REF_MAX, ("probation_case.case_ref",), "qa.organisation.case_import"
    ),
    Limit(
        "Audit event",
        "Reason for swapping a case",
        ca.REASON_MAX,
        ("sample_swap.reason",),
        "db.audits.SampleSwapCreate",
    ),
    Limit(
        "Audit event",
        "Reason for changing a pair or moving a case",
        ca.OVERRIDE_REASON_MAX,
        ("audit_trail.summary",),
        "db.audits.PairChange, qa.audits.events.move_case (kept in the audit trail)",
    ),
    Limit(
        "Case audit",
        "Evidence for an answer",
        ca.EVIDENCE_MAX,
        ("audit_answer.evidence",),
        "db.audits.AnswerInput",
    ),
    Limit(
        "Feedback sheet",
        "Good practice examples",
        ca.SHEET_TEXT_MAX,
        ("feedback_sheet.good_practice",),
        "db.audits.FeedbackSheetUpdate",
    ),
    Limit(
        "Feedback sheet",
        "Areas for improvement",
        ca.SHEET_TEXT_MAX,
        ("feedback_sheet.improvement",),
        "db.audits.FeedbackSheetUpdate",
    ),
    Limit(
        "Feedback sheet",
        "Concerns",
        ca.SHEET_TEXT_MAX,
        ("feedback_sheet.concerns",),
        "db.audits.FeedbackSheetUpdate",
    ),
    Limit(
        "Feedback sheet",
        "Case holder's reply",
        ca.SHEET_TEXT_MAX,
        ("feedback_sheet.holder_reply",),
        "db.audits.HolderReply",
    ),
    Limit("Audit action", "Description", ca.ACTION_MAX, ("audit_action.description",), "db.audits.AuditActionCreate"),
    Limit(
        "Urgent concern",
        "What the concern is",
        ca.EVIDENCE_MAX,
        ("urgent_concern.description",),
        "db.audits.UrgentConcernCreate",
    ),
    Limit(
        "Urgent concern",
        "What was done (acknowledgement)",
        ca.EVIDENCE_MAX,
        ("urgent_concern.acknowledgement",),
        "db.audits.Acknowledgement",
    ),
    Limit("Learning theme", "Name", ca.THEME_MAX, ("learning_theme.name",), "qa.audits.workflow.add_learning_theme"),
    # Observation of practice
    Limit(
        "Observation",
        "Case reference",
        m.CASE_REF_MAX,
        ("observation.case_ref",),
        "db.observations.ObservationPlan, ObservationRecord",
    ),
    Limit(
        "Observation",
        "What I would like feedback on",
        ob.NOTE_MAX,
        ("observation.feedback_wanted",),
        "qa.observations.workflow.save_self_assessment",
    ),
    Limit(
        "Observation",
        "Reason for declining an invitation (optional)",
        ob.REASON_MAX,
        ("observation.decline_reason",),
        "db.observations.InvitationResponse",
    ),
    Limit(
        "Observation", "Overall strengths", ob.NOTE_MAX, ("observation.strengths",), "db.observations.ObservationRecord"
    ),
    Limit(
        "Observation",
        "Development points",
        ob.NOTE_MAX,
        ("observation.development_points",),
        "db.observations.ObservationRecord",
    ),
    Limit(
        "Observation",
        "Evidence for a rating",
        ob.EVIDENCE_MAX,
        ("observation_rating.evidence",),
        "db.observations.RatingInput",
    ),
    Limit(
        "Observation", "My reflection", ob.NOTE_MAX, ("observation.reflection",), "db.observations.PractitionerReply"
    ),
    Limit(
        "Observation",
        "My reply to the observer",
        ob.NOTE_MAX,
        ("observation.reply",),
        "db.observations.PractitionerReply",
    ),
    Limit(
        "Development goal",
        "Description",
        ob.GOAL_MAX,
        ("development_goal.description",),
        "db.observations.DevelopmentGoalCreate",
    ),
    Limit("Development goal", "Progress", ob.NOTE_MAX, ("development_goal.progress",), "db.observations.GoalProgress"),
    # The practitioner's own space (encrypted)
    Limit("Journal note", "Title", jn.TITLE_MAX, ("journal_entry.content",), "qa.reflection.journal.save_note"),
    Limit(
        "Journal note",
        "Each part (prompt) of the note",
        rf.TEXT_MAX,
        ("journal_entry.content",),
        "qa.reflection.journal.save_note",
    ),
    Limit(
        "Journal note",
        "Each tag",
        rm.TAG_MAX,
        ("journal_entry.content",),
        "qa.reflection.reflective_models.normalise_tag",
    ),
    Limit("Journal note", "Number of tags", jn.TAGS_MAX, ("journal_entry.content",), "qa.reflection.journal.save_note"),
    Limit(
        "Journal note", "Case reference", m.CASE_REF_MAX, ("journal_entry.case_ref",), "qa.reflection.journal.save_note"
    ),
    Limit("Debrief", "What happened", rf.SHORT_MAX, ("debrief.content",), "qa.reflection.debriefs.record_debrief"),
    Limit("Debrief", "What helped", rf.SHORT_MAX, ("debrief.content",), "qa.reflection.debriefs.record_debrief"),
    # Supervision (encrypted apart from case references and actions)
    Limit(
        "Supervision record",
        "Notes",
        sv.NOTE_MAX,
        ("supervision_session.notes", "session_version.snapshot"),
        "qa.supervision.records (record and amend)",
    ),
    Limit(
        "Supervision record",
        "Personal-support notes",
        sv.NOTE_MAX,
        ("supervision_session.personal_notes", "session_version.snapshot"),
        "qa.supervision.records (record and amend)",
    ),
    Limit(
        "Case discussion",
        "Case reference",
        m.CASE_REF_MAX,
        ("case_discussion.case_ref",),
        "qa.supervision.records (the CRN pattern)",
    ),
    Limit(
        "Case discussion",
        "Decision",
        sv.DECISION_MAX,
        ("case_discussion.decision",),
        "qa.supervision.records (record and amend)",
    ),
    Limit(
        "Case discussion",
        "Rationale",
        sv.DECISION_MAX,
        ("case_discussion.rationale",),
        "qa.supervision.records (record and amend)",
    ),
    Limit(
        "Supervision action",
        "Description",
        sv.ACTION_MAX,
        ("supervision_action.description",),
        "qa.supervision.records (record and amend)",
    ),
    Limit(
        "Supervision sign-off",
        "Practitioner's comments",
        sv.COMMENTS_MAX,
        ("session_participant.comments",),
        "qa.supervision.records.sign",
    ),
    Limit("Agenda item", "Something to discuss", sv.ITEM_MAX, ("agenda_item.title",), "qa.supervision.agenda.add_item"),
    Limit(
        "Agenda item",
        "Note on what was agreed",
        sv.DISCUSSION_NOTE_MAX,
        ("agenda_item.discussion_note",),
        "qa.supervision.records (record)",
    ),
]

#: Text columns nobody types into: the portal writes them from fixed lists,
#: uploaded and validated files, or its own records.
SYSTEM_COLUMNS = {
    "agenda_item.kind": "fixed list",
    "audit_action.status": "fixed list",
    "audit_answer.question_key": "from the question set",
    "audit_answer.answer": "fixed list",
    "audit_event.status": "fixed list",
    "audit_section_result.section_key": "from the question set",
    "audit_section_result.section_title": "from the question set",
    "audit_section_result.verdict": "computed",
    "audit_trail.action": "written by the portal",
    "audit_trail.entity": "written by the portal",
    "audit_trail.entity_id": "written by the portal",
    "case_audit.status": "fixed list",
    "case_sample.reason": "written by the sampler (cut to the column)",
    "debrief.setting": "fixed list",
    "debrief.need": "fixed list",
    "debrief_feeling.feeling": "fixed vocabulary",
    "development_goal.status": "fixed list",
    "development_goal.agreement": "fixed list",
    "entry_share.kind": "fixed list",
    "feedback_theme.section": "fixed list",
    "instrument.key": "uploaded question set, checked by qa.audits.instrument (60)",
    "instrument.title": "uploaded question set, checked by qa.audits.instrument (200)",
    "instrument.definition": "uploaded question set, checked by qa.audits.instrument (file size and every field)",
    "journal_entry.model": "fixed list",
    "observation.setting": "fixed list",
    "observation.mode": "fixed list",
    "observation.status": "fixed list",
    "observation.invitation": "fixed list",
    "observation_rating.domain_key": "from the skills framework",
    "probation_case.order_type": "fixed list",
    "probation_case.rosh": "fixed list",
    "record_view.record_kind": "fixed list",
    "self_rating.domain_key": "from the skills framework",
    "setting.key": "written by the portal",
    "setting.value": "numbers and flags chosen from fixed options",
    "supervision_session.kind": "fixed list",
    "supervision_session.status": "fixed list",
    "support_request.urgency": "fixed list",
    "support_request.status": "fixed list",
    "user.grade": "fixed list",
    "userrole.role": "fixed list",
    # Dashboard rollups: counts keyed by values copied from the records above.
    "rollup_answer.question_key": "copied from audit answers",
    "rollup_section.section_title": "copied from section results",
    "rollup_rating.domain_key": "copied from ratings",
    "rollup_rated_person.domain_key": "copied from ratings",
    "rollup_feeling.feeling": "copied from the fixed vocabulary",
    # Notifications and their email: written by the portal from its own catalogue and records.
    "notification.kind": "fixed list (qa/notifications/kinds.py)",
    "notification.occasion": "written by the portal (kind and record ids)",
    "notification.record_kind": "fixed list",
    "notification_preference.kind": "fixed list",
    "notification_preference.delivery": "fixed list",
    "outbox_message.kind": "fixed list",
    "outbox_message.status": "fixed list",
    "outbox_message.claimed_by": "written by the sender (a random token)",
    "outbox_message.last_error": "the mail server's reply, cut to the column by the sender",
    "outbox_message.to_address": "typed by an administrator for a test email, checked as an address of up to 254",
    # Sign-in sessions: hashes and what the browser sends, never typed into a box.
    "sign_in_session.id_hash": "a hash",
    "sign_in_session.ticket_hash": "a hash",
    "sign_in_session.ticket_binding_hash": "a hash",
    "sign_in_session.method": "fixed list",
    "sign_in_session.user_agent": "sent by the browser, cut to the column",
    "sign_in_attempt.address": "the network address, cut to the column",
}


def text_columns() -> dict[str, int | None]:
    """Every string column in the schema, with its length (None when unbounded)."""
    found = {}
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, sa.String | sa.Text) or isinstance(getattr(kind, "impl", None), sa.String | sa.Text):
                found[f"{table.name}.{column.name}"] = getattr(kind, "length", None) or getattr(
                    getattr(kind, "impl", None), "length", None
                )
    return found


def markdown_table() -> str:
    lines = ["| Record | Field | Limit (characters) | Checked by |", "|---|---|---|---|"]
    for limit in LIMITS:
        unit = " tags" if limit.field == "Number of tags" else ""
        lines.append(f"| {limit.record} | {limit.field} | {limit.limit:,}{unit} | `{limit.checked_by}` |")
    return "\n".join(lines)


# --- the schema and the document ----------------------------------------------------


def test_every_text_column_is_either_typed_by_people_with_a_limit_or_written_by_the_portal():
    columns = text_columns()
    typed = {c for limit in LIMITS for c in limit.columns}
    unclassified = sorted(set(columns) - typed - set(SYSTEM_COLUMNS))
    assert not unclassified, f"Classify these text columns in tests/test_text_limits.py: {unclassified}"
    assert not typed & set(SYSTEM_COLUMNS), "a column is either typed by people or written by the portal"
    assert typed <= set(columns), f"columns named here but not in the schema: {sorted(typed - set(columns))}"


def test_no_limit_is_bigger_than_the_column_that_stores_it():
    columns = text_columns()
    too_big = []
    for limit in LIMITS:
        for column in limit.columns:
            length = columns.get(column)
            if length is not None and column != "user.password_hash" and limit.limit > length:
                too_big.append(f"{limit.record} / {limit.field}: {limit.limit} > {column} ({length})")
    assert not too_big


def test_the_table_in_the_security_document_matches_the_code():
    text = SECURITY.read_text(encoding="utf-8")
    assert START in text and END in text, f"docs/SECURITY.md needs the {START} … {END} markers"
    documented = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert documented == markdown_table(), (
        "Run `python -m tests.test_text_limits` and paste its table into docs/SECURITY.md"
    )


def test_every_text_box_on_every_page_has_a_limit_that_speaks():
    """Every box is drawn by pages/_ui.text_input or text_area, with its limit as ``max_chars``.

    Those helpers never pass the limit to the browser, which would silently drop an over-long
    paste; they say in words beside the box when it holds too much (test_hostile_input.py
    checks what the person sees). So no page draws a Streamlit text box itself.
    """

    def calls(tree: ast.AST, names: tuple[str, ...]) -> list[ast.Call]:
        return [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and (
                (isinstance(node.func, ast.Attribute) and node.func.attr in names)
                or (isinstance(node.func, ast.Name) and node.func.id in names)
            )
        ]

    missing, direct = [], []
    for path in sorted((ROOT / "pages").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        boxes = calls(tree, ("text_input", "text_area", "chat_input"))
        if path.name != "_ui.py":  # the helpers themselves draw Streamlit's boxes, without a browser limit
            direct += [
                f"{path.name}:{n.lineno}"
                for n in boxes
                if isinstance(n.func, ast.Attribute)
                and not (isinstance(n.func.value, ast.Name) and n.func.value.id == "ui")
            ]
        else:
            boxes = []
        # A text column is a box to type in only in a data editor; in st.dataframe it is read-only.
        boxes += [column for editor in calls(tree, ("data_editor",)) for column in calls(editor, ("TextColumn",))]
        for node in boxes:
            if not any(k.arg == "max_chars" for k in node.keywords):
                missing.append(f"{path.name}:{node.lineno}")
    assert not direct, f"Draw these boxes with pages/_ui.text_input or text_area: {direct}"
    assert not missing, f"Give these boxes max_chars matching the service's limit: {missing}"


# --- end to end through the services ---------------------------------------------------

TODAY = date.today()


def text(n: int) -> str:
    """n characters of ordinary words (never all spaces, never stripped shorter)."""
    return ("Lorem ipsum " * (n // 12 + 1))[: n - 1] + "x" if n else ""


def refused(call: Callable[[], object], field: str, limit: int) -> str:
    from qa.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        call()
    message = exc.value.field_errors.get(field, "")
    assert message, f"expected an error for {field}, got {exc.value.field_errors}"
    assert f"{limit:,}" in message or str(limit) in message, message
    return message


def over_and_at(make: Callable[[str], object], field: str, limit: int, at: Callable[[int], str] = text) -> None:
    refused(lambda: make(at(limit + 1)), field, limit)
    make(at(limit))  # exactly the limit is saved, on every database


def test_people_and_organisation_limits(org):
    from qa.access import auth
    from qa.organisation import org as org_service
    from qa.organisation import users
    from qa.reflection import support

    admin = org.actor(org.admin_id)

    def person(**changes):
        n = len(users.list_users(admin))
        form = {
            "full_name": f"Person {n}",
            "email": f"p{n}@example.org",
            "grade": "Other",
            "roles": ["admin"],
            "staff_id": f"X{n}",
        } | changes
        return users.create_user(admin, validate(m.UserCreate, form))

    over_and_at(lambda t: person(full_name=t), "full_name", m.NAME_MAX)
    over_and_at(lambda t: person(email=t), "email", m.EMAIL_MAX, at=lambda n: "e" * (n - 12) + "@example.org")
    over_and_at(lambda t: person(staff_id=t), "staff_id", m.STAFF_ID_MAX, at=lambda n: "S" * n)
    over_and_at(lambda t: person(password=t), "password", m.PASSWORD_MAX, at=lambda n: "p" * n)
    refused(lambda: users.set_password(admin, org.peer_id, "p" * (m.PASSWORD_MAX + 1)), "password", m.PASSWORD_MAX)
    pat = org.actor(org.practitioner_id)
    refused(
        lambda: auth.change_password(
            pat,
            validate(
                m.PasswordChange,
                {"current_password": "x", "new_password": "p" * (m.PASSWORD_MAX + 1), "confirm_password": "x"},
            ),
        ),
        "new_password",
        m.PASSWORD_MAX,
    )

    over_and_at(
        lambda t: org_service.create_region(admin, validate(m.RegionCreate, {"name": t})),
        "name",
        m.ORG_NAME_MAX,
        at=lambda n: "R" * n,
    )
    over_and_at(
        lambda t: org_service.create_pdu(admin, validate(m.PduCreate, {"name": t, "region_id": org.region_id})),
        "name",
        m.ORG_NAME_MAX,
        at=lambda n: "P" * n,
    )
    over_and_at(
        lambda t: org_service.create_team(admin, validate(m.TeamCreate, {"name": t, "pdu_id": org.north_pdu_id})),
        "name",
        m.ORG_NAME_MAX,
        at=lambda n: "T" * n,
    )

    over_and_at(
        lambda t: support.add_contact(admin, validate(rf.SupportContactCreate, {"name": t})),
        "name",
        rf.CONTACT_NAME_MAX,
    )
    over_and_at(
        lambda t: support.add_contact(admin, validate(rf.SupportContactCreate, {"name": "Helpline", "description": t})),
        "description",
        rf.SHORT_MAX,
    )
    over_and_at(
        lambda t: support.add_contact(
            admin, validate(rf.SupportContactCreate, {"name": "Helpline", "how_to_reach": t})
        ),
        "how_to_reach",
        rf.HOW_TO_REACH_MAX,
    )


def test_imported_names_and_case_references_are_limited_too(org):
    from qa.organisation import case_import, staff_import

    admin = org.actor(org.admin_id)
    header = ",".join(staff_import.STAFF_COLUMNS)
    long_name = "N" * (m.NAME_MAX + 1)
    report = staff_import.import_staff(admin, f"{header}\nN900,{long_name},n900@example.org,PO,admin,,,\n")
    assert not report.ok and any(str(m.NAME_MAX) in e.message for e in report.errors)
    assert staff_import.import_staff(admin, f"{header}\nN900,{'N' * m.NAME_MAX},n900@example.org,PO,admin,,,\n").ok

    cases = ",".join(case_import.CASE_COLUMNS)
    row = "{ref},North PDU,Team A,P001,Community Order,2025-01-15,medium,no,"
    report = case_import.import_cases(admin, f"{cases}\n{row.format(ref='C' * (m.CASE_REF_MAX + 1))}\n")
    assert not report.ok and any(str(m.CASE_REF_MAX) in e.message for e in report.errors)
    assert case_import.import_cases(admin, f"{cases}\n{row.format(ref='C' * m.CASE_REF_MAX)}\n").ok


def draft_audit(org, lead, event):
    """A draft audit of one of Pat's cases, with its pair and one of its auditors."""
    from qa.audits import events as audit_events
    from qa.audits import workflow

    audit_events.accept_sample(lead, event.id)
    for pair in audit_events.pairs_view(lead, event.id).pairs:
        for case in pair.cases:
            auditor = org.actor(pair.first_id)
            if workflow.audit_detail(auditor, case.audit_id).holder_id == org.practitioner_id:
                return pair, case, auditor
    raise AssertionError("no audit of Pat's cases")


def test_learn_audit_limits(org):
    from qa.audits import concerns as urgent_concerns
    from qa.audits import events as audit_events
    from qa.audits import workflow
    from tests.factories import case_pool

    case_pool(org, 16)
    lead = org.actor(org.qa_lead_id)
    event = audit_events.create_event(
        lead,
        validate(
            ca.AuditEventCreate, {"pdu_id": org.north_pdu_id, "event_date": date(2026, 12, 10), "sample_size": 12}
        ),
    )
    # While the sample is being planned, the lead swaps a case, with a reason.
    out = audit_events.sample_view(lead, event.id).selected[0]
    swap = {"removed_case_id": out.case_id, "added_case_id": audit_events.swap_candidates(lead, event.id)[0].case_id}
    over_and_at(
        lambda t: audit_events.swap_case(lead, event.id, validate(ca.SampleSwapCreate, swap | {"reason": t})),
        "reason",
        ca.REASON_MAX,
    )

    pair, case, auditor = draft_audit(org, lead, event)
    audit_id = case.audit_id
    too_long = "r" * (ca.OVERRIDE_REASON_MAX + 1)
    refused(
        lambda: audit_events.change_pair(
            lead,
            event.id,
            pair.pair_id,
            validate(ca.PairChange, {"first_id": pair.first_id, "second_id": pair.second_id, "reason": too_long}),
        ),
        "reason",
        ca.OVERRIDE_REASON_MAX,
    )
    refused(
        lambda: audit_events.move_case(lead, event.id, case.sample_id, pair.pair_id, too_long),
        "reason",
        ca.OVERRIDE_REASON_MAX,
    )

    def version():
        return workflow.audit_detail(auditor, audit_id).version

    question = workflow.audit_detail(auditor, audit_id).definition.sections[0].questions[0].key
    over_and_at(
        lambda t: workflow.save_draft(
            auditor,
            audit_id,
            [validate(ca.AnswerInput, {"question_key": question, "answer": "yes", "evidence": t})],
            None,
            version(),
        ),
        "evidence",
        ca.EVIDENCE_MAX,
    )
    for field in ("good_practice", "improvement", "concerns"):
        over_and_at(
            lambda t, f=field: workflow.save_draft(
                auditor, audit_id, [], validate(ca.FeedbackSheetUpdate, {f: t}), version()
            ),
            field,
            ca.SHEET_TEXT_MAX,
        )
    over_and_at(
        lambda t: workflow.add_action(
            auditor,
            audit_id,
            validate(
                ca.AuditActionCreate,
                {"description": t, "owner_id": org.practitioner_id, "due_date": TODAY + timedelta(days=7)},
            ),
        ),
        "description",
        ca.ACTION_MAX,
    )
    concern = {}
    over_and_at(
        lambda t: concern.setdefault(
            "id", urgent_concerns.raise_concern(auditor, audit_id, validate(ca.UrgentConcernCreate, {"description": t}))
        ),
        "description",
        ca.EVIDENCE_MAX,
    )
    over_and_at(
        lambda t: urgent_concerns.acknowledge(
            org.actor(org.spo_id), concern["id"], validate(ca.Acknowledgement, {"note": t})
        ),
        "note",
        ca.EVIDENCE_MAX,
    )
    over_and_at(lambda t: workflow.add_learning_theme(lead, t), "name", ca.THEME_MAX)

    # Submitted, the holder replies.
    answers = [
        ca.AnswerInput(question_key=q.key, answer="yes", evidence="Seen.")
        for s in workflow.audit_detail(auditor, audit_id).definition.sections
        for q in s.questions
    ]
    workflow.submit(auditor, audit_id, workflow.save_draft(auditor, audit_id, answers, None, version()))
    over_and_at(
        lambda t: workflow.reply(org.actor(org.practitioner_id), audit_id, validate(ca.HolderReply, {"reply": t})),
        "reply",
        ca.SHEET_TEXT_MAX,
    )


def test_observation_limits(org):
    from qa.observations import workflow as observations
    from tests.test_observations import RECORD, ratings

    spo, pat = org.actor(org.spo_id), org.actor(org.practitioner_id)
    plan = {
        "practitioner_id": org.practitioner_id,
        "observer_id": org.spo_id,
        "observed_on": TODAY - timedelta(days=2),
        "setting": "office",
        "mode": "live",
    }
    refused(
        lambda: observations.plan_observation(
            spo, validate(ob.ObservationPlan, plan | {"case_ref": "X" * (m.CASE_REF_MAX + 1)})
        ),
        "case_ref",
        m.CASE_REF_MAX,
    )
    obs_id = observations.plan_observation(spo, validate(ob.ObservationPlan, plan | {"case_ref": "X" * m.CASE_REF_MAX}))
    over_and_at(
        lambda t: observations.save_self_assessment(pat, obs_id, [validate(RatingInput, r) for r in []], t),
        "feedback_wanted",
        ob.NOTE_MAX,
    )
    over_and_at(
        lambda t: observations.respond_to_invitation(
            pat, obs_id, validate(ob.InvitationResponse, {"answer": "declined", "reason": t})
        ),
        "reason",
        ob.REASON_MAX,
    )
    observations.respond_to_invitation(pat, obs_id, validate(ob.InvitationResponse, {"answer": "accepted"}))

    def version():
        return observations.observation_detail(spo, obs_id).version

    record = RECORD | {"observed_on": TODAY - timedelta(days=2)}
    for field in ("strengths", "development_points"):
        over_and_at(
            lambda t, f=field: observations.save_record(
                spo,
                obs_id,
                validate(ObservationRecord, record | {f: t}),
                [validate(RatingInput, r) for r in ratings()],
                version(),
            ),
            field,
            ob.NOTE_MAX,
        )
    evidence = ratings()
    over_and_at(
        lambda t: observations.save_record(
            spo,
            obs_id,
            validate(ObservationRecord, record),
            [validate(RatingInput, r) for r in [evidence[0] | {"evidence": t}, *evidence[1:]]],
            version(),
        ),
        "evidence",
        ob.EVIDENCE_MAX,
    )
    over_and_at(
        lambda t: observations.add_goal(
            spo,
            obs_id,
            validate(ob.DevelopmentGoalCreate, {"description": t, "review_date": TODAY + timedelta(days=30)}),
        ),
        "description",
        ob.GOAL_MAX,
    )
    observations.share(spo, obs_id)
    for field in ("reflection", "reply"):
        over_and_at(
            lambda t, f=field: observations.reply(pat, obs_id, validate(ob.PractitionerReply, {f: t})),
            field,
            ob.NOTE_MAX,
        )
    goal_id = observations.observation_detail(pat, obs_id).goals[0].id
    observations.agree_goal(pat, goal_id)  # progress is recorded on an agreed goal
    over_and_at(
        lambda t: observations.update_goal(
            pat, goal_id, validate(ob.GoalProgress, {"status": "in progress", "progress": t})
        ),
        "progress",
        ob.NOTE_MAX,
    )


def test_journal_and_debrief_limits(org):
    from qa.reflection import debriefs, journal

    pat = org.actor(org.practitioner_id)
    note_id = journal.new_note(pat)
    over_and_at(lambda t: journal.save_note(pat, note_id, title=t), "title", jn.TITLE_MAX)
    over_and_at(lambda t: journal.save_note(pat, note_id, sections={"notes": t}), "notes", rf.TEXT_MAX)
    over_and_at(lambda t: journal.save_note(pat, note_id, tags=[t]), "tags", rm.TAG_MAX, at=lambda n: "t" * n)
    over_and_at(
        lambda t: journal.save_note(pat, note_id, tags=t.split(",")),
        "tags",
        jn.TAGS_MAX,
        at=lambda n: ",".join(f"tag {i}" for i in range(n)),
    )
    assert journal.note(pat, note_id).tags == [f"tag {i}" for i in range(jn.TAGS_MAX)]
    over_and_at(lambda t: journal.save_note(pat, note_id, case_ref=t), "case_ref", m.CASE_REF_MAX, at=lambda n: "X" * n)
    for field in ("what_happened", "what_helped"):
        over_and_at(
            lambda t, f=field: debriefs.record_debrief(
                pat, validate(DebriefCreate, {"feelings": ["calm"], "intensity": 3, f: t})
            ),
            field,
            rf.SHORT_MAX,
        )


def test_supervision_limits(org):
    from qa.supervision import agenda
    from qa.supervision import records as supervision
    from tests.test_supervision import record

    pat = org.actor(org.practitioner_id)
    over_and_at(lambda t: record(org, notes=t), "notes", sv.NOTE_MAX)
    over_and_at(lambda t: record(org, personal_notes=t), "personal_notes", sv.NOTE_MAX)
    case = {"case_ref": "N100000", "decision": "Refer", "rationale": "Because"}
    over_and_at(lambda t: record(org, case_discussions=[case | {"decision": t}]), "case_1", sv.DECISION_MAX)
    over_and_at(lambda t: record(org, case_discussions=[case | {"rationale": t}]), "case_1", sv.DECISION_MAX)
    over_and_at(
        lambda t: record(org, actions=[{"description": t, "owner_id": org.practitioner_id, "due_date": TODAY}]),
        "action_1",
        sv.ACTION_MAX,
    )
    over_and_at(lambda t: agenda.add_item(pat, org.practitioner_id, t), "title", sv.ITEM_MAX)
    item = next(i for i in agenda.agenda(pat, org.practitioner_id) if i.kind == "added item")
    discussed = {
        "kind": item.kind,
        "source_id": item.source_id,
        "title": item.title,
        "practitioner_id": org.practitioner_id,
    }
    over_and_at(lambda t: record(org, discussed=[discussed | {"note": t}]), "discussed", sv.DISCUSSION_NOTE_MAX)
    session_id = record(org)
    over_and_at(lambda t: supervision.sign(pat, session_id, t), "comments", sv.COMMENTS_MAX)
    amend = {"held_on": TODAY, "notes": "x", "personal_notes": "", "case_discussions": [], "actions": []}
    refused(
        lambda: supervision.amend(
            org.actor(org.spo_id),
            session_id,
            validate(sv.SessionRecordUpdate, amend | {"notes": "n" * (sv.NOTE_MAX + 1)}),
        ),
        "notes",
        sv.NOTE_MAX,
    )


def test_an_over_long_entry_saves_nothing(org):
    from sqlmodel import func, select

    from db.engine import session_scope
    from qa.errors import ValidationFailed
    from qa.reflection import debriefs

    with pytest.raises(ValidationFailed):
        debriefs.record_debrief(
            org.actor(org.practitioner_id),
            validate(DebriefCreate, {"feelings": ["calm"], "intensity": 3, "what_happened": "x" * (rf.SHORT_MAX + 1)}),
        )
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(rf.Debrief)).one() == 0


def test_a_note_filled_to_every_limit_opens_in_its_editor(app, org):
    """A box's max_chars must hold anything the service accepts, or the page would fail to draw."""
    from qa.reflection import journal
    from tests.test_pages import texts
    from tests.test_pages_learn import signed_in

    pat = org.actor(org.practitioner_id)
    note_id = journal.new_note(pat)
    tags = [f"{i:02d}" + "t" * (rm.TAG_MAX - 2) for i in range(jn.TAGS_MAX)]
    journal.save_note(
        pat,
        note_id,
        title="T" * jn.TITLE_MAX,
        sections={"notes": text(rf.TEXT_MAX)},
        tags=tags,
        case_ref="C" * m.CASE_REF_MAX,
    )
    at = signed_in(app, "pat@example.org", screens.JOURNAL_NOTE.file, note=note_id)
    assert not at.exception, [e.value for e in at.exception]
    assert at.text_input(key=f"note_{note_id}_title").value == "T" * jn.TITLE_MAX
    assert len(at.text_input(key=f"note_{note_id}_custom_tags").value) <= jn.CUSTOM_TAGS_MAX
    assert "Nothing has been" not in texts(at)


if __name__ == "__main__":
    print(markdown_table())


# --- an over-long paste is kept and explained, never silently dropped ---------------------------


def test_an_over_long_paste_stays_in_the_box_and_the_limit_is_said_in_words_until_it_fits(app, org):
    """The browser is given no limit, so a paste over it is never silently dropped (the box used to keep
    its old text and only the counter changed). The box keeps all of it, says beside itself what the
    limit is and that nothing was saved, and the note is saved only once the text fits."""
    from qa.reflection.journal import TEXT_MAX
    from qa.validation import too_long_message
    from tests.conftest import sign_in
    from tests.factories import PASSWORD

    pat = org.actor(org.practitioner_id)
    note_id = jn.new_note(pat)
    at = sign_in(app(), "pat@example.org", PASSWORD)
    at.switch_page(screens.JOURNAL_NOTE.file)
    at.query_params["note"] = str(note_id)
    at.run()
    box = at.text_area[0]
    pasted = text(TEXT_MAX + 314)
    box.set_value(pasted).run()

    said = too_long_message(TEXT_MAX, TEXT_MAX + 314)
    assert said.startswith(f"This box takes up to {TEXT_MAX:,} characters; you have {TEXT_MAX + 314:,}.")
    assert "shorten it by 314 characters" in said
    errors = [e.value for e in at.error]
    summary, *beside = errors
    assert summary.startswith("**There is a problem**"), errors
    assert beside.count(said) == 1, "said once beside the box"
    assert too_long_message(TEXT_MAX, TEXT_MAX + 314).split(";")[0] in summary, "the summary says the same"
    assert not any("or fewer" in e for e in errors), "the service's refusal of the same text is not repeated"
    assert at.text_area[0].value == pasted, "the whole paste is still in the box"
    assert not jn.note(pat, note_id).sections, "nothing was saved"

    at.text_area[0].set_value(pasted[:TEXT_MAX]).run()
    assert said not in [e.value for e in at.error]
    assert jn.note(pat, note_id).sections[at.text_area[0].key.removeprefix(f"note_{note_id}_")] == pasted[:TEXT_MAX]

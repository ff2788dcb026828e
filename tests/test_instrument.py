"""Audit question sets: the built-in set, checking files, and loading new versions."""

import copy
import json
from pathlib import Path

import pytest
from sqlmodel import select

from db.audits import Instrument
from db.engine import session_scope
from db.organisation import AuditTrail
from pages import _registry as screens
from qa import definitions
from qa.audits import instrument
from qa.audits.judgement import RULE_TEXT
from qa.errors import NotFound, PermissionDenied, ValidationFailed

BUILTIN_FILE = Path(instrument.__file__).parent / "instruments" / "risk_of_harm_v1.json"
MAIN_SECTIONS = ("assessment", "planning", "delivery", "reviewing")


def small_set(**overrides) -> dict:
    data = {
        "key": "risk_of_harm",
        "version": 2,
        "title": "Risk of harm case audit (revised)",
        "sections": [
            {
                "key": "assessment",
                "title": "Assessment",
                "questions": [
                    {"key": "a_one", "text": "First question?", "guidance": "Look here.", "key_question": True},
                    {"key": "a_two", "text": "Second question?"},
                ],
            },
            {"key": "planning", "title": "Planning", "questions": [{"key": "p_one", "text": "Third question?"}]},
        ],
    }
    data.update(overrides)
    return data


def problem(json_text) -> str:
    with pytest.raises(ValidationFailed) as exc:
        instrument.parse_definition(json_text)
    return exc.value.field_errors["file"]


# --- the built-in set ------------------------------------------------------------------------


def test_the_builtin_risk_of_harm_set_is_well_formed():
    [definition] = [d for d in instrument.builtin_definitions() if d.key == "risk_of_harm"]
    assert (definition.version, definition.title) == (1, "Risk of harm case audit")
    assert 18 <= definition.question_count <= 26
    sections = {s.key: s for s in definition.sections}
    assert list(sections) == [*MAIN_SECTIONS, "engagement"]
    for key in MAIN_SECTIONS:
        assert 2 <= len(sections[key].key_questions) <= 4, key
    assert sections["engagement"].key_questions == []
    for question in definition.questions:
        assert question.guidance, question.key
        assert question.short, question.key
    # The text the set shows is the rule the portal applies.
    assert definition.judgement_rule == RULE_TEXT


def test_the_builtin_set_covers_what_the_audit_must_look_for():
    definition = instrument.builtin_definitions()[0]
    keys = {q.key for q in definition.questions}
    assert {
        "a_victims_children",
        "a_da_safeguarding_checks",
        "p_partner_agencies",
        "p_contingency",
        "d_enforcement_recall",
        "d_curiosity",
        "d_relationship_balance",
        "r_oversight",
        "r_allocation",
    } <= keys


# --- checking a file ---------------------------------------------------------------------------


def test_a_good_file_parses_from_text_or_bytes_with_a_bom():
    text = json.dumps(small_set())
    assert instrument.parse_definition(text).question_count == 3
    parsed = instrument.parse_definition("\ufeff".encode() + text.encode())
    assert parsed.question("a_one").key_question is True
    assert parsed.section_of("p_one").title == "Planning"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["sections"][1]["questions"].append({"key": "a_one", "text": "Again?"}),
            "Question 'a_one' appears twice.",
        ),
        (lambda d: d["sections"][1].update(key="assessment"), "Section 'assessment' appears twice."),
        (lambda d: d.pop("title"), "The question set is missing 'title'."),
        (
            lambda d: d["sections"][0]["questions"][1].pop("text"),
            "Section 1 ('assessment'), question 2 ('a_two') is missing 'text'.",
        ),
        (lambda d: d["sections"][1].pop("title"), "Section 2 ('planning') is missing 'title'."),
        (lambda d: d.update(version=0), "The question set: 'version' must be 1 or more."),
        (lambda d: d.update(version="2"), "The question set: 'version' must be a whole number, like 2."),
        (lambda d: d.update(sections=[]), "The question set needs at least one section."),
        (lambda d: d["sections"][1].update(questions=[]), "Section 2 ('planning') needs at least one question."),
        (lambda d: d["sections"][0]["questions"][0].update(key="A One"), "the key 'A One' cannot be used"),
        (
            lambda d: d["sections"][0]["questions"][0].update(key_question="yes"),
            "'key_question' must be true or false.",
        ),
        (lambda d: d["sections"][0]["questions"][0].update(text="   "), "question 1 ('a_one'): 'text' is empty."),
        (
            lambda d: d["sections"][0]["questions"][0].update(text="x" * 401),
            "'text' must be 400 characters or fewer.",
        ),
        (lambda d: d.update(title="x" * 201), "'title' must be 200 characters or fewer."),
        (
            lambda d: d["sections"][0]["questions"][0].update(keyquestion=True),
            "does not know: 'keyquestion'",
        ),
        (lambda d: d["sections"][0]["questions"].__setitem__(0, "a_one"), "question 1 must be an object"),
    ],
)
def test_problems_are_named_in_plain_english(change, message):
    data = small_set()
    change(data)
    assert message in problem(json.dumps(data))


def test_a_problem_inside_an_item_does_not_also_claim_the_list_is_empty():
    data = small_set()
    data["sections"][1]["questions"][0]["key_question"] = "no"
    assert problem(json.dumps(data)) == (
        "Section 2 ('planning'), question 1 ('p_one'): 'key_question' must be true or false."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"key": "risk_of_harm",', "The file is not valid JSON"),
        ("", "The file is empty."),
        ("[1, 2]", "The file must hold one JSON object"),
        ('{"key": "a_set", "key": "b_set"}', "The field 'key' appears twice"),
        (b"\xff\xfe{not utf8", "The file is not UTF-8 text."),
        (b" " * (definitions.MAX_FILE_BYTES + 1), "The file is too large."),
    ],
)
def test_unreadable_files_are_refused_plainly(text, message):
    assert problem(text).startswith(message)


def test_many_problems_are_listed_up_to_a_limit():
    data = small_set()
    data["sections"][0]["questions"] = [{"key": f"q_{i}", "text": ""} for i in range(10)]
    message = problem(json.dumps(data))
    assert message.count("is empty") == 6
    assert message.endswith("There are 4 more problems.")


# --- the database ------------------------------------------------------------------------------


def instrument_rows() -> list[tuple[str, int]]:
    with session_scope() as session:
        return [(r.key, r.version) for r in session.exec(select(Instrument).order_by(Instrument.id))]


def test_ensure_builtin_is_idempotent(db_url):
    with session_scope() as session:
        instrument.ensure_builtin(session)
        instrument.ensure_builtin(session)
    with session_scope() as session:
        instrument.ensure_builtin(session)
    assert instrument_rows() == [("risk_of_harm", 1)]
    with session_scope() as session:
        stored = session.exec(select(Instrument)).one()
        assert stored.definition == BUILTIN_FILE.read_text(encoding="utf-8")  # exactly as shipped
        assert stored.loaded_by_id is None
        entries = session.exec(select(AuditTrail).where(AuditTrail.entity == "instrument")).all()
        assert len(entries) == 1 and entries[0].actor_id is None


def test_latest_adds_the_builtin_set_when_needed(db_url):
    with session_scope() as session:
        row, definition = instrument.latest(session)
        assert (row.key, row.version) == ("risk_of_harm", 1)
        assert definition.question("a_victims_children") is not None
        assert instrument.definition_of(session, row.id) is definition  # cached
        with pytest.raises(NotFound):
            instrument.latest(session, "no_such_set")
        with pytest.raises(NotFound):
            instrument.definition_of(session, 9999)


def test_a_new_version_is_loaded_and_old_audits_keep_their_questions(org):
    admin = org.actor(org.admin_id)
    with session_scope() as session:
        v1_row, v1 = instrument.latest(session)
    v1_keys = [q.key for q in v1.questions]

    loaded = instrument.load_instrument(admin, json.dumps(small_set()).encode())
    assert (loaded.key, loaded.version, loaded.loaded_by_id) == ("risk_of_harm", 2, org.admin_id)

    instrument._parse_stored.cache_clear()  # prove it from the database, not the cache
    with session_scope() as session:
        row, latest = instrument.latest(session)
        assert row.id == loaded.id and latest.question_count == 3
        old = instrument.definition_of(session, v1_row.id)
        assert [q.key for q in old.questions] == v1_keys
        assert old.version == 1
        entry = session.exec(
            select(AuditTrail).where(AuditTrail.entity == "instrument", AuditTrail.entity_id == str(loaded.id))
        ).one()
        assert entry.actor_id == org.admin_id and entry.action == "loaded"
        assert "risk_of_harm version 2" in entry.summary

    rows = instrument.list_instruments(admin)
    assert [(r.key, r.version, r.questions, r.current) for r in rows] == [
        ("risk_of_harm", 2, 3, True),
        ("risk_of_harm", 1, v1.question_count, False),
    ]
    assert rows[0].loaded_by == "Ada Admin" and rows[1].loaded_by is None
    assert rows[0].key_questions == 1


def test_a_version_already_loaded_is_refused(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        instrument.load_instrument(admin, json.dumps(small_set(version=1)))
    assert exc.value.field_errors == {
        "file": "Version 1 of 'risk_of_harm' is already loaded. Give the new set a higher version number."
    }
    instrument.load_instrument(admin, json.dumps(small_set(version=3)))
    with pytest.raises(ValidationFailed) as exc:
        instrument.load_instrument(admin, json.dumps(small_set(version=3)))
    assert exc.value.field_errors["file"].startswith("Version 3 of 'risk_of_harm' is already loaded.")
    with pytest.raises(ValidationFailed) as exc:
        instrument.load_instrument(admin, json.dumps(small_set(version=2)))
    assert "older than version 3" in exc.value.field_errors["file"]
    assert instrument_rows() == [("risk_of_harm", 1), ("risk_of_harm", 3)]


def test_a_different_question_set_can_start_at_version_one(org):
    admin = org.actor(org.admin_id)
    instrument.load_instrument(admin, json.dumps(small_set(key="approved_premises", version=1, title="AP audit")))
    with session_scope() as session:
        row, definition = instrument.latest(session, "approved_premises")
        assert definition.title == "AP audit"
        assert instrument.latest(session)[0].key == "risk_of_harm"


def test_a_bad_file_stores_nothing(org):
    admin = org.actor(org.admin_id)
    data = copy.deepcopy(small_set())
    data["sections"][0]["questions"][1]["key"] = "a_one"
    with pytest.raises(ValidationFailed):
        instrument.load_instrument(admin, json.dumps(data))
    assert ("risk_of_harm", 2) not in instrument_rows()


@pytest.mark.parametrize("who", ["qa_lead_id", "spo_id", "practitioner_id"])
def test_only_administrators_load_or_list_question_sets(org, who):
    someone = org.actor(getattr(org, who))
    with pytest.raises(PermissionDenied):
        instrument.load_instrument(someone, json.dumps(small_set()))
    with pytest.raises(PermissionDenied):
        instrument.list_instruments(someone)
    with pytest.raises(PermissionDenied):
        instrument.latest_for(someone)
    assert ("risk_of_harm", 2) not in instrument_rows()


# --- the administration screen -------------------------------------------------------------------

PAGE = str(Path(__file__).resolve().parent.parent / screens.QUESTION_SETS.file)


def run_page(user_id):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=30)
    at.session_state["user_id"] = user_id
    return at.run()


def test_the_screen_shows_versions_questions_and_the_rule(org):
    at = run_page(org.admin_id)
    assert not at.exception
    assert [t.value for t in at.title] == ["Audit question sets"]
    frame = at.table[0].value  # a real table, for reading
    assert list(frame["Version"]) == [1] and list(frame["Loaded by"]) == ["Built in"]
    shown = "\n".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.header, *at.subheader])
    assert "Current set: Risk of harm case audit, version 1" in shown
    assert "Key question: " in shown and "Look beyond the RoSH level" in shown
    assert "Insufficient: a key question was answered No" in shown
    assert [e.label.split(" (")[0] for e in at.expander] == [
        "Assessment",
        "Planning",
        "Implementation and delivery",
        "Reviewing",
        "Engagement",
    ]


def test_the_screen_refuses_non_administrators_plainly(org):
    at = run_page(org.practitioner_id)
    assert not at.exception
    assert [e.value for e in at.error] == ["You do not have permission to do that."]


class _FakeUpload:
    """AppTest cannot drive st.file_uploader, so the screen tests hand it a file directly."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def getvalue(self) -> bytes:
        return self._data


def with_upload(monkeypatch, data: bytes | None) -> None:
    import streamlit

    monkeypatch.setattr(streamlit, "file_uploader", lambda *args, **kwargs: None if data is None else _FakeUpload(data))


def test_the_screen_loads_a_new_version(org, monkeypatch):
    with_upload(monkeypatch, json.dumps(small_set()).encode())
    at = run_page(org.admin_id)
    assert "version 2): 2 sections, 3 questions, 1 of them key questions" in at.info[-1].value.replace("\\", "")
    at.button[-1].click().run()
    assert not at.exception
    assert "Version 2 of" in at.success[0].value
    assert list(at.table[0].value["Version"]) == [2, 1]
    assert instrument_rows() == [("risk_of_harm", 1), ("risk_of_harm", 2)]
    # Loading the same file again is refused in plain English.
    at.button[-1].click().run()
    assert "already loaded" in at.error[0].value


def test_the_screen_explains_a_bad_file_and_offers_no_load_button(org, monkeypatch):
    data = small_set()
    data["sections"][1]["questions"][0]["key"] = "a_one"
    with_upload(monkeypatch, json.dumps(data).encode())
    at = run_page(org.admin_id)
    assert not at.exception
    assert "Question 'a\\_one' appears twice" in at.error[0].value
    assert all(b.label != "Load this version" for b in at.button)

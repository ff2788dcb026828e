"""The practice skills framework: the built-in version, checking files, and loading new versions."""

import copy
import json

import pytest
from sqlmodel import select

from db.audits import Instrument
from db.engine import session_scope
from db.observations import RATING_MAX, RATING_MIN
from db.organisation import AuditTrail
from qa.errors import NotFound, PermissionDenied, ValidationFailed
from qa.observations import framework as sf

BUILTIN_FILE = sf.FRAMEWORKS_DIR / "practice_skills_v1.json"
DOMAIN_KEYS = [
    "relationship",
    "structuring",
    "authority",
    "prosocial",
    "motivational",
    "cognitive",
    "risk_need",
    "desistance",
    "responsivity",
    "recording",
]


def builtin_data() -> dict:
    return json.loads(BUILTIN_FILE.read_text(encoding="utf-8"))


def small_framework(**overrides) -> dict:
    data = {
        "key": "practice_skills",
        "version": 2,
        "title": "One-to-one practice skills (revised)",
        "scale": [
            {"value": 1, "label": "Not yet evident"},
            {"value": 2, "label": "Developing"},
            {"value": 3, "label": "Skilled"},
            {"value": 4, "label": "Highly skilled"},
        ],
        "domains": [
            {
                "key": "relationship",
                "title": "Relationship",
                "focus": "How the working relationship is built.",
                "descriptors": {"1": "Little seen.", "2": "Some seen.", "3": "Seen throughout.", "4": "Seen and used."},
            },
            {
                "key": "structuring",
                "title": "Structuring",
                "focus": "The shape of the session.",
                "descriptors": {"1": "No shape.", "2": "Some shape.", "3": "Clear shape.", "4": "Shared shape."},
            },
        ],
    }
    data.update(overrides)
    return data


def problem(json_text) -> str:
    with pytest.raises(ValidationFailed) as exc:
        sf.parse_framework(json_text)
    assert list(exc.value.field_errors) == ["file"]
    return exc.value.field_errors["file"]


# --- the built-in framework ----------------------------------------------------------------------


def test_the_builtin_framework_is_well_formed():
    [(text, framework)] = sf.builtin_framework_files()
    assert text == BUILTIN_FILE.read_text(encoding="utf-8")
    assert (framework.key, framework.version, framework.title) == (sf.FRAMEWORK_KEY, 1, "One-to-one practice skills")
    assert [(p.value, p.label) for p in framework.scale] == [
        (1, "Not yet evident"),
        (2, "Developing"),
        (3, "Skilled"),
        (4, "Highly skilled"),
    ]
    assert framework.domain_keys == DOMAIN_KEYS
    for domain in framework.domains:
        assert sorted(domain.descriptors) == [1, 2, 3, 4], domain.key
        assert domain.title and domain.focus, domain.key
        assert len(set(domain.descriptors.values())) == 4, domain.key
    assert "open questions" in framework.domain("motivational").focus.lower()


def test_the_scale_matches_the_ratings_the_database_accepts():
    assert sf.SCALE_VALUES == tuple(range(RATING_MIN, RATING_MAX + 1))


def test_the_framework_says_person_on_probation_not_offender():
    assert "offender" not in BUILTIN_FILE.read_text(encoding="utf-8").lower()


def test_scale_label():
    [(_, framework)] = sf.builtin_framework_files()
    assert sf.scale_label(framework, 1) == "Not yet evident"
    assert sf.scale_label(framework, 4) == "Highly skilled"
    with pytest.raises(ValueError):
        sf.scale_label(framework, 5)


# --- checking a file -----------------------------------------------------------------------------


def test_a_good_file_parses_from_text_or_bytes_with_a_bom():
    text = json.dumps(small_framework())
    assert sf.parse_framework(text).domain_keys == ["relationship", "structuring"]
    parsed = sf.parse_framework("\ufeff".encode() + text.encode())
    assert parsed.domain("structuring").descriptor(3) == "Clear shape."
    assert parsed.domain("nothing") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["domains"][1]["descriptors"].pop("3"),
            "Domain 'structuring' needs a description for every point from 1 to 4; point 3 is missing.",
        ),
        (
            lambda d: d["domains"][0].update(descriptors={"1": "Only one."}),
            "Domain 'relationship' needs a description for every point from 1 to 4; points 2, 3, 4 are missing.",
        ),
        (
            lambda d: d["domains"][0]["descriptors"].update({"5": "Beyond."}),
            "Domain 'relationship' describes point 5, but the scale only runs from 1 to 4.",
        ),
        (
            lambda d: d["domains"][0]["descriptors"].update({"one": "Word."}),
            'Domain 1 (\'relationship\'): the descriptions must be numbered by scale point, "1" to "4"; '
            "'one' is not one of those.",
        ),
        (
            lambda d: d["domains"][0]["descriptors"].update({"2": "  "}),
            "Domain 1 ('relationship'): the description for point 2 is empty.",
        ),
        (
            lambda d: d["domains"][0]["descriptors"].update({"2": "x" * 501}),
            "Domain 1 ('relationship'): the description for point 2 must be 500 characters or fewer.",
        ),
        (
            lambda d: d["domains"][0].update(descriptors=["a", "b", "c", "d"]),
            "Domain 1 ('relationship'): 'descriptors' must be an object in curly brackets",
        ),
        (lambda d: d["domains"][1].update(key="relationship"), "Domain 'relationship' appears twice."),
        (lambda d: d["domains"][1].pop("focus"), "Domain 2 ('structuring') is missing 'focus'."),
        (lambda d: d["domains"][0].update(key="Rapport!"), "the key 'Rapport!' cannot be used"),
        (lambda d: d.update(domains=[]), "The skills framework needs at least one domain."),
        (lambda d: d.pop("scale"), "The skills framework is missing 'scale'."),
        (
            lambda d: d["scale"].pop(),
            "The scale must list exactly 4 points, numbered 1, 2, 3 and 4, in that order. This file lists: 1, 2, 3.",
        ),
        (
            lambda d: d["scale"].reverse(),
            "This file lists: 4, 3, 2, 1.",
        ),
        (lambda d: d["scale"][3].update(value=3), "Scale point 3 appears more than once."),
        (lambda d: d["scale"][3].update(value=5), "Scale point 4: 'value' must be 4 or less."),
        (lambda d: d["scale"][0].update(value=0), "Scale point 1: 'value' must be 1 or more."),
        (lambda d: d["scale"][0].update(value="1"), "Scale point 1: 'value' must be a whole number, like 2."),
        (lambda d: d["scale"][1].update(label="Skilled"), "The label 'Skilled' is used for more than one scale point."),
        (lambda d: d["scale"][1].update(label=""), "Scale point 2: 'label' is empty."),
        (lambda d: d["scale"][1].update(label="x" * 41), "Scale point 2: 'label' must be 40 characters or fewer."),
        (lambda d: d.update(key="risk_of_harm"), "A skills framework file must have the key 'practice_skills'."),
        (lambda d: d.update(version=0), "The skills framework: 'version' must be 1 or more."),
        (lambda d: d.update(title="x" * 201), "The skills framework: 'title' must be 200 characters or fewer."),
        (lambda d: d["domains"][0].update(colour="blue"), "does not know: 'colour'"),
        (lambda d: d["domains"].__setitem__(0, "relationship"), "Domain 1 must be an object in curly brackets"),
    ],
)
def test_problems_are_named_in_plain_english(change, message):
    data = small_framework()
    change(data)
    assert message in problem(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"key": "practice_skills",', "The file is not valid JSON"),
        ("", "The file is empty."),
        ("[1, 2]", "The file must hold one JSON object"),
        ('{"key": "practice_skills", "key": "other"}', "The field 'key' appears twice"),
        (b"\xff\xfe{not utf8", "The file is not UTF-8 text."),
    ],
)
def test_unreadable_files_are_refused_plainly(text, message):
    assert problem(text).startswith(message)


def test_many_problems_are_listed_up_to_a_limit():
    data = small_framework()
    data["domains"] = [
        {"key": f"d_{i}", "title": "", "focus": "f", "descriptors": {"1": "a", "2": "b", "3": "c", "4": "d"}}
        for i in range(10)
    ]
    message = problem(json.dumps(data))
    assert message.count("is empty") == 6
    assert message.endswith("There are 4 more problems.")


# --- the database --------------------------------------------------------------------------------


def instrument_rows() -> list[tuple[str, int]]:
    with session_scope() as session:
        return [(r.key, r.version) for r in session.exec(select(Instrument).order_by(Instrument.id))]


def test_ensure_builtin_is_idempotent(db_url):
    with session_scope() as session:
        sf.ensure_builtin(session)
        sf.ensure_builtin(session)
    with session_scope() as session:
        sf.ensure_builtin(session)
    assert instrument_rows() == [("practice_skills", 1)]
    with session_scope() as session:
        stored = session.exec(select(Instrument)).one()
        assert stored.definition == BUILTIN_FILE.read_text(encoding="utf-8")  # exactly as shipped
        assert stored.title == "One-to-one practice skills"
        assert stored.loaded_by_id is None
        entries = session.exec(select(AuditTrail).where(AuditTrail.entity == "instrument")).all()
        assert len(entries) == 1 and entries[0].actor_id is None
        assert entries[0].summary == "Built-in practice_skills version 1"


def test_latest_adds_the_builtin_framework_when_needed(db_url):
    with session_scope() as session:
        row, framework = sf.latest(session)
        assert (row.key, row.version) == ("practice_skills", 1)
        assert framework.domain_keys == DOMAIN_KEYS
        assert sf.framework_of(session, row.id) is framework  # cached
        with pytest.raises(NotFound):
            sf.framework_of(session, 9999)


def test_framework_of_refuses_a_row_that_is_not_a_framework(db_url):
    other = Instrument(key="some_audit", version=1, title="An audit set", definition="{}")
    with session_scope() as session:
        session.add(other)
        session.flush()
        with pytest.raises(NotFound):
            sf.framework_of(session, other.id)


def test_a_new_version_is_loaded_and_old_observations_keep_their_framework(org):
    admin = org.actor(org.admin_id)
    with session_scope() as session:
        v1_row, v1 = sf.latest(session)
    v1_snapshot = v1.model_dump()

    loaded = sf.load_framework(admin, json.dumps(small_framework()).encode())
    assert (loaded.key, loaded.version, loaded.loaded_by_id) == ("practice_skills", 2, org.admin_id)

    sf._parse_stored.cache_clear()  # prove it from the database, not the cache
    with session_scope() as session:
        row, newest = sf.latest(session)
        assert row.id == loaded.id and newest.domain_keys == ["relationship", "structuring"]
        old = sf.framework_of(session, v1_row.id)
        assert old.model_dump() == v1_snapshot
        assert old.version == 1 and old.domain_keys == DOMAIN_KEYS
        entry = session.exec(
            select(AuditTrail).where(AuditTrail.entity == "instrument", AuditTrail.entity_id == str(loaded.id))
        ).one()
        assert entry.actor_id == org.admin_id and entry.action == "loaded"
        assert entry.summary == "practice_skills version 2 (2 domains)"
    assert instrument_rows() == [("practice_skills", 1), ("practice_skills", 2)]


def test_an_existing_or_older_version_is_refused(org):
    admin = org.actor(org.admin_id)
    with pytest.raises(ValidationFailed) as exc:
        sf.load_framework(admin, json.dumps(small_framework(version=1)))
    assert exc.value.field_errors == {
        "file": "Version 1 of 'practice_skills' is already loaded. Give the new framework a higher version number."
    }
    sf.load_framework(admin, json.dumps(small_framework(version=3)))
    with pytest.raises(ValidationFailed) as exc:
        sf.load_framework(admin, json.dumps(small_framework(version=3)))
    assert exc.value.field_errors["file"].startswith("Version 3 of 'practice_skills' is already loaded.")
    with pytest.raises(ValidationFailed) as exc:
        sf.load_framework(admin, json.dumps(small_framework(version=2)))
    assert "older than version 3" in exc.value.field_errors["file"]
    assert instrument_rows() == [("practice_skills", 1), ("practice_skills", 3)]


def test_a_bad_file_stores_nothing(org):
    admin = org.actor(org.admin_id)
    data = copy.deepcopy(small_framework())
    data["domains"][1]["descriptors"].pop("4")
    with pytest.raises(ValidationFailed):
        sf.load_framework(admin, json.dumps(data))
    assert ("practice_skills", 2) not in instrument_rows()


@pytest.mark.parametrize("who", ["qa_lead_id", "spo_id", "practitioner_id"])
def test_only_administrators_load_a_framework(org, who):
    someone = org.actor(getattr(org, who))
    with pytest.raises(PermissionDenied):
        sf.load_framework(someone, json.dumps(small_framework()))
    assert ("practice_skills", 2) not in instrument_rows()

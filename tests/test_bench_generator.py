"""The region-scale benchmark generator (bench/generate_region.py), run at a tiny scale on SQLite."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date

import pytest
from sqlmodel import Session

from bench import generate_region as gen
from db import encryption
from db import engine as db_engine
from db.audits import Answer
from db.reflection import Debrief
from db.supervision import CaseDiscussion, SupervisionSession
from qa.audits.instrument import INSTRUMENTS_DIR, parse_definition
from qa.audits.judgement import judge_audit
from qa.reflection.emotions import ALL_WORDS

SCALE = "0.01"
PLAN = gen.plan_for(float(SCALE))
QUESTIONS = 24  # risk_of_harm v1
DOMAINS = 10  # practice_skills v1
VERDICTS = {"Sufficient", "Partly sufficient", "Insufficient", "Not applicable"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "region.db"
    url = f"sqlite:///{path}"
    # tests/conftest.py sets PQP_ENCRYPTION_KEYS for the whole run.
    assert gen.main(["--database-url", url, "--scale", SCALE]) == 0
    conn = sqlite3.connect(path)
    yield url, path, conn
    conn.close()
    db_engine.get_engine(url).dispose()


def one(conn: sqlite3.Connection, sql: str):
    return conn.execute(sql).fetchone()[0]


def counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name <> 'alembic_version'")
    ]
    return {t: one(conn, f'SELECT COUNT(*) FROM "{t}"') for t in tables}


def test_the_full_scale_plan_meets_the_issue():
    plan = gen.plan_for(1.0)
    assert (plan.pdus, plan.teams, plan.practitioners) == (6, 60, 1500)
    assert plan.cases == 40_000
    mean_sample = (gen.SAMPLE_MIN + gen.SAMPLE_MAX) / 2  # sample sizes are drawn evenly from 12 to 20
    assert plan.events * mean_sample >= 1.2 * 18_000  # audits, with room to spare
    assert plan.events * mean_sample * QUESTIONS >= 1.1 * 500_000  # answers
    assert plan.practitioners * min(gen.OBSERVATIONS_PER_PRACTITIONER) >= 13_500
    assert (
        plan.practitioners * sum(gen.OBSERVATIONS_PER_PRACTITIONER) / len(gen.OBSERVATIONS_PER_PRACTITIONER) >= 15_000
    )
    assert plan.debriefs >= 300_000


def test_organisation(generated):
    _, _, conn = generated
    assert one(conn, "SELECT COUNT(*) FROM region") == 1
    assert one(conn, "SELECT COUNT(*) FROM pdu") == PLAN.pdus
    assert one(conn, "SELECT COUNT(*) FROM team") == PLAN.teams
    roles = dict(conn.execute("SELECT role, COUNT(*) FROM userrole GROUP BY role").fetchall())
    assert roles == {"admin": 1, "qa_lead": 2 * PLAN.pdus, "spo": PLAN.teams, "practitioner": PLAN.practitioners}
    assert one(conn, 'SELECT COUNT(*) FROM "user"') == sum(roles.values())
    # Every practitioner is supervised by their own team's SPO.
    assert (
        one(
            conn,
            """SELECT COUNT(*) FROM "user" u JOIN userrole r ON r.user_id = u.id AND r.role = 'practitioner'
           JOIN "user" s ON s.id = u.supervisor_id JOIN userrole sr ON sr.user_id = s.id AND sr.role = 'spo'
           WHERE s.team_id = u.team_id""",
        )
        == PLAN.practitioners
    )
    assert one(conn, "SELECT COUNT(*) FROM probation_case") == PLAN.cases
    # Cases are held by practitioners, in the holder's team and PDU.
    assert (
        one(
            conn,
            """SELECT COUNT(*) FROM probation_case c JOIN "user" u ON u.id = c.holder_id JOIN team t ON t.id = u.team_id
           WHERE c.team_id = u.team_id AND c.pdu_id = t.pdu_id""",
        )
        == PLAN.cases
    )


def test_audits_in_proportion(generated):
    _, _, conn = generated
    events = one(conn, "SELECT COUNT(*) FROM audit_event")
    samples = one(conn, "SELECT COUNT(*) FROM case_sample")
    assert events == PLAN.events
    sizes = [n for (n,) in conn.execute("SELECT COUNT(*) FROM case_sample GROUP BY event_id")]
    assert len(sizes) == events and max(sizes) <= 20 and 12 <= samples / events <= 20
    primary = one(conn, "SELECT COUNT(*) FROM case_audit WHERE moderates_id IS NULL")
    assert primary == samples  # one audit per sampled case, plus a few moderation audits
    assert one(conn, "SELECT COUNT(*) FROM case_audit") - primary <= 0.2 * primary
    assert one(conn, "SELECT COUNT(*) FROM case_sample WHERE pair_id IS NULL") == 0

    statuses = Counter(dict(conn.execute("SELECT status, COUNT(*) FROM case_audit GROUP BY status").fetchall()))
    closed_or_discussed = statuses["actions closed"] + statuses["discussed in supervision"]
    assert closed_or_discussed > 0.7 * primary
    assert statuses["draft"] < 0.05 * primary

    judged = one(conn, "SELECT COUNT(*) FROM case_audit WHERE status <> 'draft'")
    assert (
        one(
            conn,
            """SELECT COUNT(*) FROM (SELECT a.id FROM case_audit a JOIN audit_answer x ON x.audit_id = a.id
           WHERE a.status <> 'draft' GROUP BY a.id HAVING COUNT(*) = 24)""",
        )
        == judged
    )
    assert one(conn, "SELECT COUNT(*) FROM audit_section_result") == 5 * judged
    assert {v for (v,) in conn.execute("SELECT DISTINCT verdict FROM audit_section_result")} <= VERDICTS
    assert one(conn, "SELECT COUNT(*) FROM audit_answer") >= QUESTIONS * judged
    answers = dict(conn.execute("SELECT answer, COUNT(*) FROM audit_answer GROUP BY answer").fetchall())
    assert set(answers) <= {a.value for a in Answer}
    assert answers["yes"] > 0.6 * sum(answers.values())  # Yes mostly
    assert one(conn, "SELECT COUNT(*) FROM feedback_sheet") == one(
        conn, "SELECT COUNT(*) FROM case_audit WHERE status <> 'draft' AND moderates_id IS NULL"
    )
    # Feedback goes to the case holder's SPO.
    assert (
        one(
            conn,
            """SELECT COUNT(*) FROM case_audit a JOIN probation_case c ON c.id = a.case_id
           JOIN "user" h ON h.id = c.holder_id
           WHERE a.feedback_to_id IS NOT NULL AND a.feedback_to_id <> h.supervisor_id""",
        )
        == 0
    )


def test_stored_verdicts_follow_the_judgement_rule(generated):
    _, _, conn = generated
    definition = parse_definition((INSTRUMENTS_DIR / "risk_of_harm_v1.json").read_text(encoding="utf-8"))
    answers: dict[int, dict[str, Answer]] = {}
    for audit_id, key, answer in conn.execute(
        "SELECT x.audit_id, x.question_key, x.answer FROM audit_answer x"
        " JOIN case_audit a ON a.id = x.audit_id WHERE a.status <> 'draft'"
    ):
        answers.setdefault(audit_id, {})[key] = Answer(answer)
    stored = {(a, s): v for a, s, v in conn.execute("SELECT audit_id, section_key, verdict FROM audit_section_result")}
    assert answers
    for audit_id, given in answers.items():
        for judgement in judge_audit(definition, given):
            assert stored[(audit_id, judgement.section_key)] == str(judgement.verdict)


def test_observations_debriefs_and_supervision_in_proportion(generated):
    _, _, conn = generated
    observations = one(conn, "SELECT COUNT(*) FROM observation")
    low, high = min(gen.OBSERVATIONS_PER_PRACTITIONER), max(gen.OBSERVATIONS_PER_PRACTITIONER)
    assert low * PLAN.practitioners <= observations <= high * PLAN.practitioners
    assert one(conn, "SELECT COUNT(*) FROM observation_rating") == DOMAINS * observations
    assert one(conn, "SELECT COUNT(*) FROM self_rating") % DOMAINS == 0
    assert 0 < one(conn, "SELECT COUNT(*) FROM development_goal") < observations
    assert {s for (s,) in conn.execute("SELECT DISTINCT status FROM observation")} <= {
        "shared with the practitioner",
        "acknowledged",
    }

    debriefs = one(conn, "SELECT COUNT(*) FROM debrief")
    assert debriefs == PLAN.debriefs
    per_debrief = Counter(n for (n,) in conn.execute("SELECT COUNT(*) FROM debrief_feeling GROUP BY debrief_id"))
    assert sum(per_debrief.values()) == debriefs and set(per_debrief) <= {1, 2, 3}
    assert {w for (w,) in conn.execute("SELECT DISTINCT feeling FROM debrief_feeling")} <= set(ALL_WORDS)

    # One-to-one (or reflective) supervision about every six weeks for five years.
    per_practitioner = [
        n
        for (n,) in conn.execute(
            """SELECT COUNT(*) FROM session_participant p JOIN supervision_session s ON s.id = p.session_id
               JOIN userrole r ON r.user_id = p.practitioner_id AND r.role = 'practitioner'
               WHERE s.kind <> 'group case discussion' GROUP BY p.practitioner_id"""
        )
    ]
    assert len(per_practitioner) == PLAN.practitioners
    assert all(35 <= n <= 55 for n in per_practitioner)
    assert (
        one(
            conn,
            "SELECT COUNT(*) FROM supervision_session s"
            " WHERE NOT EXISTS (SELECT 1 FROM session_participant p WHERE p.session_id = s.id)",
        )
        == 0
    )


def test_everything_happens_within_the_five_years(generated):
    _, _, conn = generated
    for table, column in (
        ("audit_event", "event_date"),
        ("observation", "observed_on"),
        ("debrief", "created_at"),
        ("supervision_session", "held_on"),
        ("case_audit", "updated_at"),
    ):
        first, last = conn.execute(f"SELECT MIN({column}), MAX({column}) FROM {table}").fetchone()
        assert gen.START.isoformat() <= first[:10] and last[:10] <= gen.END.isoformat(), table
    assert one(conn, "SELECT MAX(created_at) FROM debrief")[:4] == "2026"
    assert date.fromisoformat(one(conn, "SELECT MIN(created_at) FROM debrief")[:10]) < date(2022, 1, 1)


def test_foreign_keys_hold(generated):
    _, _, conn = generated
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_private_text_is_stored_as_fernet_tokens_the_portal_can_read(generated):
    url, _, conn = generated
    for table, column in (
        ("debrief", "content"),
        ("supervision_session", "notes"),
        ("supervision_session", "personal_notes"),
        ("case_discussion", "decision"),
        ("case_discussion", "rationale"),
    ):
        values = [v for (v,) in conn.execute(f"SELECT {column} FROM {table}")]
        assert values, table
        assert all(v.startswith("gAAAA") for v in values), f"{table}.{column}"
    assert encryption.decrypt(one(conn, "SELECT content FROM debrief LIMIT 1")) == "{}"
    with Session(db_engine.get_engine(url)) as session:
        assert session.get(Debrief, 1).content == "{}"
        assert session.get(SupervisionSession, 1).notes
        assert session.get(SupervisionSession, 1).personal_notes == ""
        assert session.get(CaseDiscussion, 1).decision


def test_refuses_a_database_with_people_unless_replace(generated, capsys):
    url, _, conn = generated
    before = counts(conn)
    assert gen.main(["--database-url", url, "--scale", SCALE]) == 1
    assert "--replace" in capsys.readouterr().err
    assert counts(conn) == before
    # The same seed gives the same dataset again.
    assert gen.main(["--database-url", url, "--scale", SCALE, "--replace"]) == 0
    with sqlite3.connect(generated[1]) as fresh:
        assert counts(fresh) == before


def test_needs_an_encryption_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(encryption.ENV_VAR, raising=False)
    path = tmp_path / "nokey.db"
    assert gen.main(["--database-url", f"sqlite:///{path}", "--scale", SCALE]) == 2
    assert encryption.ENV_VAR in capsys.readouterr().err
    assert not path.exists()

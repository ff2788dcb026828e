"""The load script (bench/load.py): a tiny run end to end, and its lost/duplicated check on its own."""

from __future__ import annotations

import pytest

from bench import load
from db import engine as db_engine
from db.reflection import DebriefCreate
from qa.access.auth import load_actor
from qa.reflection import debriefs, journal
from qa.validation import validate


@pytest.fixture
def tiny_run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'load.db'}"
    monkeypatch.setenv(db_engine.ENV_VAR, url)
    # "spawn": the test process may hold threads from earlier tests, which a fork would copy mid-step.
    report = load.run_load(url, users=3, actions=2, seed=5, timeout=240, start_method="spawn")
    yield url, report
    db_engine.configure(None)
    db_engine.get_engine(url).dispose()


def test_a_tiny_run_through_the_real_pages_loses_and_duplicates_nothing(tiny_run):
    url, report = tiny_run
    assert report["errors"] == []
    assert report["dialect"] == "sqlite" and report["sqlite_journal_mode"] == "wal"
    assert (report["users"], report["practitioners"], report["spos"]) == (3, 2, 1)
    assert report["rounds_done"] == 6
    # Round 0 writes a note, round 1 a debrief, for each of the 3 users.
    assert report["notes_expected"] == report["notes_found"] == 3
    assert report["debriefs_expected"] == report["debriefs_found"] == 3
    assert (report["lost"], report["duplicated"], report["unaccounted"]) == (0, 0, 0)
    assert report["intact"] and report["ok"]
    # Every kind of step ran and was timed; the SPO also opened the team home page.
    assert set(report["latency"]) == set(load.STEPS)
    assert report["latency"]["team home"]["count"] == 2
    # note: open, new, type, finish, search (5 runs); debrief: open, save, read (3); SPO: 1 per round
    assert report["requests"] == 3 * (5 + 3) + 2 == report["latency_all"]["count"]
    for row in [*report["latency"].values(), report["latency_all"]]:
        assert 0 < row["median"] <= row["p95"] <= row["max"]
    assert report["throughput_requests_per_second"] > 0 and report["wall_seconds"] > 0
    text = load.format_report(report)
    for words in ("Database: sqlite (wal mode)", "requests/s", "p95 s", "Lost: 0   Duplicated: 0", "Records: PASS"):
        assert words in text
    # The database really holds what the report says: read back as each author.
    db_engine.configure(url)
    people = [load_actor(i) for i in range(1, 4)]
    assert sum(len(journal.my_notes(p)) for p in people) == 3
    assert sum(len(debriefs.my_debriefs(p)) for p in people) == 3


def test_the_check_finds_lost_duplicated_and_unaccounted_entries(db_url):
    people = load.build_organisation(2)
    author = people[1]
    actor = load_actor(author.user_id)

    def note(title, text=""):
        note_id = journal.new_note(actor)
        if title or text:
            journal.save_note(actor, note_id, title=title, sections={"notes": text})

    note("LOADkept", "Load test note. LOADkept")
    note("LOADhollow")  # the title was saved, the text typed into it was not
    note("")  # "New note" clicked, then a step failed: an untitled draft, which is accounted for
    note("LOADstranger", "nobody in the run typed this")
    form = {"feelings": ["anxious"], "intensity": 3, "what_happened": "LOADtwice"}
    debriefs.record_debrief(actor, validate(DebriefCreate, form))
    debriefs.record_debrief(actor, validate(DebriefCreate, form))
    result = {
        "user_id": author.user_id,
        "notes_confirmed": ["LOADkept", "LOADgone", "LOADhollow"],
        "notes_attempted": ["LOADkept", "LOADgone", "LOADhollow", "LOADdraft"],
        "debriefs_confirmed": ["LOADtwice"],
        "debriefs_attempted": ["LOADtwice"],
    }
    check = load.verify(people, [result])
    assert check.lost == ["LOADgone", "LOADhollow"]
    assert check.duplicated == ["LOADtwice"]
    assert check.unaccounted == 1  # LOADstranger
    assert check.untitled_drafts == 1
    assert (check.notes_expected, check.notes_found, check.debriefs_expected, check.debriefs_found) == (3, 1, 1, 1)


def test_a_clean_result_checks_clean(db_url):
    people = load.build_organisation(2)
    actor = load_actor(people[0].user_id)
    note_id = journal.new_note(actor)
    journal.save_note(actor, note_id, title="LOADone", sections={"notes": "text LOADone"})
    debriefs.record_debrief(
        actor, validate(DebriefCreate, {"feelings": ["proud"], "intensity": 2, "what_happened": "LOADtwo"})
    )
    result = {
        "user_id": people[0].user_id,
        "notes_confirmed": ["LOADone"],
        "notes_attempted": ["LOADone"],
        "debriefs_confirmed": ["LOADtwo"],
        "debriefs_attempted": ["LOADtwo"],
    }
    check = load.verify(people, [result])
    assert (check.lost, check.duplicated, check.unaccounted, check.untitled_drafts) == ([], [], 0, 0)
    assert (check.notes_found, check.debriefs_found) == (1, 1)


def test_the_nearest_rank_percentile():
    values = [float(v) for v in range(1, 101)]
    assert load.percentile(values, 0.95) == 95.0
    assert load.percentile(values, 0.5) == 50.0
    assert load.percentile([3.0], 0.95) == 3.0
    assert load.percentile([5.0, 1.0, 4.0, 2.0, 3.0], 0.95) == 5.0


def test_a_database_with_an_organisation_is_refused_without_replace(db_url):
    load.build_organisation(2)
    with pytest.raises(RuntimeError, match="--replace"):
        load.run_load(db_url, users=2, actions=1)

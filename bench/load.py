"""Bounded load test: many people writing and reading private entries at once, through the real pages.

    PQP_ENCRYPTION_KEYS=... python -m bench.load --database-url URL [--users 24] [--actions 10]

Every simulated user is a separate process running the portal's own
``app.py`` under Streamlit's ``AppTest``, signed in as one member of a small
organisation made for the run (``--users`` people: one SPO for every team of
up to six, the rest practitioners). All of them start together and each does a
fixed number of rounds (``--actions``); each round writes one entry and reads
entries back:

- even rounds write a journal note: open the journal, "New note", type a title
  and text (saved as you type), "Finish note"; then search the journal for the
  note's unique marker and expect exactly one match;
- odd rounds save a quick debrief whose "What happened?" holds a unique marker;
  then open "My wellbeing" and expect the marker exactly once in "My debriefs";
- SPOs also open their team home page every round.

Each script run (what one click or one edited box costs the server) is timed.
Afterwards every entry is read back through the services, as its author: an
entry the page confirmed but the database lacks is *lost*, a marker found
twice is *duplicated*, and a row nobody knowingly wrote is *unaccounted*.

It prints throughput, median and 95th-percentile latency per kind of step, the
errors seen (a locked database, a plain "could not reach its database"
message, an exception, an unexpected screen), and the lost, duplicated and
unaccounted counts. Exit code 0: every step succeeded and nothing was lost,
duplicated or unaccounted; 1: something was lost, duplicated or unaccounted
(or the set-up was refused); 3: nothing was lost, but some steps failed (for
example the plain "could not reach its database" message after the busy
retries ran out) or ran out of time. Timings are reported, never asserted. The run is bounded: a fixed number of rounds, and ``--timeout``
seconds in all, after which stragglers are stopped and the run fails.

With ``--proxy N`` the users are Chromium browsers going through nginx to ``N`` real portal
processes instead (``bench/proxy_load.py``), to compare one process with two.

The database must be a throwaway: one that already holds an organisation is
refused unless ``--replace`` is given (which drops everything in it). Without
``--database-url`` a new SQLite file in a temporary folder is used and deleted
afterwards.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import os
import queue
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
import types
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from random import Random

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from db import encryption, migrate  # noqa: E402
from db import engine as db_engine  # noqa: E402
from db.ids import id_of  # noqa: E402
from db.organisation import Grade, Pdu, Region, Role, Team, User, UserRole  # noqa: E402
from pages import _registry as screens  # noqa: E402

APP = str(ROOT / "app.py")
DEFAULT_USERS = 24
DEFAULT_ACTIONS = 10
DEFAULT_SEED = 1
DEFAULT_TIMEOUT = 1800.0
TEAM_SIZE = 6  # one SPO and up to five practitioners per team
LOAD_PASSWORD = "load-password-2026"
UNAVAILABLE = "could not reach its database"

# The steps, in the order they are reported.
STEPS = [
    "open journal",
    "new note",
    "type note",
    "finish note",
    "search journal",
    "open debrief",
    "save debrief",
    "read my debriefs",
    "team home",
]
JOURNAL, NOTE, DEBRIEF = screens.JOURNAL.file, screens.JOURNAL_NOTE.file, screens.DEBRIEF.file


# ------------------------------------------------------------------ the organisation


@dataclass
class Person:
    index: int
    user_id: int
    email: str
    role: str  # "practitioner" or "spo"


def build_organisation(users: int) -> list[Person]:
    """One region and PDU, a team per six people, each team with one SPO supervising the others."""
    from db.engine import session_scope
    from qa.access.passwords import hash_password

    password_hash = hash_password(LOAD_PASSWORD)
    teams = -(-users // TEAM_SIZE)
    people: list[Person] = []
    with session_scope() as session:
        region = Region(name="Load Region")
        session.add(region)
        session.flush()
        pdu = Pdu(name="Load PDU", region_id=id_of(region))
        session.add(pdu)
        session.flush()

        def hire(index: int, name: str, grade: Grade, role: Role, team_id: int, supervisor_id: int | None) -> Person:
            email = f"load.{index:03d}@load.example"
            user = User(
                full_name=name,
                email=email,
                grade=grade,
                team_id=team_id,
                supervisor_id=supervisor_id,
                password_hash=password_hash,
                is_active=True,
            )
            session.add(user)
            session.flush()
            session.add(UserRole(user_id=id_of(user), role=role))
            return Person(index, id_of(user), email, role.value)

        spos = []
        for t in range(teams):
            team = Team(name=f"Load Team {t + 1}", pdu_id=id_of(pdu))
            session.add(team)
            session.flush()
            spos.append((id_of(team), hire(t, f"Supervisor {t + 1:02d}", Grade.SPO, Role.SPO, id_of(team), None)))
        people += [spo for _team, spo in spos]
        for i in range(users - teams):
            team_id, spo = spos[i % teams]
            grade = Grade.PO if i % 2 == 0 else Grade.PSO
            index = teams + i
            people.append(hire(index, f"Practitioner {i + 1:02d}", grade, Role.PRACTITIONER, team_id, spo.user_id))
    return sorted(people, key=lambda p: p.index)


# ------------------------------------------------------------------ one simulated user


@dataclass
class UserResult:
    index: int
    user_id: int
    role: str
    warm_up_seconds: float = 0.0
    samples: list[tuple[str, float, bool]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes_confirmed: list[str] = field(default_factory=list)  # markers the page said were saved
    notes_attempted: list[str] = field(default_factory=list)
    debriefs_confirmed: list[str] = field(default_factory=list)
    debriefs_attempted: list[str] = field(default_factory=list)
    rounds_done: int = 0
    timed_out: bool = False
    started_at: float = 0.0
    finished_at: float = 0.0


class StepFailed(Exception):
    pass


def _patch_pages_manager() -> None:
    """As tests/conftest.py does: AppTest resets the "uses a pages/ folder" flag
    before every run, which from the second run on would run page files directly
    instead of through app.py. Force what the live server sees."""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager.__init__, "_pqp_patched", False):
        return
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    # A deliberate monkeypatch: setattr, as mypy advises for assigning to a method.
    setattr(init, "_pqp_patched", True)  # noqa: B010
    setattr(PagesManager, "__init__", init)  # noqa: B010


def _screen_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("error", "warning", "info", "success", "subheader", "title"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


class Session:
    """One person's browser session: an AppTest of app.py, timed run by run."""

    def __init__(self, person: Person, result: UserResult, run_timeout: float) -> None:
        from streamlit.testing.v1 import AppTest

        self.person = person
        self.result = result
        self.at = AppTest.from_file(APP, default_timeout=run_timeout)
        # Signed in as the sign-in form leaves a session (a session row, its id held by this Streamlit
        # session); checking passwords (argon2) is not what is measured.
        from db.engine import session_scope
        from db.sessions import SignInMethod
        from pages._session import SESSION_ID_KEY
        from qa.access import sessions

        with session_scope() as db:
            self.at.session_state[SESSION_ID_KEY] = sessions.start(db, person.user_id, SignInMethod.PASSWORD, "bench")

    def run(self, step: str, page: str, action=None, check=None):
        """Do one interaction on ``page`` (``action`` sets widgets or clicks), run the script, time it, check the screen.

        The page is named every time because AppTest, unlike a browser, keeps
        requesting the page last given to ``switch_page`` even after the script
        itself moved to another one (``st.switch_page`` to the new note).
        Query parameters carry over from the last run, as the address does.
        """
        at = self.at
        at.switch_page(page)
        if action is not None:
            action(at)
        started = time.perf_counter()
        try:
            at.run()
        except Exception as exc:  # the AppTest run itself timed out or broke
            self.result.samples.append((step, time.perf_counter() - started, False))
            raise StepFailed(f"{step}: {type(exc).__name__}: {exc}") from exc
        seconds = time.perf_counter() - started
        problem = None
        if at.exception:
            problem = "exception: " + "; ".join(str(e.message) for e in at.exception)[:300]
        elif any(UNAVAILABLE in str(e.value) for e in at.error):
            problem = "the database could not be reached (the plain message was shown)"
        elif check is not None:
            problem = check(at)
        self.result.samples.append((step, seconds, problem is None))
        if problem:
            raise StepFailed(f"{step}: {problem}")
        return at

    # --- the journal

    def write_note(self, marker: str, body: str) -> None:
        self.run(
            "open journal",
            JOURNAL,
            check=lambda at: None if any(t.value == "My reflective journal" for t in at.title) else "not the journal",
        )
        self.result.notes_attempted.append(marker)
        self.run(
            "new note",
            JOURNAL,
            lambda at: next(b for b in at.button if b.label == "New note").click(),
            lambda at: None if "note" in at.query_params else "no note was opened",
        )
        raw = self.at.query_params["note"]
        note_id = raw[0] if isinstance(raw, list) else raw
        prefix = f"note_{note_id}_"

        def type_it(at):
            at.text_input(key=prefix + "title").input(marker)
            next(a for a in at.text_area if str(a.key).startswith(prefix)).input(body)

        def saved_as_typed(at):
            return "; ".join(e.value for e in at.error) or None

        self.run("type note", NOTE, type_it, saved_as_typed)

        def listed(at):
            if "Note saved to your journal." not in _screen_text(at):
                return "no 'Note saved' confirmation"
            if marker not in [link.label for link in at.get("page_link")]:
                return "the finished note is not in the journal list"
            return None

        self.run("finish note", NOTE, lambda at: next(b for b in at.button if b.label == "Finish note").click(), listed)
        self.result.notes_confirmed.append(marker)

    def search_journal(self, marker: str) -> None:
        def found_once(at):
            count = [link.label for link in at.get("page_link")].count(marker)
            return None if count == 1 else f"searching for a note found it {count} times"

        self.run(
            "search journal",
            JOURNAL,
            lambda at: next(t for t in at.text_input if t.label == "Words").input(marker),
            found_once,
        )

    # --- debriefs

    def write_debrief(self, marker: str, rng: Random) -> None:
        from qa.reflection import emotions

        self.run(
            "open debrief",
            DEBRIEF,
            check=lambda at: None if any(t.value == "Quick debrief" for t in at.title) else "not the debrief form",
        )
        self.result.debriefs_attempted.append(marker)

        def fill(at):
            family = rng.randrange(len(emotions.FAMILIES))  # the pills come in the order of the families
            at.get("button_group")[family].set_value([rng.choice(emotions.FAMILIES[family].words)])
            at.slider[0].set_value(rng.randint(0, 10))
            next(a for a in at.text_area if a.label == "What happened?").input(marker)
            at.button(key="FormSubmitter:debrief-Save debrief").click()

        self.run(
            "save debrief",
            DEBRIEF,
            fill,
            lambda at: (
                None
                if "Saved. Thank you for taking a moment for yourself." in _screen_text(at)
                else "no 'Saved' confirmation: " + "; ".join(e.value for e in at.error)
            ),
        )
        self.result.debriefs_confirmed.append(marker)

    def read_debriefs(self, marker: str) -> None:
        def found_once(at):
            count = [t.value for t in at.text].count(marker)
            return None if count == 1 else f"'My debriefs' showed the new debrief {count} times"

        self.run("read my debriefs", screens.MY_WELLBEING.file, check=found_once)

    def team_home(self) -> None:
        self.run(
            "team home",
            screens.HOME_SPO.file,
            check=lambda at: (
                None if any(str(t.value).startswith("Team home") for t in at.title) else "not the team home"
            ),
        )


def simulate(
    person: Person, rounds: int, seed: int, url: str, deadline: float, run_timeout: float, barrier, results
) -> None:
    """One simulated user, in its own process: warm up, wait for everyone, then do ``rounds`` rounds."""
    result = UserResult(person.index, person.user_id, person.role)
    try:
        os.environ[db_engine.ENV_VAR] = url
        db_engine.configure(url)
        _patch_pages_manager()
        # AppTest outside a server warns "missing ScriptRunContext" on set-up; harmless, as it says.
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
        rng = Random(seed * 100_003 + person.index)
        session = Session(person, result, run_timeout)
        started = time.perf_counter()
        at = session.at.run()  # the first run: app.py, migrations checked, the home page
        result.warm_up_seconds = time.perf_counter() - started
        if at.exception or not at.title:
            raise StepFailed("sign-in: the home page did not open " + "; ".join(str(e.message) for e in at.exception))
    except Exception as exc:
        result.errors.append(f"warm-up: {exc}")
        try:
            barrier.abort()
        finally:
            results.put(asdict(result))
        return
    try:
        barrier.wait(timeout=max(1.0, deadline - time.time()))
    except threading.BrokenBarrierError:
        result.errors.append("start: another user failed to start, or the start timed out")
        results.put(asdict(result))
        return
    result.started_at = time.time()
    for round_no in range(rounds):
        if time.time() > deadline:
            result.timed_out = True
            break
        marker = f"LOAD{seed}u{person.index:03d}r{round_no:03d}{secrets.token_hex(4)}"
        try:
            if round_no % 2 == 0:
                session.write_note(marker, f"Load test note {round_no + 1} by user {person.index}. {marker}")
                session.search_journal(marker)
            else:
                session.write_debrief(marker, rng)
                session.read_debriefs(marker)
            if person.role == Role.SPO.value:
                session.team_home()
        except StepFailed as exc:
            result.errors.append(str(exc))
        except Exception as exc:  # a bug in the script or the page: report it, carry on with the next round
            result.errors.append(f"round {round_no}: {type(exc).__name__}: {exc} {traceback.format_exc(limit=3)}")
        result.rounds_done += 1
    result.finished_at = time.time()
    db_engine.dispose_all()
    results.put(asdict(result))


# ------------------------------------------------------------------ checking what was saved


@dataclass
class Verification:
    notes_expected: int = 0
    notes_found: int = 0
    debriefs_expected: int = 0
    debriefs_found: int = 0
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unaccounted: int = 0
    saved_despite_error: int = 0
    untitled_drafts: int = 0


def verify(people: list[Person], results: list[dict]) -> Verification:
    """Read every entry back as its author (decrypting through the services) and count markers."""
    from db.engine import session_scope
    from db.reflection import Debrief, JournalEntry
    from qa.access.auth import load_actor
    from qa.reflection import debriefs, journal

    check = Verification()
    by_user = {r["user_id"]: r for r in results}
    for person in people:
        actor = load_actor(person.user_id)
        assert actor is not None, "every simulated user was created active and is never deactivated"
        result = by_user.get(person.user_id)
        confirmed_notes = result["notes_confirmed"] if result else []
        attempted_notes = result["notes_attempted"] if result else []
        confirmed_debriefs = result["debriefs_confirmed"] if result else []
        attempted_debriefs = result["debriefs_attempted"] if result else []
        notes = journal.my_notes(actor)
        titles = Counter(note.title for note in notes)
        # A confirmed note counts as found only with the text typed into it.
        bodies = defaultdict(str, {note.title: " ".join(note.sections.values()) for note in notes})
        with session_scope() as session:
            debrief_count = session.exec(
                select(func.count()).select_from(Debrief).where(Debrief.author_id == person.user_id)
            ).one()
            note_count = session.exec(
                select(func.count()).select_from(JournalEntry).where(JournalEntry.author_id == person.user_id)
            ).one()
        happened = Counter(d.what_happened for d in debriefs.my_debriefs(actor, limit=debrief_count + 1))
        check.notes_expected += len(confirmed_notes)
        check.debriefs_expected += len(confirmed_debriefs)
        found_notes = [m for m in confirmed_notes if titles[m] >= 1 and m in bodies[m]]
        found_debriefs = [m for m in confirmed_debriefs if happened[m] >= 1]
        check.notes_found += len(found_notes)
        check.debriefs_found += len(found_debriefs)
        check.lost += [m for m in confirmed_notes if m not in found_notes]
        check.lost += [m for m in confirmed_debriefs if m not in found_debriefs]
        for marker, seen in [(m, titles) for m in attempted_notes] + [(m, happened) for m in attempted_debriefs]:
            if seen[marker] > 1:
                check.duplicated.append(marker)
        check.saved_despite_error += sum(1 for m in attempted_notes if m not in confirmed_notes and titles[m] == 1)
        check.saved_despite_error += sum(
            1 for m in attempted_debriefs if m not in confirmed_debriefs and happened[m] == 1
        )
        # A note is a row from its "New note" click, titled as the author types. A step
        # that failed after the click can leave an untitled draft: the author saw it
        # start, so it is accounted for, up to one per click. Anything else is not:
        # a title or debrief text nobody typed, more rows than clicks, or rows the
        # services did not list.
        marked = sum(titles[m] for m in set(attempted_notes))
        clicks_left_untitled = len(attempted_notes) - sum(1 for m in attempted_notes if titles[m])
        untitled = min(titles.get("", 0), clicks_left_untitled)
        check.untitled_drafts += untitled
        check.unaccounted += note_count - marked - untitled
        check.unaccounted += debrief_count - sum(happened[m] for m in set(attempted_debriefs))
    return check


# ------------------------------------------------------------------ the run


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` 0.95 for the 95th)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def _fresh_database(url: str, replace: bool) -> str | None:
    """Migrate; refuse a database that already holds an organisation unless ``replace``. None if ready."""
    from bench.generate_region import has_organisation, wipe

    engine = db_engine.get_engine(url)
    migrate.upgrade(url)
    if has_organisation(engine):
        if not replace:
            return (
                "This database already holds an organisation. The load test needs a throwaway database: "
                "give --replace to drop everything in it first."
            )
        wipe(url, engine)
        db_engine.dispose_all()
        migrate.upgrade(url)
    return None


@contextmanager
def _plain_main() -> Iterator[None]:
    """Start children with an empty ``__main__``.

    AppTest runs each page as ``__main__`` and leaves the last one in
    ``sys.modules``; a "spawn" child re-runs its parent's ``__main__`` file first,
    so after other AppTest runs (a test suite) it would run a page script and crash.
    """
    original = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if original is not None:
            sys.modules["__main__"] = original


def run_load(
    url: str,
    users: int = DEFAULT_USERS,
    actions: int = DEFAULT_ACTIONS,
    seed: int = DEFAULT_SEED,
    timeout: float = DEFAULT_TIMEOUT,
    replace: bool = False,
    start_method: str | None = None,
) -> dict:
    """Set up, run ``users`` simulated users for ``actions`` rounds each, verify, and return the report.

    Each user is a process of its own: AppTest swaps process-wide state on
    every run, so two sessions must never share a process. ``start_method``
    is multiprocessing's: "fork" (the default on Linux) shares the modules
    imported here; "spawn" starts clean, for a caller with threads of its own.
    """
    if users < 2:
        raise ValueError("At least 2 users: one SPO and one practitioner.")
    if actions < 1:
        raise ValueError("At least 1 action per user.")
    began = time.time()
    deadline = began + timeout
    os.environ[db_engine.ENV_VAR] = url  # the AppTest runs of app.py read it
    db_engine.configure(url)
    problem = _fresh_database(url, replace)
    if problem:
        raise RuntimeError(problem)
    people = build_organisation(users)
    dialect = db_engine.get_engine(url).dialect.name
    sqlite_mode = None
    if dialect == "sqlite":
        with db_engine.get_engine(url).connect() as conn:
            sqlite_mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    # Import the app's heavy modules once here, so forked users share them.
    import altair  # noqa: F401
    import pandas  # noqa: F401
    import streamlit.testing.v1  # noqa: F401

    from qa.reflection import debriefs, journal, journal_export  # noqa: F401

    db_engine.dispose_all()  # no connection may be shared with the children
    context = multiprocessing.get_context(start_method or ("fork" if sys.platform.startswith("linux") else "spawn"))
    barrier = context.Barrier(users + 1)
    results_queue = context.Queue()
    run_timeout = max(30.0, min(300.0, timeout / 4))
    processes = [
        context.Process(  # type: ignore[attr-defined]  # typeshed's BaseContext lacks Process; every real context has it
            target=simulate,
            args=(person, actions, seed, url, deadline, run_timeout, barrier, results_queue),
            name=f"load-user-{person.index}",
            daemon=True,
        )
        for person in people
    ]
    load_before = os.getloadavg()
    with _plain_main():
        for process in processes:
            process.start()
    errors: list[str] = []
    try:
        barrier.wait(timeout=max(1.0, deadline - time.time()))
        start = time.time()
    except threading.BrokenBarrierError:
        start = time.time()
        errors.append("Not every simulated user started (see the warm-up errors).")
    results: list[dict] = []
    while len(results) < len(processes):
        remaining = deadline - time.time()
        try:
            results.append(results_queue.get(timeout=max(0.1, min(remaining, 5.0))))
        except queue.Empty:
            if time.time() >= deadline + 30:  # each user stops itself at the deadline; this is the backstop
                break
            if not any(p.is_alive() for p in processes) and results_queue.empty():
                break
    end = max([r["finished_at"] for r in results if r["finished_at"]] or [time.time()])
    load_after = os.getloadavg()
    stopped = 0
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            process.terminate()  # only the processes started here, by their own handle
            process.join(timeout=5)
            stopped += 1
    missing = len(processes) - len(results)
    if missing:
        errors.append(f"{missing} simulated users reported nothing (stopped at the time limit or crashed).")

    db_engine.configure(url)
    verification = verify(people, results)
    db_engine.dispose_all()

    samples = [(step, seconds, ok) for r in results for step, seconds, ok in r["samples"]]
    by_step: dict[str, list[float]] = defaultdict(list)
    for step, seconds, _ok in samples:
        by_step[step].append(seconds)
    failed_steps = sum(1 for _s, _t, ok in samples if not ok)
    for r in results:
        errors += [f"user {r['index']} ({r['role']}): {e}" for e in r["errors"]]
    wall = max(end - start, 1e-9)
    writes = verification.notes_expected + verification.debriefs_expected
    all_times = [seconds for _s, seconds, _ok in samples]
    report = {
        "dialect": dialect,
        "sqlite_journal_mode": sqlite_mode,
        "users": users,
        "practitioners": sum(1 for p in people if p.role == Role.PRACTITIONER.value),
        "spos": sum(1 for p in people if p.role == Role.SPO.value),
        "actions_per_user": actions,
        "rounds_done": sum(r["rounds_done"] for r in results),
        "requests": len(samples),
        "failed_requests": failed_steps,
        "wall_seconds": wall,
        "throughput_requests_per_second": len(samples) / wall,
        "entries_written": writes,
        "throughput_entries_per_second": writes / wall,
        "latency": {
            step: {
                "count": len(by_step[step]),
                "median": statistics.median(by_step[step]),
                "p95": percentile(by_step[step], 0.95),
                "max": max(by_step[step]),
            }
            for step in STEPS
            if by_step.get(step)
        },
        "latency_all": {
            "count": len(all_times),
            "median": statistics.median(all_times) if all_times else float("nan"),
            "p95": percentile(all_times, 0.95),
            "max": max(all_times) if all_times else float("nan"),
        },
        "warm_up_median_seconds": statistics.median([r["warm_up_seconds"] for r in results])
        if results
        else float("nan"),
        "errors": errors,
        "database_locked_errors": sum(1 for e in errors if "locked" in e.lower() or "could not be reached" in e),
        "timed_out_users": sum(1 for r in results if r["timed_out"]) + missing,
        "stopped_processes": stopped,
        "notes_expected": verification.notes_expected,
        "notes_found": verification.notes_found,
        "debriefs_expected": verification.debriefs_expected,
        "debriefs_found": verification.debriefs_found,
        "lost": len(verification.lost),
        "duplicated": len(verification.duplicated),
        "unaccounted": verification.unaccounted,
        "saved_despite_error": verification.saved_despite_error,
        "untitled_drafts": verification.untitled_drafts,
        "lost_markers": verification.lost,
        "duplicated_markers": verification.duplicated,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "cpus": os.cpu_count(),
        "total_seconds": time.time() - began,
    }
    report["intact"] = report["lost"] == 0 and report["duplicated"] == 0 and report["unaccounted"] == 0
    report["ok"] = report["intact"] and not errors and report["timed_out_users"] == 0 and report["failed_requests"] == 0
    return report


def format_report(report: dict) -> str:
    mode = f" ({report['sqlite_journal_mode']} mode)" if report["sqlite_journal_mode"] else ""
    lines = [
        f"Database: {report['dialect']}{mode}",
        f"Simulated users: {report['users']} at once ({report['practitioners']} practitioners, {report['spos']} SPOs), "
        f"{report['actions_per_user']} rounds each ({report['rounds_done']} done)",
        f"Machine: {report['cpus']} CPUs; load average before {report['load_average_before'][0]:.1f}, "
        f"after {report['load_average_after'][0]:.1f} (1 minute)",
        f"Warm-up (first page per user, not counted below): median {report['warm_up_median_seconds']:.2f} s",
        "",
        f"Requests (script runs): {report['requests']} in {report['wall_seconds']:.1f} s wall time: "
        f"{report['throughput_requests_per_second']:.2f} requests/s",
        f"Entries written and confirmed: {report['entries_written']}: {report['throughput_entries_per_second']:.2f} entries/s",
        "",
        f"{'Step':<18} {'count':>6} {'median s':>9} {'p95 s':>8} {'max s':>8}",
    ]
    for step, row in report["latency"].items():
        lines.append(f"{step:<18} {row['count']:>6} {row['median']:>9.3f} {row['p95']:>8.3f} {row['max']:>8.3f}")
    row = report["latency_all"]
    lines.append(f"{'all steps':<18} {row['count']:>6} {row['median']:>9.3f} {row['p95']:>8.3f} {row['max']:>8.3f}")
    lines += [
        "",
        f"Journal notes: {report['notes_expected']} confirmed on screen, {report['notes_found']} found by their author",
        f"Debriefs: {report['debriefs_expected']} confirmed on screen, {report['debriefs_found']} found by their author",
        f"Lost: {report['lost']}   Duplicated: {report['duplicated']}   Unaccounted rows: {report['unaccounted']}   "
        f"Saved although the page showed an error: {report['saved_despite_error']}   "
        f"Untitled drafts left by a failed step: {report['untitled_drafts']}",
        f"Failed requests: {report['failed_requests']}   Database locked or unreachable: {report['database_locked_errors']}   "
        f"Users stopped by the time limit: {report['timed_out_users']}",
    ]
    if report["lost_markers"] or report["duplicated_markers"]:
        lines.append(
            f"Lost markers: {report['lost_markers'][:10]}; duplicated markers: {report['duplicated_markers'][:10]}"
        )
    for error in report["errors"][:20]:
        lines.append(f"  error: {error}")
    if len(report["errors"]) > 20:
        lines.append(f"  ... and {len(report['errors']) - 20} more errors")
    lines.append(
        "Records: "
        + (
            "PASS: nothing lost, duplicated or unaccounted"
            if report["intact"]
            else "FAIL: records lost, duplicated or unaccounted"
        )
    )
    lines.append(
        "Steps: "
        + (
            "PASS: every step succeeded"
            if report["ok"]
            else "FAIL: some steps failed or ran out of time (listed above)"
        )
    )
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", help="a throwaway database; default: a new SQLite file in a temporary folder")
    p.add_argument(
        "--users", type=int, default=DEFAULT_USERS, help=f"simulated users at once (default {DEFAULT_USERS})"
    )
    p.add_argument(
        "--actions",
        type=int,
        default=DEFAULT_ACTIONS,
        help=f"rounds per user, each one write and one read (default {DEFAULT_ACTIONS})",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seeds the feelings and intensities chosen")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help=f"seconds for the whole run (default {DEFAULT_TIMEOUT:.0f})",
    )
    p.add_argument(
        "--replace", action="store_true", help="the database holds an organisation already: drop everything in it first"
    )
    p.add_argument(
        "--generate-key", action="store_true", help="if PQP_ENCRYPTION_KEYS is not set, make a key for this run"
    )
    p.add_argument(
        "--proxy",
        type=int,
        metavar="N",
        help="go through nginx to N real portal processes in Chromium instead of AppTest (bench/proxy_load.py)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not os.environ.get(encryption.ENV_VAR, "").strip():
        if not args.generate_key:
            print(
                f"Set {encryption.ENV_VAR} (the key the portal reads private text with), "
                "or give --generate-key to use a new key for this run.",
                file=sys.stderr,
            )
            return 2
        os.environ[encryption.ENV_VAR] = encryption.new_key()
        print("Using a new encryption key for this run.")
    temp_dir = None
    url = args.database_url
    if not url:
        temp_dir = tempfile.mkdtemp(prefix="pqp-load-")
        url = f"sqlite:///{temp_dir}/load.db"
    try:
        if args.proxy:
            from bench.proxy_load import format_proxy_report, run_through_proxy

            proxied = run_through_proxy(url, args.proxy, args.users, args.actions, args.replace)
            print(format_proxy_report(proxied))
            if proxied["lost"] or proxied["duplicated"] or proxied["unaccounted"]:
                return 1
            return 3 if proxied["steps_failed"] else 0
        report = run_load(url, args.users, args.actions, args.seed, args.timeout, args.replace)
    except (RuntimeError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        if temp_dir:
            shutil.rmtree(temp_dir, ignore_errors=True)
    print(format_report(report))
    if not report["intact"]:
        return 1
    return 0 if report["ok"] else 3


if __name__ == "__main__":
    raise SystemExit(main())

"""Generate a region-scale synthetic dataset, for benchmarking the portal.

    python -m bench.generate_region --database-url URL [--scale 1.0] [--seed 7] [--replace]

At ``--scale 1.0`` it builds one region of 6 PDUs and 60 teams, 1,500
practitioners with their SPOs and QA leads, 40,000 cases and five years of
activity ending on 31 October 2026: about 1,440 LEARN audit events (each PDU
runs one most weeks), 25,000 case audits with 600,000 answers, 16,500
observations, 320,000 emotional debriefs and 67,000 supervision sessions. Every
count scales with ``--scale`` (``--scale 0.01`` is a tiny dataset for tests).

This is the command line only. The engine, shared with the demo organisation
(``python -m portal demo``), is ``portal/synthetic/engine.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable

from db import encryption, migrate
from db.engine import get_engine
from portal.synthetic.engine import (  # noqa: F401  (re-exported for the benchmark, the load test and tests)
    BENCH_PASSWORD,
    DEFAULT_CHUNK_ROWS,
    DEFAULT_SEED,
    END,
    OBSERVATIONS_PER_PRACTITIONER,
    REGION_WINDOW,
    SAMPLE_MAX,
    SAMPLE_MIN,
    START,
    Plan,
    Result,
    generate,
    has_organisation,
    plan_for,
    wipe,
)

NOT_EMPTY = (
    "The database already holds an organisation (users, regions or cases). "
    "Give --replace to drop everything in it and generate afresh."
)
NO_KEY = (
    "PQP_ENCRYPTION_KEYS is not set. Debriefs and supervision notes are stored encrypted, and the "
    "portal needs the same key to read them. Set it first, for example:\n\n"
    "    export PQP_ENCRYPTION_KEYS={key}\n\n"
    "or give --generate-key to use a new key and print it."
)

#: How the counts are listed at the end: by area of the portal.
DISPLAY_ORDER = (
    ["region", "pdu", "team", "user", "userrole", "staff_profile", "probation_case", "instrument"],
    [
        "audit_event",
        "auditor_pair",
        "case_sample",
        "case_audit",
        "audit_answer",
        "audit_section_result",
        "feedback_sheet",
        "feedback_theme",
        "audit_action",
        "urgent_concern",
    ],
    ["observation", "observation_rating", "self_rating", "development_goal"],
    ["debrief", "debrief_feeling", "support_request"],
    ["supervision_session", "session_participant", "supervisor_sign_off", "case_discussion", "supervision_action"],
    ["audit_trail"],
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench.generate_region", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", required=True, help="sqlite:///path.db or postgresql://user@host/dbname")
    p.add_argument("--scale", type=float, default=1.0, help="1.0 is a whole region; 0.01 a tiny dataset for tests")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the same seed gives the same dataset")
    p.add_argument(
        "--replace", action="store_true", help="drop everything in the database first (deletes a SQLite file)"
    )
    p.add_argument(
        "--generate-key", action="store_true", help="if PQP_ENCRYPTION_KEYS is not set, make a key and print it"
    )
    p.add_argument("--chunk-rows", type=int, default=DEFAULT_CHUNK_ROWS, help="rows per write transaction")
    p.add_argument("--no-analyze", dest="analyze", action="store_false", help="skip ANALYZE after loading")
    return p


def _check_key(generate_key: bool) -> str | None:
    """None if a usable key is set (or made); otherwise the message to show."""
    if not os.environ.get(encryption.ENV_VAR, "").strip():
        if not generate_key:
            return NO_KEY.format(key=encryption.new_key())
        key = encryption.new_key()
        os.environ[encryption.ENV_VAR] = key
        print("Generated an encryption key. The portal needs it to read this dataset's private text:")
        print(f"    export {encryption.ENV_VAR}={key}")
    try:
        encryption.encrypt("{}")
    except (ValueError, TypeError) as exc:
        return f"{encryption.ENV_VAR} does not hold a valid Fernet key ({exc})."
    return None


def main(argv: Iterable[str] | None = None) -> int:
    args = parser().parse_args(list(argv) if argv is not None else None)
    try:
        plan_for(args.scale)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    problem = _check_key(args.generate_key)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    url = args.database_url
    engine = get_engine(url)
    try:
        migrate.upgrade(url)
        if has_organisation(engine):
            if not args.replace:
                print(NOT_EMPTY, file=sys.stderr)
                return 1
            print("Dropping everything in the database (--replace).")
            wipe(url, engine)
            migrate.upgrade(url)
        result = generate(url, args.scale, args.seed, args.chunk_rows, args.analyze)
    finally:
        engine.dispose()
    width = max(len(name) for name in result.counts)
    print("\nRows per table:")
    listed = [t for group in DISPLAY_ORDER for t in group]
    for group in (*DISPLAY_ORDER, [t for t in sorted(result.counts) if t not in listed]):
        for table in group:
            if table in result.counts:
                print(f"  {table:<{width}} {result.counts[table]:>10,}")
    print(f"  {'total':<{width}} {sum(result.counts.values()):>10,}")
    print(f"\nGenerated in {result.seconds:.1f} s.")
    print(f"Every account's password is {BENCH_PASSWORD}. For example:")
    for role, email in result.sign_ins.items():
        print(f"  {role:<14} {email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The portal's Prometheus metrics, served at /metrics by the launcher (portal_app.py).

They carry no personal data: no names, no email addresses, no record ids, only
counts, durations and page names. Every layer may record into them; this module
imports nothing from the project.

Each process has its own counters (Prometheus adds them up across processes);
the gauges that describe the whole service (active sessions, outbox depth) are
read from the database when /metrics is scraped.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

PAGE_RUNS = Counter("pqp_page_runs", "Full page runs, by page", ["page"], registry=REGISTRY)
PAGE_SECONDS = Histogram(
    "pqp_page_run_seconds",
    "How long a full page run took, by page",
    ["page"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
    registry=REGISTRY,
)
PAGE_ERRORS = Counter("pqp_page_errors", "Page runs that ended in an unexpected error", registry=REGISTRY)
DB_ERRORS = Counter("pqp_db_errors", "Database faults that reached a page (unreachable or locked)", registry=REGISTRY)
DB_RETRIES = Counter("pqp_db_retries", "Statements retried after meeting a locked SQLite database", registry=REGISTRY)
SIGN_IN_FAILURES = Counter("pqp_sign_in_failures", "Refused sign-ins, by reason", ["reason"], registry=REGISTRY)
LOCKOUTS = Counter("pqp_lockouts", "Accounts locked after too many failed sign-ins", registry=REGISTRY)
ROLLUP_SECONDS = Histogram(
    "pqp_rollup_recount_seconds",
    "Time spent recounting dashboard rollup cells in a write",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5),
    registry=REGISTRY,
)
ACTIVE_SESSIONS = Gauge("pqp_active_sessions", "Sign-in sessions within their limits", registry=REGISTRY)
OUTBOX_MESSAGES = Gauge(
    "pqp_outbox_messages", "Notification emails in the outbox, by status", ["status"], registry=REGISTRY
)

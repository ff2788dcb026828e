"""Data version counter and scope indexes for dashboards (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:00:00

- ``data_version``: one row (id 1) whose version db/dashboards.py's session hooks bump in the same transaction as every
  write through a session; the dashboards' cache key reads it by primary key instead of counting a table.
  The row is made by the first write (insert or increment), so an empty table reads as version 0.
- ``ix_case_audit_submitted_cover`` (submitted_at, moderates_id, status, case_id) replaces the index on
  submitted_at alone: the dashboards' "submitted, non-moderation audits in this range" reads only the index.
- ``ix_case_audit_moderates_id`` becomes partial (``moderates_id IS NOT NULL``): it still finds the blind
  second audits of an audit, but a planner can no longer pick it for ``moderates_id IS NULL``, which matches
  almost every audit (SQLite did, and then read most of the table).
- ``ix_session_participant_person_session`` (practitioner, session) replaces the index on the practitioner
  alone, so a person's last supervision is found from their own rows without reading the table.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.drop_index("ix_case_audit_submitted_at", table_name="case_audit")
    op.create_index(
        "ix_case_audit_submitted_cover", "case_audit", ["submitted_at", "moderates_id", "status", "case_id"]
    )
    op.drop_index("ix_case_audit_moderates_id", table_name="case_audit")
    op.create_index(
        "ix_case_audit_moderates_id",
        "case_audit",
        ["moderates_id"],
        sqlite_where=sa.text("moderates_id IS NOT NULL"),
        postgresql_where=sa.text("moderates_id IS NOT NULL"),
    )
    op.create_index("ix_session_participant_person_session", "session_participant", ["practitioner_id", "session_id"])
    op.drop_index("ix_session_participant_practitioner_id", table_name="session_participant")


def downgrade() -> None:
    op.create_index("ix_session_participant_practitioner_id", "session_participant", ["practitioner_id"])
    op.drop_index("ix_session_participant_person_session", table_name="session_participant")
    op.drop_index("ix_case_audit_moderates_id", table_name="case_audit")
    op.create_index("ix_case_audit_moderates_id", "case_audit", ["moderates_id"])
    op.drop_index("ix_case_audit_submitted_cover", table_name="case_audit")
    op.create_index("ix_case_audit_submitted_at", "case_audit", ["submitted_at"])
    op.drop_table("data_version")

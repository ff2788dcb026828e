"""Data version counter and scope indexes for dashboards (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:00:00

- ``data_version``: one row (id 1) whose version db/dashboards.py's session hooks bump in the same transaction as every
  write through a session; the dashboards' cache key reads it by primary key instead of counting a table.
  The row is made by the first write (insert or increment), so an empty table reads as version 0.
- ``ix_case_audit_counted``: a partial index of the audits the dashboards count (``moderates_id IS NULL``)
  on (submitted_at, case_id, status), so a date range reads only its own audits; the plain index on
  ``moderates_id`` could not narrow anything, since almost every audit has none.
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
    op.create_index(
        "ix_case_audit_counted",
        "case_audit",
        ["submitted_at", "case_id", "status"],
        sqlite_where=sa.text("moderates_id IS NULL"),
        postgresql_where=sa.text("moderates_id IS NULL"),
    )
    op.create_index("ix_session_participant_person_session", "session_participant", ["practitioner_id", "session_id"])
    op.drop_index("ix_session_participant_practitioner_id", table_name="session_participant")


def downgrade() -> None:
    op.create_index("ix_session_participant_practitioner_id", "session_participant", ["practitioner_id"])
    op.drop_index("ix_session_participant_person_session", table_name="session_participant")
    op.drop_index("ix_case_audit_counted", table_name="case_audit")
    op.drop_table("data_version")

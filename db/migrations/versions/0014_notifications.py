"""Notifications: inbox, outbox and per-person delivery choices (issue 14)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:00:00

Reserved in the migration chain so that parallel work can land in any order;
the schema change is written by the work that owns it.
"""

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

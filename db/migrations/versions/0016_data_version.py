"""Data version counter and scope indexes for dashboards (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 06:00:00

Reserved in the migration chain so that parallel work can land in any order;
the schema change is written by the work that owns it.
"""

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

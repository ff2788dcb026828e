"""Server-side sign-in sessions and sign-in rate limits (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:00:00

Reserved in the migration chain so that parallel work can land in any order;
the schema change is written by the work that owns it.
"""

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass

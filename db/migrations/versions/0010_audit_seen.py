"""When an SPO last opened an audit, so the home page can show what changed since

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 09:00:00

Replies and actions closed after that moment stay on the SPO's home page until
they open the audit again (qa/worklist.py).
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_seen",
        sa.Column("audit_id", sa.Integer(), sa.ForeignKey("case_audit.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("audit_id", "user_id"),
    )


def downgrade() -> None:
    op.drop_table("audit_seen")

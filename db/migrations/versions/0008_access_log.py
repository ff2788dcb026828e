"""access log: who opened which record about another person, and when

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["subject_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["viewer_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("record_view", schema=None) as batch_op:
        batch_op.create_index("ix_record_view_subject_at", ["subject_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_record_view_viewer_id"), ["viewer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_record_view_viewer_id"))
        batch_op.drop_index("ix_record_view_subject_at")
    op.drop_table("record_view")

"""Stored section judgements for dashboards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 22:36:53.983219
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_section_result",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("section_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("section_title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.PrimaryKeyConstraint("audit_id", "section_key"),
    )
    with op.batch_alter_table("audit_section_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_section_result_verdict"), ["verdict"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_section_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_section_result_verdict"))

    op.drop_table("audit_section_result")

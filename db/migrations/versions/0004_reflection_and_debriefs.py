"""reflection and debriefs

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 22:18:19.634766
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "support_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("how_to_reach", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("independent", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "debrief",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("intensity", sa.Integer(), nullable=False),
        sa.Column("setting", sa.String(length=30), nullable=True),
        sa.Column("need", sa.String(length=30), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.CheckConstraint("intensity >= 0 AND intensity <= 10", name="ck_debrief_intensity"),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("debrief", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_debrief_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_debrief_created_at"), ["created_at"], unique=False)

    op.create_table(
        "entry_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("shared_with_id", sa.Integer(), nullable=False),
        sa.Column("for_supervision", sa.Boolean(), nullable=False),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["shared_with_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("entry_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entry_share_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_share_entry_id"), ["entry_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_entry_share_shared_with_id"), ["shared_with_id"], unique=False)

    op.create_table(
        "debrief_feeling",
        sa.Column("debrief_id", sa.Integer(), nullable=False),
        sa.Column("feeling", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["debrief.id"],
        ),
        sa.PrimaryKeyConstraint("debrief_id", "feeling"),
    )
    op.create_table(
        "support_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requester_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("debrief_id", sa.Integer(), nullable=True),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["debrief_id"],
            ["debrief.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_support_request_recipient_id"), ["recipient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_requester_id"), ["requester_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_support_request_status"), ["status"], unique=False)

    op.create_table(
        "journal_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=20), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.Column("case_ref", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("audit_id", sa.Integer(), nullable=True),
        sa.Column("observation_id", sa.Integer(), nullable=True),
        sa.Column("is_draft", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entry_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("journal_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entry_author_id"))

    op.drop_table("journal_entry")
    with op.batch_alter_table("support_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_support_request_status"))
        batch_op.drop_index(batch_op.f("ix_support_request_requester_id"))
        batch_op.drop_index(batch_op.f("ix_support_request_recipient_id"))

    op.drop_table("support_request")
    op.drop_table("debrief_feeling")
    with op.batch_alter_table("entry_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entry_share_shared_with_id"))
        batch_op.drop_index(batch_op.f("ix_entry_share_entry_id"))
        batch_op.drop_index(batch_op.f("ix_entry_share_author_id"))

    op.drop_table("entry_share")
    with op.batch_alter_table("debrief", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_debrief_created_at"))
        batch_op.drop_index(batch_op.f("ix_debrief_author_id"))

    op.drop_table("debrief")
    op.drop_table("support_contact")

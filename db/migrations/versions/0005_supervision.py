"""supervision

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 22:27:04.575554
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_profile",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("newly_qualified", sa.Boolean(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "supervision_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supervisor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("accountability", sa.Boolean(), nullable=False),
        sa.Column("development", sa.Boolean(), nullable=False),
        sa.Column("support", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.Column("personal_notes", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.Column("personal_private", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["supervisor_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_session_held_on"), ["held_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_session_supervisor_id"), ["supervisor_id"], unique=False)

    op.create_table(
        "agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("discussed_in_id", sa.Integer(), nullable=True),
        sa.Column("discussion_note", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["discussed_in_id"],
            ["supervision_session.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_item_discussed_in_id"), ["discussed_in_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_agenda_item_practitioner_id"), ["practitioner_id"], unique=False)

    op.create_table(
        "case_discussion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.Column("rationale", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_discussion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_discussion_session_id"), ["session_id"], unique=False)

    op.create_table(
        "session_participant",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),  # a Fernet token: encrypted by db/encryption.py
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_session.id"],
        ),
        sa.PrimaryKeyConstraint("session_id", "practitioner_id"),
    )
    with op.batch_alter_table("session_participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_participant_practitioner_id"), ["practitioner_id"], unique=False)

    op.create_table(
        "session_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),  # a Fernet token: encrypted by db/encryption.py
        sa.Column("changed_by_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("session_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_version_session_id"), ["session_id"], unique=False)

    op.create_table(
        "supervision_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_session.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supervision_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supervision_action_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_supervision_action_session_id"), ["session_id"], unique=False)

    op.create_table(
        "supervisor_sign_off",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("signed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_session.id"],
        ),
        sa.PrimaryKeyConstraint("session_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("supervisor_sign_off")
    with op.batch_alter_table("supervision_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_action_session_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_action_owner_id"))

    op.drop_table("supervision_action")
    with op.batch_alter_table("session_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_version_session_id"))

    op.drop_table("session_version")
    with op.batch_alter_table("session_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_participant_practitioner_id"))

    op.drop_table("session_participant")
    with op.batch_alter_table("case_discussion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_discussion_session_id"))

    op.drop_table("case_discussion")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_agenda_item_discussed_in_id"))

    op.drop_table("agenda_item")
    with op.batch_alter_table("supervision_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_session_supervisor_id"))
        batch_op.drop_index(batch_op.f("ix_supervision_session_held_on"))

    op.drop_table("supervision_session")
    op.drop_table("staff_profile")

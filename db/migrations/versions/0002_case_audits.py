"""case audits

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 21:45:33.360291
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

# Frozen here: a migration must not change when the model module does.
DEFAULT_LEARNING_THEMES = (
    "Professional curiosity",
    "Optimism bias",
    "Enforcement and recall",
    "Allocation and experience",
    "Management oversight",
    "Review after significant events",
    "Information sharing",
    "Victims and children",
    "Mental health and substance misuse",
)


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "learning_theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "instrument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("loaded_by_id", sa.Integer(), nullable=True),
        sa.Column("loaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["loaded_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", "version", name="uq_instrument_key_version"),
    )
    op.create_table(
        "audit_event",
        sa.Column("pdu_id", sa.Integer(), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("low_risk_share", sa.Float(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sample_accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pdu_id"],
            ["pdu.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_event_date"), ["event_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_pdu_id"), ["pdu_id"], unique=False)

    op.create_table(
        "auditor_pair",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditor_pair", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditor_pair_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditor_pair_first_id"), ["first_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_auditor_pair_second_id"), ["second_id"], unique=False)

    op.create_table(
        "sample_swap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("removed_case_id", sa.Integer(), nullable=False),
        sa.Column("added_case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_case_id"],
            ["probation_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["removed_case_id"],
            ["probation_case.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sample_swap", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sample_swap_event_id"), ["event_id"], unique=False)

    op.create_table(
        "case_sample",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["probation_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["auditor_pair.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "case_id", name="uq_case_sample_event_case"),
    )
    with op.batch_alter_table("case_sample", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_sample_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_sample_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_sample_pair_id"), ["pair_id"], unique=False)

    op.create_table(
        "case_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("pair_id", sa.Integer(), nullable=True),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("moderates_id", sa.Integer(), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("feedback_to_id", sa.Integer(), nullable=True),
        sa.Column("feedback_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("discussed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("discussed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["probation_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["discussed_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["audit_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["feedback_to_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["instrument.id"],
        ),
        sa.ForeignKeyConstraint(
            ["moderates_id"],
            ["case_audit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pair_id"],
            ["auditor_pair.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["case_sample.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_audit_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_feedback_to_id"), ["feedback_to_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_moderates_id"), ["moderates_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_pair_id"), ["pair_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_sample_id"), ["sample_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_audit_status"), ["status"], unique=False)

    op.create_table(
        "audit_action",
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_action_audit_id"), ["audit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_action_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_action_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_action_status"), ["status"], unique=False)

    op.create_table(
        "audit_answer",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("answer", sa.String(length=20), nullable=True),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.PrimaryKeyConstraint("audit_id", "question_key"),
    )
    op.create_table(
        "feedback_sheet",
        sa.Column("good_practice", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("improvement", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("concerns", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("holder_reply", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("reply_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.PrimaryKeyConstraint("audit_id"),
    )
    op.create_table(
        "feedback_theme",
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=20), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"],
            ["learning_theme.id"],
        ),
        sa.PrimaryKeyConstraint("audit_id", "section", "theme_id"),
    )
    op.create_table(
        "urgent_concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("spo_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledgement", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["case_audit.id"],
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["probation_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["spo_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("urgent_concern", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_urgent_concern_audit_id"), ["audit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_concern_raised_at"), ["raised_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_urgent_concern_spo_id"), ["spo_id"], unique=False)

    # The default learning themes; QA leads can add their own later.
    themes = sa.table("learning_theme", sa.column("name", sa.String), sa.column("active", sa.Boolean))
    op.bulk_insert(themes, [{"name": name, "active": True} for name in DEFAULT_LEARNING_THEMES])


def downgrade() -> None:
    with op.batch_alter_table("urgent_concern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_urgent_concern_spo_id"))
        batch_op.drop_index(batch_op.f("ix_urgent_concern_raised_at"))
        batch_op.drop_index(batch_op.f("ix_urgent_concern_audit_id"))

    op.drop_table("urgent_concern")
    op.drop_table("feedback_theme")
    op.drop_table("feedback_sheet")
    op.drop_table("audit_answer")
    with op.batch_alter_table("audit_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_action_status"))
        batch_op.drop_index(batch_op.f("ix_audit_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_audit_action_due_date"))
        batch_op.drop_index(batch_op.f("ix_audit_action_audit_id"))

    op.drop_table("audit_action")
    with op.batch_alter_table("case_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_audit_status"))
        batch_op.drop_index(batch_op.f("ix_case_audit_sample_id"))
        batch_op.drop_index(batch_op.f("ix_case_audit_pair_id"))
        batch_op.drop_index(batch_op.f("ix_case_audit_moderates_id"))
        batch_op.drop_index(batch_op.f("ix_case_audit_feedback_to_id"))
        batch_op.drop_index(batch_op.f("ix_case_audit_event_id"))
        batch_op.drop_index(batch_op.f("ix_case_audit_case_id"))

    op.drop_table("case_audit")
    with op.batch_alter_table("case_sample", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_sample_pair_id"))
        batch_op.drop_index(batch_op.f("ix_case_sample_event_id"))
        batch_op.drop_index(batch_op.f("ix_case_sample_case_id"))

    op.drop_table("case_sample")
    with op.batch_alter_table("sample_swap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sample_swap_event_id"))

    op.drop_table("sample_swap")
    with op.batch_alter_table("auditor_pair", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditor_pair_second_id"))
        batch_op.drop_index(batch_op.f("ix_auditor_pair_first_id"))
        batch_op.drop_index(batch_op.f("ix_auditor_pair_event_id"))

    op.drop_table("auditor_pair")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_pdu_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_event_date"))

    op.drop_table("audit_event")
    op.drop_table("instrument")
    op.drop_table("learning_theme")

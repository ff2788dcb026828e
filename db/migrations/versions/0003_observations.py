"""observations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 22:07:08.451649
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "observation",
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("observer_id", sa.Integer(), nullable=False),
        sa.Column("observed_on", sa.Date(), nullable=False),
        sa.Column("setting", sa.String(length=30), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("case_ref", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calibration_of_id", sa.Integer(), nullable=True),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=False),
        sa.Column("strengths", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("development_points", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("feedback_wanted", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("reflection", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("reply", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("acknowledged_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("shared_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["calibration_of_id"],
            ["observation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["instrument.id"],
        ),
        sa.ForeignKeyConstraint(
            ["observer_id"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observation_calibration_of_id"), ["calibration_of_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_observed_on"), ["observed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_observer_id"), ["observer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_practitioner_id"), ["practitioner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_observation_status"), ["status"], unique=False)

    op.create_table(
        "development_goal",
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=False),
        sa.Column("review_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("progress", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practitioner_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("development_goal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_development_goal_observation_id"), ["observation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_goal_practitioner_id"), ["practitioner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_development_goal_review_date"), ["review_date"], unique=False)

    op.create_table(
        "observation_rating",
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("domain_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("not_observed", sa.Boolean(), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="ck_observation_rating_scale"),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
        ),
        sa.PrimaryKeyConstraint("observation_id", "domain_key"),
    )
    op.create_table(
        "self_rating",
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("domain_key", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("not_observed", sa.Boolean(), nullable=False),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 4)", name="ck_self_rating_scale"),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
        ),
        sa.PrimaryKeyConstraint("observation_id", "domain_key"),
    )


def downgrade() -> None:
    op.drop_table("self_rating")
    op.drop_table("observation_rating")
    with op.batch_alter_table("development_goal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_development_goal_review_date"))
        batch_op.drop_index(batch_op.f("ix_development_goal_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_development_goal_observation_id"))

    op.drop_table("development_goal")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_status"))
        batch_op.drop_index(batch_op.f("ix_observation_practitioner_id"))
        batch_op.drop_index(batch_op.f("ix_observation_observer_id"))
        batch_op.drop_index(batch_op.f("ix_observation_observed_on"))
        batch_op.drop_index(batch_op.f("ix_observation_calibration_of_id"))

    op.drop_table("observation")

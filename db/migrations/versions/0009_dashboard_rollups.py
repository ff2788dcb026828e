"""Dashboard rollups: pre-counted cells kept equal to their records on every write

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 01:00:00

The tables start empty; qa/rollups.ensure_built counts them from the records
on the first dashboard read, and qa/dashboards/rollups keeps them current from then on.
"""

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

STR = sqlmodel.sql.sqltypes.AutoString


def _audit_keys():
    return [
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "rollup_audit",
        *_audit_keys(),
        sa.Column("pdu_id", sa.Integer(), sa.ForeignKey("pdu.id"), nullable=False),
        sa.Column("audits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "team_id"),
    )
    op.create_table(
        "rollup_answer",
        *_audit_keys(),
        sa.Column("question_key", STR(length=60), nullable=False),
        sa.Column("pdu_id", sa.Integer(), sa.ForeignKey("pdu.id"), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in ("yes", "partly", "no", "not_applicable")],
        sa.PrimaryKeyConstraint("month", "team_id", "question_key"),
    )
    op.create_table(
        "rollup_section",
        *_audit_keys(),
        sa.Column("section_title", STR(length=200), nullable=False),
        sa.Column("pdu_id", sa.Integer(), sa.ForeignKey("pdu.id"), nullable=False),
        sa.Column("sufficient", sa.Integer(), nullable=False),
        sa.Column("judged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "team_id", "section_title"),
    )
    op.create_table(
        "rollup_observation",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "practitioner_id"),
    )
    op.create_table(
        "rollup_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=True),
        sa.Column("domain_key", STR(length=60), nullable=False),
        *[
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("ratings", "rating_sum", "rating_squares", "pairs", "self_sum", "paired_observer_sum")
        ],
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "team_id", "domain_key", name="uq_rollup_rating_cell"),
    )
    op.create_table(
        "rollup_rated_person",
        sa.Column("domain_key", STR(length=60), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("domain_key", "practitioner_id", "month"),
    )
    op.create_table(
        "rollup_debrief",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=False),
        sa.Column("debriefs", sa.Integer(), nullable=False),
        sa.Column("intensity_sum", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "author_id"),
    )
    op.create_table(
        "rollup_feeling",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id"), nullable=True),
        sa.Column("feeling", STR(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "team_id", "feeling", name="uq_rollup_feeling_cell"),
    )
    for table, column in (
        ("rollup_audit", "pdu_id"),
        ("rollup_answer", "pdu_id"),
        ("rollup_section", "pdu_id"),
        ("rollup_observation", "practitioner_id"),
        ("rollup_rating", "month"),
        ("rollup_rating", "team_id"),
        ("rollup_debrief", "author_id"),
        ("rollup_feeling", "month"),
        ("rollup_feeling", "team_id"),
    ):
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table in (
        "rollup_feeling",
        "rollup_debrief",
        "rollup_rated_person",
        "rollup_rating",
        "rollup_observation",
        "rollup_section",
        "rollup_answer",
        "rollup_audit",
    ):
        op.drop_table(table)

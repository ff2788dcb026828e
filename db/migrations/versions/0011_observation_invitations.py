"""Observation invitations answered by the practitioner, self-ratings after sharing, goals agreed by both

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 09:00:00

Existing rows: an observation already shared, or planned with the person's consent
recorded, or one the practitioner asked for themselves, counts as accepted; any other
planned observation waits for the practitioner's answer. Its planned date is the date
held today. Every existing goal counts as agreed, and every existing self-rating as
given before sharing.
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invitation", sa.String(length=30), nullable=False, server_default="accepted"))
        batch_op.add_column(sa.Column("planned_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("proposed_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))
        batch_op.add_column(sa.Column("responded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE observation SET invitation = 'invited' "
        "WHERE status = 'planned' AND NOT consent AND created_by_id <> practitioner_id"
    )
    op.execute("UPDATE observation SET planned_on = observed_on")
    with op.batch_alter_table("self_rating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("after_sharing", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("development_goal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreement", sa.String(length=20), nullable=False, server_default="agreed"))
        # Inline, so SQLite adds the column in place rather than copying the table.
        batch_op.add_column(
            sa.Column(
                "proposed_by_id",
                sa.Integer(),
                sa.ForeignKey("user.id", name="fk_development_goal_proposed_by_id_user"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("agreed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("development_goal", schema=None) as batch_op:
        batch_op.drop_column("agreed_at")
        batch_op.drop_column("proposed_by_id")
        batch_op.drop_column("agreement")
    with op.batch_alter_table("self_rating", schema=None) as batch_op:
        batch_op.drop_column("after_sharing")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_column("responded_at")
        batch_op.drop_column("decline_reason")
        batch_op.drop_column("proposed_on")
        batch_op.drop_column("planned_on")
        batch_op.drop_column("invitation")

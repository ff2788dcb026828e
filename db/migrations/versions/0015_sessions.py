"""Server-side sign-in sessions and sign-in rate limits (issue 15)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:00:00

- sign_in_session: one row per signed-in browser, keyed by the SHA-256 hash of the
  opaque id its cookie holds (never the id itself), with idle and absolute expiry,
  the user agent, and a one-time hashed ticket for the cookie exchange.
- sign_in_attempt: failed password sign-ins per network address, for the
  per-address rate limit (rows older than the window are deleted as new ones come).
"""

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("id_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("idle_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("absolute_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("ticket_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("ticket_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ticket_binding_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id_hash"),
        sa.UniqueConstraint("ticket_hash"),
    )
    op.create_index("ix_sign_in_session_user_id", "sign_in_session", ["user_id"])
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_attempt_at", "sign_in_attempt", ["at"])
    op.create_index("ix_sign_in_attempt_address_at", "sign_in_attempt", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_address_at", table_name="sign_in_attempt")
    op.drop_index("ix_sign_in_attempt_at", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
    op.drop_index("ix_sign_in_session_user_id", table_name="sign_in_session")
    op.drop_table("sign_in_session")

"""Dashboards count an audit in the month it was submitted, not by its event's date

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 09:00:00

An audit finished early for a LEARN day still to come now counts at once. The
audit rollup cells (db/dashboards.py) were keyed on the event's month, so this
clears the "rollups built" flag: the first dashboard read then recounts every
rollup from the records (qa/dashboards/rollups.ensure_built). The index serves
the part-month counts, which read submitted audits by their submission time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# qa/dashboards/rollups.BUILT_FLAG (a migration does not import qa/).
BUILT_FLAG = "dashboard_rollups_built"


def upgrade() -> None:
    op.create_index("ix_case_audit_submitted_at", "case_audit", ["submitted_at"])
    setting = sa.table("setting", sa.column("key", sa.String))
    op.execute(sa.delete(setting).where(setting.c.key == BUILT_FLAG))


def downgrade() -> None:
    op.drop_index("ix_case_audit_submitted_at", table_name="case_audit")
    setting = sa.table("setting", sa.column("key", sa.String))
    op.execute(sa.delete(setting).where(setting.c.key == BUILT_FLAG))

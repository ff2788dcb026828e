"""A supervision record refers to a shared reflection instead of copying its title; agenda titles encrypted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 12:00:00

Until now, ticking a shared reflection on a supervision agenda copied the note's
private title into the record as plain text ("Shared reflection: <title>"), where
it stayed after the share was withdrawn and QA leads could read it in oversight.

- A discussed shared reflection keeps only its reference (kind "shared reflection"
  and the share's id in source_id); the copied title is removed. The portal now
  looks the title up, for the note's readers only (qa/supervision/records.py).
- Any other item whose title is such a copy, whose source cannot be identified,
  gets the neutral wording instead.
- agenda_item.title, which also holds what a practitioner adds to their agenda,
  becomes an encrypted column (db.encryption.EncryptedText): every existing title
  is encrypted here, row by row, with the configured key.

Downgrade decrypts the titles back into a plain column; the removed copies are not
brought back.
"""

import sqlalchemy as sa
from alembic import op

from db import encryption

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SHARED_REFLECTION = "shared reflection"  # db.supervision.AgendaKind.SHARED_REFLECTION
COPIED = "Shared reflection:"
NEUTRAL = "A shared reflection was discussed"  # qa.supervision.records.REFLECTION_DISCUSSED

item = sa.table(
    "agenda_item",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("title", sa.Text),
)


def _plain_title(kind: str, title: str | None) -> str:
    title = title or ""
    if kind == SHARED_REFLECTION:
        return ""  # the reference (source_id) is kept; nothing of the note is
    if title.startswith(COPIED):
        return NEUTRAL
    return title


def upgrade() -> None:
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.alter_column("title", existing_type=sa.String(length=300), type_=sa.Text(), existing_nullable=False)
    conn = op.get_bind()
    rows = conn.execute(sa.select(item.c.id, item.c.kind, item.c.title)).all()
    for row_id, kind, title in rows:
        conn.execute(
            sa.update(item).where(item.c.id == row_id).values(title=encryption.encrypt(_plain_title(kind, title)))
        )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(item.c.id, item.c.title)).all()
    for row_id, token in rows:
        conn.execute(sa.update(item).where(item.c.id == row_id).values(title=encryption.decrypt(token)[:300]))
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.alter_column("title", existing_type=sa.Text(), type_=sa.String(length=300), existing_nullable=False)

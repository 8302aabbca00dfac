"""tracking table columns (from the document and the metrics) and the last published check of a link

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("taxonomy", sa.String(500)))
        batch.add_column(sa.Column("open_actions", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("ttd_seconds", sa.Float))
        batch.add_column(sa.Column("ttf_seconds", sa.Float))
        batch.add_column(sa.Column("ttr_seconds", sa.Float))
    with op.batch_alter_table("links") as batch:
        batch.add_column(sa.Column("check_state", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.drop_column("check_state")
    with op.batch_alter_table("incidents") as batch:
        for column in ("ttr_seconds", "ttf_seconds", "ttd_seconds", "open_actions", "taxonomy"):
            batch.drop_column(column)

"""summary comment: the id of an incident's summary comment and a digest of its text as last written

Kept on the incident's row (not only in Redis): it is a fact about the incident, it must outlive a Redis
flush, and reconcile reads the row anyway. Without it every reconcile listed the issue's comments.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("summary_comment_id", sa.BigInteger))
        batch.add_column(sa.Column("summary_digest", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("summary_digest")
        batch.drop_column("summary_comment_id")

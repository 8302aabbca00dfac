"""similar past incidents: each incident's root cause text and how many corrective actions are done (issue 18)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("root_cause", sa.Text, nullable=True))
        batch.add_column(sa.Column("done_actions", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("done_actions")
        batch.drop_column("root_cause")

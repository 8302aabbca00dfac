"""lifecycle: installation, last update, forced close; follow-up issues of action items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("installation_id", sa.BigInteger))
        batch.add_column(sa.Column("last_update_at", sa.DateTime))
        batch.add_column(sa.Column("forced_close", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("ref", sa.String(512), nullable=False),
        sa.UniqueConstraint("incident_id", "platform", "repository", "number", name="uq_follow_up"),
    )
    op.create_index("ix_follow_ups_issue", "follow_ups", ["platform", "repository", "number"])


def downgrade() -> None:
    op.drop_index("ix_follow_ups_issue", "follow_ups")
    op.drop_table("follow_ups")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("forced_close")
        batch.drop_column("last_update_at")
        batch.drop_column("installation_id")

"""maintenances: scheduled maintenance declared by `maintenance` issues, and the notices sent (issue 18)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "maintenances",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("installation_id", sa.BigInteger),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("starts_at", sa.DateTime, nullable=False),
        sa.Column("ends_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("cancelled_at", sa.DateTime),
        sa.Column("told", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "repository", "number", name="uq_maintenance_issue"),
    )
    op.create_table(
        "maintenance_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("maintenance_id", sa.Integer, sa.ForeignKey("maintenances.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("maintenance_id", "step", "subscriber_id", name="uq_maintenance_notice"),
    )


def downgrade() -> None:
    op.drop_table("maintenance_notices")
    op.drop_table("maintenances")

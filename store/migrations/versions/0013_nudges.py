"""nudges: when each overdue action item or unwritten postmortem was last nudged, and its snooze (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nudges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("item_key", sa.String(64), nullable=False),
        sa.Column("last_at", sa.DateTime),
        sa.Column("snoozed_until", sa.DateTime),
        sa.UniqueConstraint("incident_id", "item_key", name="uq_nudge_item"),
    )


def downgrade() -> None:
    op.drop_table("nudges")

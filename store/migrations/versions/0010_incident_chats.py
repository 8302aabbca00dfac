"""incident chats: each incident's Slack channel, pinned summary and the view chat was last told (issue 16)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_chats",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("channel_id", sa.String(32), unique=True),
        sa.Column("channel_name", sa.String(80)),
        sa.Column("channel_url", sa.String(500)),
        sa.Column("pinned_ts", sa.String(32)),
        sa.Column("view", sa.Text),
        sa.Column("archived_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("incident_chats")

"""links between incidents and the merge requests that caused, fixed or relate to them

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("merged_at", sa.DateTime),
        sa.Column("head_sha", sa.String(64)),
        sa.UniqueConstraint("incident_id", "repository", "number", name="uq_link"),
    )
    op.create_index("ix_links_merge_request", "links", ["repository", "number"])


def downgrade() -> None:
    op.drop_index("ix_links_merge_request", "links")
    op.drop_table("links")

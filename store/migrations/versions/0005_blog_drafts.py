"""blog drafts: where each incident's public write-up lives, reused by later requests

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blog_drafts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("path", sa.String(1024), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("merge_request", sa.Integer),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
    )


def downgrade() -> None:
    op.drop_table("blog_drafts")

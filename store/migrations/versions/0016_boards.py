"""boards: the incident board issue per GitHub account or GitLab group, and what it shows of each incident (issue 19)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boards",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("written_at", sa.DateTime),
        sa.UniqueConstraint("platform", "owner", name="uq_board_owner"),
    )
    op.create_table(
        "board_facts",
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("postmortem_complete", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("reminder_seconds", sa.Float, nullable=False, server_default="3600"),
        sa.Column("due_actions", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("board_facts")
    op.drop_table("boards")

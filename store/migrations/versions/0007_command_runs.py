"""command runs: what each command line of a comment did (once across retries; the later comment wins)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "command_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("comment_id", sa.BigInteger, nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("commented_at", sa.DateTime),
        sa.Column("comment_url", sa.Text, nullable=False, server_default=""),
        sa.Column("steps", sa.JSON, nullable=False),
        sa.Column("icon", sa.String(16)),
        sa.Column("message", sa.Text),
        sa.Column("changed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("setting", sa.String(32)),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "repository", "comment_id", "line", name="uq_command_run"),
    )
    op.create_index("ix_command_runs_setting", "command_runs", ["platform", "repository", "number", "setting"])


def downgrade() -> None:
    op.drop_index("ix_command_runs_setting", "command_runs")
    op.drop_table("command_runs")

"""onboarding: each repository's one onboarding pull/merge request, and its "no thanks" (issue 19)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "onboardings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("url", sa.String(500), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "repository", name="uq_onboarding_repository"),
    )


def downgrade() -> None:
    op.drop_table("onboardings")

"""incidents table

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False, index=True),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("url", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(32)),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("commander", sa.String(255)),
        sa.Column("operations_lead", sa.String(255)),
        sa.Column("communications_lead", sa.String(255)),
        sa.Column("reported_at", sa.DateTime),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("tracking", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "repository", "number", name="uq_incident_issue"),
    )


def downgrade() -> None:
    op.drop_table("incidents")

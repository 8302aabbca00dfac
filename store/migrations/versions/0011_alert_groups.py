"""alert groups: the alert group (or PagerDuty incident) behind each incident, as last seen (issue 17)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_groups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("group_key", sa.String(1000), nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fingerprints", sa.JSON, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("name", sa.String(500)),
        sa.Column("detected_at", sa.DateTime),
        sa.Column("url", sa.String(1000)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source", "group_key", name="uq_alert_group"),
    )
    op.create_index("ix_alert_groups_incident", "alert_groups", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_groups_incident", "alert_groups")
    op.drop_table("alert_groups")

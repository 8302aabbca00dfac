"""status page: pages from repository configs, publication of incidents, public updates, subscribers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("private", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "status_pages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False, unique=True),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("repositories", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("platform", "repository", name="uq_status_page_repository"),
    )
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("published_at", sa.DateTime),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(32)),
        sa.Column("resolved_at", sa.DateTime),
        sa.Column("workaround", sa.Text),
        sa.Column("postmortem", sa.Text),
        sa.Column("postmortem_at", sa.DateTime),
    )
    op.create_index("ix_publications_published", "publications", ["published"])
    op.create_table(
        "status_updates",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(32)),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("incident_id", "key", name="uq_status_update_key"),
    )
    op.create_index("ix_status_updates_incident", "status_updates", ["incident_id", "created_at"])
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("secret", sa.String(128)),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("token", sa.String(64), nullable=False, unique=True),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_subscribers_slug", "subscribers", ["slug", "kind"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("update_id", sa.Integer, sa.ForeignKey("status_updates.id", ondelete="CASCADE"), nullable=False),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscribers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.UniqueConstraint("update_id", "subscriber_id", name="uq_notification"),
    )


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_index("ix_subscribers_slug", "subscribers")
    op.drop_table("subscribers")
    op.drop_index("ix_status_updates_incident", "status_updates")
    op.drop_table("status_updates")
    op.drop_index("ix_publications_published", "publications")
    op.drop_table("publications")
    op.drop_table("status_pages")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("private")

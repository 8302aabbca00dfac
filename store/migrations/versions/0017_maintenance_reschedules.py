"""maintenances.reschedules: how often a maintenance's times changed after its subscribers heard of it, so each
new window is told once

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("maintenances") as batch:
        batch.add_column(sa.Column("reschedules", sa.Integer, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("maintenances") as batch:
        batch.drop_column("reschedules")

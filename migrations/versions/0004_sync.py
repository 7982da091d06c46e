"""sync: sources, push state, single active job

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 12:40:39.021578
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalogue_sources",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=128), nullable=True),
        sa.Column("last_fetched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_catalogue_sources_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_sources")),
        sa.UniqueConstraint("cooperative_id", name=op.f("uq_catalogue_sources_cooperative_id")),
    )
    op.create_table(
        "push_state",
        sa.Column("subscription_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("cooperative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("acked_hash", sa.String(length=64), nullable=True),
        sa.Column("pending_hash", sa.String(length=64), nullable=True),
        sa.Column("pending_outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_push_state_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pending_outbox_id"],
            ["outbox.id"],
            name=op.f("fk_push_state_pending_outbox_id_outbox"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_push_state_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "cooperative_id", "item_id", name=op.f("pk_push_state")),
    )
    with op.batch_alter_table("push_state", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_state_pending_outbox_id"), ["pending_outbox_id"], unique=False)

    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bap_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("rerun", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("resumes", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("run_after", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "uq_sync_jobs_one_active",
            ["cooperative_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_jobs", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_sync_jobs_one_active",
            sqlite_where=sa.text("state IN ('queued', 'running')"),
            postgresql_where=sa.text("state IN ('queued', 'running')"),
        )
        batch_op.drop_column("run_after")
        batch_op.drop_column("resumes")
        batch_op.drop_column("rerun")
        batch_op.drop_column("bap_id")

    with op.batch_alter_table("push_state", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_state_pending_outbox_id"))

    op.drop_table("push_state")
    op.drop_table("catalogue_sources")

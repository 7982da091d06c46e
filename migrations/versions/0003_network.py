"""network layer: inbound verdicts, delivery attempts, subscriptions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:25:23.981569
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("bap_id", sa.String(length=255), nullable=False),
        sa.Column("bap_uri", sa.String(length=2048), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("watermarks", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        sa.UniqueConstraint("bap_id", "domain", name="uq_subscriptions_bap_domain"),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("outbox_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["outbox_id"], ["outbox.id"], name=op.f("fk_delivery_attempts_outbox_id_outbox"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempts")),
    )
    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_attempts_outbox_id"), ["outbox_id"], unique=False)

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dedupe_key", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("signature", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("nack_code", sa.String(length=8), nullable=True))
        batch_op.alter_column("bap_id", existing_type=sa.VARCHAR(length=255), nullable=True)
        batch_op.alter_column("message_id", existing_type=sa.VARCHAR(length=128), nullable=True)
        batch_op.alter_column("transaction_id", existing_type=sa.VARCHAR(length=128), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_inbound_dedupe"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_inbound_messages_dedupe_key"), ["dedupe_key"])

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bap_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("solicited", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(
            sa.Column("inbound_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_outbox_bap_id"), ["bap_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_inbound_id_inbound_messages"),
            "inbound_messages",
            ["inbound_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_outbox_inbound_id_inbound_messages"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_outbox_bap_id"))
        batch_op.drop_column("inbound_id")
        batch_op.drop_column("solicited")
        batch_op.drop_column("bap_id")

    with op.batch_alter_table("inbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inbound_messages_dedupe_key"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_inbound_dedupe"), ["bap_id", "action", "message_id"])
        batch_op.alter_column("transaction_id", existing_type=sa.VARCHAR(length=128), nullable=False)
        batch_op.alter_column("message_id", existing_type=sa.VARCHAR(length=128), nullable=False)
        batch_op.alter_column("bap_id", existing_type=sa.VARCHAR(length=255), nullable=False)
        batch_op.drop_column("nack_code")
        batch_op.drop_column("signature")
        batch_op.drop_column("dedupe_key")

    with op.batch_alter_table("delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_attempts_outbox_id"))

    op.drop_table("delivery_attempts")
    op.drop_table("subscriptions")

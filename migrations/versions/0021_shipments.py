"""shipments: one order fulfilment booked with a courier (LOG init/confirm), its AWB, label and tracking

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-29 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shipments",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("order_id", _ID, nullable=False),
        sa.Column("fulfilment_id", sa.String(length=64), nullable=False),
        sa.Column("retail_transaction_id", sa.String(length=128), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("bpp_id", sa.String(length=255), nullable=False),
        sa.Column("bpp_uri", sa.String(length=2048), nullable=False),
        sa.Column("provider_id", sa.String(length=255), nullable=False),
        sa.Column("item_id", sa.String(length=255), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("log_order_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("courier_state", sa.String(length=32), nullable=True),
        sa.Column("awb", sa.String(length=64), nullable=True),
        sa.Column("label_url", sa.String(length=2048), nullable=True),
        sa.Column("tracking_url", sa.String(length=2048), nullable=True),
        sa.Column("pickup_slot", sa.JSON(), nullable=True),
        sa.Column("quote", sa.JSON(), nullable=True),
        sa.Column("unapplied", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_shipments_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
        sa.UniqueConstraint("order_id", "fulfilment_id", name="uq_shipments_order_fulfilment"),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_cooperative_id"), ["cooperative_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_transaction_id"), ["transaction_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_log_order_id"), ["log_order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_log_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_cooperative_id"))
    op.drop_table("shipments")

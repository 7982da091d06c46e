"""money ledger: what collectors (buyer apps) stated in RSF 2.0 recon messages, per order

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recon_figures",
        sa.Column("id", _ID, nullable=False),
        sa.Column("order_pk", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("bap_id", sa.String(length=255), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("inbound_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("settlement_ref", sa.String(length=128), nullable=True),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("ours", sa.JSON(), nullable=False),
        sa.Column("accord", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_recon_figures_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_recon_figures_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_messages.id"],
                                name=op.f("fk_recon_figures_inbound_id_inbound_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recon_figures")),
        sa.UniqueConstraint("order_pk", "message_id", name="uq_recon_figures_order_message"),
    )
    with op.batch_alter_table("recon_figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recon_figures_order_pk"), ["order_pk"], unique=False)
        batch_op.create_index("ix_recon_figures_cooperative_received", ["cooperative_id", "received_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recon_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_recon_figures_cooperative_received")
        batch_op.drop_index(batch_op.f("ix_recon_figures_order_pk"))
    op.drop_table("recon_figures")

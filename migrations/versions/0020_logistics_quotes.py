"""logistics quotes: LOG searches sent for a select, the couriers' quotes, and the draft's shipping source

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-28 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "logistics_searches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("inbound_id", _ID, nullable=True),
        sa.Column("retail_transaction_id", sa.String(length=128), nullable=False),
        sa.Column("domain", sa.String(length=16), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("expected", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("parcel", sa.JSON(), nullable=False),
        sa.Column("choice", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_logistics_searches_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_messages.id"],
                                name=op.f("fk_logistics_searches_inbound_id_inbound_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_searches")),
        sa.UniqueConstraint("transaction_id", "message_id", name="uq_logistics_searches_message"),
    )
    with op.batch_alter_table("logistics_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logistics_searches_cooperative_id"), ["cooperative_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_logistics_searches_inbound_id"), ["inbound_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_logistics_searches_retail_transaction_id"), ["retail_transaction_id"],
                              unique=False)
    op.create_table(
        "logistics_quotes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("search_id", _ID, nullable=False),
        sa.Column("inbound_id", _ID, nullable=True),
        sa.Column("bpp_id", sa.String(length=255), nullable=False),
        sa.Column("quote", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["search_id"], ["logistics_searches.id"],
                                name=op.f("fk_logistics_quotes_search_id_logistics_searches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_messages.id"],
                                name=op.f("fk_logistics_quotes_inbound_id_inbound_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_quotes")),
    )
    with op.batch_alter_table("logistics_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_logistics_quotes_search_id"), ["search_id"], unique=False)
    with op.batch_alter_table("order_drafts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipping", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_drafts", schema=None) as batch_op:
        batch_op.drop_column("shipping")
    with op.batch_alter_table("logistics_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logistics_quotes_search_id"))
    op.drop_table("logistics_quotes")
    with op.batch_alter_table("logistics_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_logistics_searches_retail_transaction_id"))
        batch_op.drop_index(batch_op.f("ix_logistics_searches_inbound_id"))
        batch_op.drop_index(batch_op.f("ix_logistics_searches_cooperative_id"))
    op.drop_table("logistics_searches")

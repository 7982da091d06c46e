"""GST tax invoices and credit notes, and the counters of their gapless series

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-20 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "invoice_counters",
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("series", sa.String(length=16), nullable=False),
        sa.Column("year", sa.String(length=7), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_invoice_counters_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("cooperative_id", "series", "year", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "tax_invoices",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("order_pk", _ID, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("year", sa.String(length=7), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_tax_invoices_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_tax_invoices_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_invoices")),
        sa.UniqueConstraint("order_pk", name="uq_tax_invoices_order"),
        sa.UniqueConstraint("cooperative_id", "year", "serial", name="uq_tax_invoices_serial"),
        sa.UniqueConstraint("cooperative_id", "number", name="uq_tax_invoices_number"),
    )
    op.create_table(
        "credit_notes",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("invoice_id", _ID, nullable=False),
        sa.Column("order_pk", _ID, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("year", sa.String(length=7), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_credit_notes_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invoice_id"], ["tax_invoices.id"],
                                name=op.f("fk_credit_notes_invoice_id_tax_invoices"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["order_pk"], ["orders.id"], name=op.f("fk_credit_notes_order_pk_orders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_notes")),
        sa.UniqueConstraint("invoice_id", "ref", name="uq_credit_notes_ref"),
        sa.UniqueConstraint("cooperative_id", "year", "serial", name="uq_credit_notes_serial"),
        sa.UniqueConstraint("cooperative_id", "number", name="uq_credit_notes_number"),
    )
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_notes_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credit_notes_order_pk"), ["order_pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_notes_order_pk"))
        batch_op.drop_index(batch_op.f("ix_credit_notes_invoice_id"))
    op.drop_table("credit_notes")
    op.drop_table("tax_invoices")
    op.drop_table("invoice_counters")

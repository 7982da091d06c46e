"""stock ledger (stock_moves), the last count of each item, and upload previews

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 15:30:00.000000

Existing items get a first count: the figure their version's sheet said and the stock they have now, so a
re-upload of that sheet keeps every sale made before this migration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_moves",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("figure", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=255), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_stock_moves_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_moves")),
    )
    with op.batch_alter_table("stock_moves", schema=None) as batch_op:
        batch_op.create_index("ix_stock_moves_cooperative_item", ["cooperative_id", "item_id", "id"], unique=False)
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("count_figure", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("count_move_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("last_move_id", _ID, nullable=True))
    with op.batch_alter_table("catalogue_uploads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("confirmed", sa.String(length=64), nullable=True))
    # Uploads queued before this migration were sent to be imported, not previewed.
    op.execute("UPDATE catalogue_uploads SET confirmed = '' WHERE status IN ('queued', 'running')")
    _first_counts()


def _first_counts() -> None:
    bind = op.get_bind()
    items = sa.table("items", sa.column("id"), sa.column("cooperative_id"), sa.column("item_id"),
                     sa.column("stock"), sa.column("version_id"), sa.column("count_figure"),
                     sa.column("count_move_id"), sa.column("last_move_id"))
    moves = sa.table("stock_moves", sa.column("id"), sa.column("cooperative_id"), sa.column("item_id"),
                     sa.column("kind"), sa.column("delta"), sa.column("available"), sa.column("figure"),
                     sa.column("ref"), sa.column("at"))
    rows = bind.execute(sa.text(
        "SELECT i.id, i.cooperative_id, i.item_id, i.stock, b.data FROM items i "
        "LEFT JOIN version_items v ON v.version_id = i.version_id AND v.item_id = i.item_id "
        "LEFT JOIN item_blobs b ON b.hash = v.item_hash")).all()
    now = sa.func.now()
    for row_id, cooperative_id, item_id, stock, data in rows:
        if isinstance(data, str):
            data = json.loads(data)
        figure = (data or {}).get("stock", stock)
        move_id = bind.execute(sa.insert(moves).values(
            cooperative_id=cooperative_id, item_id=item_id, kind="count", delta=0, available=stock,
            figure=figure, ref="migration 0015", at=now).returning(moves.c.id)).scalar_one()
        bind.execute(sa.update(items).where(items.c.id == row_id)
                     .values(count_figure=figure, count_move_id=move_id, last_move_id=move_id))


def downgrade() -> None:
    with op.batch_alter_table("catalogue_uploads", schema=None) as batch_op:
        batch_op.drop_column("confirmed")
        batch_op.drop_column("plan")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("last_move_id")
        batch_op.drop_column("count_move_id")
        batch_op.drop_column("count_figure")
    with op.batch_alter_table("stock_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_moves_cooperative_item")
    op.drop_table("stock_moves")

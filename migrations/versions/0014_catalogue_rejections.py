"""buyer apps' catalogue rejections, and the spreadsheet row of each item of a version

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 12:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("catalogue_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("item_rows", sa.JSON(), nullable=True))
    op.create_table(
        "catalogue_rejections",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=True),
        sa.Column("inbound_id", _ID, nullable=True),
        sa.Column("bap_id", sa.String(length=255), nullable=False),
        sa.Column("transaction_id", sa.String(length=128), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.String(length=128), nullable=True),
        sa.Column("item_id", sa.String(length=128), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("column", sa.String(length=64), nullable=True),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_catalogue_rejections_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_messages.id"],
                                name=op.f("fk_catalogue_rejections_inbound_id_inbound_messages"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_rejections")),
    )
    with op.batch_alter_table("catalogue_rejections", schema=None) as batch_op:
        batch_op.create_index("ix_catalogue_rejections_cooperative_received", ["cooperative_id", "received_at"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalogue_rejections", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_rejections_cooperative_received")
    op.drop_table("catalogue_rejections")
    with op.batch_alter_table("catalogue_versions", schema=None) as batch_op:
        batch_op.drop_column("item_rows")

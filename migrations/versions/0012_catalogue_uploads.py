"""large catalogue uploads become jobs a worker imports

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "catalogue_uploads",
        sa.Column("id", _ID, nullable=False),
        sa.Column("cooperative_id", _ID, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=True),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["cooperative_id"], ["cooperatives.id"],
                                name=op.f("fk_catalogue_uploads_cooperative_id_cooperatives"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_uploads")),
    )
    with op.batch_alter_table("catalogue_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_uploads_cooperative_id"), ["cooperative_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalogue_uploads_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalogue_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_uploads_status"))
        batch_op.drop_index(batch_op.f("ix_catalogue_uploads_cooperative_id"))
    op.drop_table("catalogue_uploads")

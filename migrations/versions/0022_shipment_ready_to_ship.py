"""shipments.ready_to_ship: whether the courier was told the parcel is packed (booked on acceptance, it waits);
shipments.charges: what the courier charged beyond its quote (weight differentials)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-30 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ready_to_ship", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("charges", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("charges")
        batch_op.drop_column("ready_to_ship")

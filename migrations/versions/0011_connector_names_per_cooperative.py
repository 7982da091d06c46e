"""connector names belong to one cooperative; pulled orders carry a bap_id scoped to their cooperative

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:20:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# orders.source stays "pull:<name>"; orders.bap_id becomes "pull:<cooperative id>:<name>".
_SCOPE = sa.text(
    "UPDATE orders SET bap_id = 'pull:' || CAST(cooperative_id AS VARCHAR) || ':' || substr(source, 6) "
    "WHERE source LIKE 'pull:%' AND bap_id = source"
)
_UNSCOPE = sa.text("UPDATE orders SET bap_id = source WHERE source LIKE 'pull:%'")


def upgrade() -> None:
    with op.batch_alter_table("connector_cursors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_connector_cursors_name"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_connector_cursors_cooperative_name"),
                                          ["cooperative_id", "name"])
    op.execute(_SCOPE)


def downgrade() -> None:
    op.execute(_UNSCOPE)
    with op.batch_alter_table("connector_cursors", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_connector_cursors_cooperative_name"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_connector_cursors_name"), ["name"])

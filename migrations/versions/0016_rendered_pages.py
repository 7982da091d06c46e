"""rendered on_search pages shared by outbox rows, and a catalogue revision per cooperative

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 18:40:00.000000

``catalogue_revisions.revision`` goes up with every insert, update or delete of one of the cooperative's items,
by a trigger, so no write path can forget it: a cached rendering of the catalogue is keyed by it (and by the
profile), and any change to an item, its stock included, makes the next search render afresh.

On PostgreSQL the trigger is a deferred constraint trigger: it runs at commit, after the transaction has taken
every item lock it needs, so the revision row is always the last lock taken and two orders (or an order and an
import) cannot deadlock on it. SQLite has one writer at a time and a plain trigger. The table has no foreign
key: deleting a cooperative deletes its items, whose triggers still run.

Triggers on ``items``: SQLite's batch mode (``op.batch_alter_table("items")``) copies the table and drops
them. A later migration that alters ``items`` that way must create them again (``create_item_triggers()``);
tests/catalog_sync/test_rendered.py::test_every_kind_of_item_write_moves_the_revision fails when they
are missing.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENTS = (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))
_BUMP = ("INSERT INTO catalogue_revisions (cooperative_id, revision) VALUES ({row}.cooperative_id, 1) "
         "ON CONFLICT (cooperative_id) DO UPDATE SET revision = catalogue_revisions.revision + 1")


def create_item_triggers() -> None:
    """The triggers that bump a cooperative's catalogue revision when one of its items changes."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE OR REPLACE FUNCTION odop_bump_catalogue_revision() RETURNS trigger AS $$
            DECLARE
                cooperative BIGINT;
            BEGIN
                FOREACH cooperative IN ARRAY CASE TG_OP
                    WHEN 'INSERT' THEN ARRAY[NEW.cooperative_id]
                    WHEN 'DELETE' THEN ARRAY[OLD.cooperative_id]
                    ELSE ARRAY[NEW.cooperative_id, OLD.cooperative_id] END
                LOOP
                    -- Once per cooperative and transaction: a 10,000-item import moves it once, not 10,000 times.
                    CONTINUE WHEN current_setting('odop.revision_bumped_' || cooperative, true) = 'yes';
                    PERFORM set_config('odop.revision_bumped_' || cooperative, 'yes', true);
                    INSERT INTO catalogue_revisions (cooperative_id, revision) VALUES (cooperative, 1)
                    ON CONFLICT (cooperative_id) DO UPDATE SET revision = catalogue_revisions.revision + 1;
                END LOOP;
                RETURN NULL;
            END
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE CONSTRAINT TRIGGER items_catalogue_revision AFTER INSERT OR UPDATE OR DELETE ON items
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION odop_bump_catalogue_revision()
        """)
        return
    for event, row in _EVENTS:
        op.execute(f"""
            CREATE TRIGGER items_catalogue_revision_{event} AFTER {event.upper()} ON items
            BEGIN
                {_BUMP.format(row=row)};
            END
        """)


def drop_item_triggers() -> None:
    """Remove what `create_item_triggers` made."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS items_catalogue_revision ON items")
        op.execute("DROP FUNCTION IF EXISTS odop_bump_catalogue_revision()")
        return
    for event, _ in _EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS items_catalogue_revision_{event}")


def upgrade() -> None:
    op.create_table(
        "catalogue_revisions",
        sa.Column("cooperative_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("cooperative_id", name=op.f("pk_catalogue_revisions")),
    )
    op.create_table(
        "rendered_pages",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_rendered_pages")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("page_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("size_bytes", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_outbox_page_digest_rendered_pages"), "rendered_pages",
                                    ["page_digest"], ["digest"], ondelete="RESTRICT")
        batch_op.create_index(op.f("ix_outbox_page_digest"), ["page_digest"], unique=False)
    create_item_triggers()


def downgrade() -> None:
    drop_item_triggers()
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_outbox_page_digest"))
        batch_op.drop_constraint(op.f("fk_outbox_page_digest_rendered_pages"), type_="foreignkey")
        batch_op.drop_column("size_bytes")
        batch_op.drop_column("page_digest")
    op.drop_table("rendered_pages")
    op.drop_table("catalogue_revisions")

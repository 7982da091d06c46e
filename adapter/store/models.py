"""Tables of the core: cooperatives, API keys, inbound messages, outbox and sync jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    """Timezone-aware UTC now."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base with naming conventions."""

    metadata = MetaData(naming_convention=NAMING)


class Cooperative(Base):
    """A seller (one ONDC provider): an ODOP cooperative or artisan group."""

    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    profile: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Delivery charges and transit times (see adapter.orders.delivery_terms); None means the defaults.
    delivery: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    api_keys: Mapped[list[ApiKey]] = relationship(back_populates="cooperative", cascade="all, delete-orphan")


class ConsoleSession(Base):
    """A console sign-in. The cookie holds only the random id; sign-out deletes the row, so a copied cookie dies."""

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # None for the operator (signed in with the admin key).
    cooperative_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"),
                                                       default=None, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class ApiKey(Base):
    """A cooperative's API key. Only a SHA-256 hash of the secret is stored; the prefix finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(100), default="default")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)

    cooperative: Mapped[Cooperative] = relationship(back_populates="api_keys")


class InboundMessage(Base):
    """A network call exactly as received: raw body bytes, headers, the signature verdict and our answer.

    NACKed calls are kept too (for the transaction timeline) but carry no dedupe key, so a corrected retry
    of the same message_id is accepted.
    """

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "bap_id|action|message_id" for ACKed calls only; a duplicate gets the stored answer again.
    dedupe_key: Mapped[str | None] = mapped_column(String(512), unique=True, default=None)
    bap_id: Mapped[str | None] = mapped_column(String(255), default=None)
    action: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(128), default=None)
    transaction_id: Mapped[str | None] = mapped_column(String(128), index=True, default=None)
    domain: Mapped[str | None] = mapped_column(String(32), default=None)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # ok | missing | expired | not-yet-valid | mismatch | malformed | unknown-key | ...
    signature: Mapped[str | None] = mapped_column(String(32), default=None)
    # received -> enqueued -> processing -> processed | ignored | failed | expired ; nacked
    # (processing -> waiting -> processing: a select waiting for courier quotes, run again when they are in)
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    # Attempts that failed for a reason not about the request (a database error): capped, so a poison message stops.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    nack_code: Mapped[str | None] = mapped_column(String(8), default=None)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class OutboxMessage(Base):
    """A callback or push to send: the exact bytes to POST, and its delivery state."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="SET NULL"), default=None, index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    bap_id: Mapped[str | None] = mapped_column(String(255), default=None, index=True)
    # Solicited callbacks answer an inbound request and must arrive within its ttl.
    solicited: Mapped[bool] = mapped_column(default=True)
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), default=None
    )
    target_url: Mapped[str] = mapped_column(String(2048))
    transaction_id: Mapped[str] = mapped_column(String(128), index=True)
    message_id: Mapped[str] = mapped_column(String(128))
    # The exact bytes to POST; for a page of a rendered catalogue answer (page_digest set), the row's own context,
    # spliced with the shared page when sent (adapter.store.pages.wire_bytes).
    body: Mapped[bytes] = mapped_column(LargeBinary)
    page_digest: Mapped[str | None] = mapped_column(
        ForeignKey("rendered_pages.digest", ondelete="RESTRICT"), default=None, index=True
    )
    size_bytes: Mapped[int | None] = mapped_column(default=None)  # of what is sent (None: rows from before 0016)
    # pending -> sent | dead
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when a worker claims the row to POST it, cleared when the result is recorded. Still set when the
    # claim comes round again means the worker or the database died in between: that POST's outcome is unknown.
    in_flight_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # An earlier POST may have reached the buyer app; replaying it needs an explicit force.
    maybe_delivered: Mapped[bool] = mapped_column(default=False, server_default=false())


class RenderedPage(Base):
    """The ``message`` bytes of one on_search page, stored once by content (adapter.store.pages)."""

    __tablename__ = "rendered_pages"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # BLAKE2b-256 of body, hex
    body: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CatalogueRevision(Base):
    """How many times a cooperative's items changed: moved by database triggers on ``items`` (migration 0016)."""

    __tablename__ = "catalogue_revisions"

    cooperative_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class DeliveryAttempt(Base):
    """One try at POSTing an outbox row: when, how long, and what came back."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
    status_code: Mapped[int | None] = mapped_column(default=None)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | retry | dead | unknown
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response_body: Mapped[str | None] = mapped_column(Text, default=None)


class Subscription(Base):
    """A buyer app's request for incremental catalogue pushes (search with catalog_inc mode=start)."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("bap_id", "domain", name="uq_subscriptions_bap_domain"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bap_id: Mapped[str] = mapped_column(String(255))
    bap_uri: Mapped[str] = mapped_column(String(2048))
    domain: Mapped[str] = mapped_column(String(32))
    transaction_id: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # What each cooperative's catalogue looked like in the last push this buyer app acknowledged.
    watermarks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CatalogueSource(Base):
    """Where a cooperative keeps its catalogue online (a published CSV, an XLSX or a JSON feed)."""

    __tablename__ = "catalogue_sources"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    interval_seconds: Mapped[int] = mapped_column(default=3600)
    enabled: Mapped[bool] = mapped_column(default=True)
    etag: Mapped[str | None] = mapped_column(String(512), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(128), default=None)
    last_fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_status: Mapped[str | None] = mapped_column(String(32), default=None)  # imported|unchanged|invalid|...
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class PushState(Base):
    """What one subscribed buyer app has of one item: the acknowledged hash, and a push still in flight."""

    __tablename__ = "push_state"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    # "" means the buyer app was told the item is gone (disabled); None means it never heard of it.
    acked_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    pending_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    pending_outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), default=None, index=True
    )


class SyncJob(Base):
    """One catalogue sync for one cooperative, with its progress. At most one is queued or running."""

    __tablename__ = "sync_jobs"
    __table_args__ = (
        Index("uq_sync_jobs_one_active", "cooperative_id", unique=True,
              sqlite_where=text("state IN ('queued', 'running')"),
              postgresql_where=text("state IN ('queued', 'running')")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="incremental")  # incremental | full
    # Full refresh for one buyer app only (None: every subscriber).
    bap_id: Mapped[str | None] = mapped_column(String(255), default=None)
    # Set when items changed while this job was past its diff step: another sync follows it.
    rerun: Mapped[bool] = mapped_column(default=False)
    resumes: Mapped[int] = mapped_column(default=0)
    run_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    # queued -> running -> succeeded | failed | cancelled
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    requested_by: Mapped[str] = mapped_column(String(64), default="operator")
    step: Mapped[str | None] = mapped_column(String(64), default=None)
    progress_done: Mapped[int] = mapped_column(default=0)
    progress_total: Mapped[int] = mapped_column(default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class CatalogueVersion(Base):
    """One accepted catalogue import: immutable once written."""

    __tablename__ = "catalogue_versions"
    __table_args__ = (UniqueConstraint("cooperative_id", "number", name="uq_catalogue_versions_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    # SHA-256 over the sorted (item id, item hash) pairs: the same items give the same hash, whatever the file.
    content_hash: Mapped[str] = mapped_column(String(64))
    item_count: Mapped[int] = mapped_column()
    source: Mapped[str] = mapped_column(String(32), default="upload")  # upload | cli | url
    filename: Mapped[str | None] = mapped_column(String(255), default=None)
    # {item id: the row the item was on in the file}, to point a cooperative at its spreadsheet (None: not kept).
    item_rows: Mapped[dict[str, int] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ItemBlob(Base):
    """An item's content, stored once per distinct content hash and shared by every version that has it."""

    __tablename__ = "item_blobs"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class VersionItem(Base):
    """Membership of an item (by content hash) in a catalogue version."""

    __tablename__ = "version_items"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    item_hash: Mapped[str] = mapped_column(ForeignKey("item_blobs.hash"), index=True)


class CatalogueItem(Base):
    """The current state of one item, for fast reads and single-item edits."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("cooperative_id", "item_id", name="uq_items_cooperative_item"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[str] = mapped_column(String(128))
    item_hash: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    price: Mapped[str] = mapped_column(String(32))
    stock: Mapped[int] = mapped_column()
    enabled: Mapped[bool] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalogue_versions.id", ondelete="SET NULL"), default=None
    )
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The last count of this item (a sheet's stock figure or an edit): what it said, and its stock_moves row.
    # Stock now = the count's ``available`` + the deltas of the item's moves after it (docs/stock.md).
    count_figure: Mapped[int | None] = mapped_column(default=None)
    count_move_id: Mapped[int | None] = mapped_column(BigId, default=None)
    # The item's newest move: a download says its stock is as of this (set with the stock, under its row lock).
    last_move_id: Mapped[int | None] = mapped_column(BigId, default=None)


class StockMove(Base):
    """The stock ledger: every count, reservation, cancellation, return and RTO of an item, append-only.

    ``kind`` is count (a sheet or an edit said how many: ``figure``; ``delta`` moves stock to ``available``),
    order (a confirmed or pulled order took units), cancel (an order or part of one released them), return or
    rto (the goods came back). ``available`` is the item's stock right after the move.
    """

    __tablename__ = "stock_moves"
    __table_args__ = (Index("ix_stock_moves_cooperative_item", "cooperative_id", "item_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column()
    available: Mapped[int] = mapped_column()
    figure: Mapped[int | None] = mapped_column(default=None)
    # The order (bap order id) or the version/upload that caused the move, for people reading the ledger.
    ref: Mapped[str | None] = mapped_column(String(255), default=None)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OrderDraft(Base):
    """What a buyer app selected and initialised in one transaction, before it confirms."""

    __tablename__ = "order_drafts"
    __table_args__ = (UniqueConstraint("bap_id", "transaction_id", name="uq_order_drafts_transaction"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bap_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(128))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(16))  # selected | initialised
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    quote: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    billing: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    fulfillments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    payment: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Where the quote's delivery charge came from (adapter.orders.shipping): {"source": "courier", "courier":
    # {...the chosen quote}} or {"source": "slabs", "reason": ...}; None for a manual-shipping cooperative.
    shipping: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Order(Base):
    """A confirmed order: the buyer app's order id, our state, and everything on_status must show."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("bap_id", "order_id", name="uq_orders_bap_order"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[str] = mapped_column(String(64))
    bap_id: Mapped[str] = mapped_column(String(255))
    bap_uri: Mapped[str] = mapped_column(String(2048))
    transaction_id: Mapped[str] = mapped_column(String(128), index=True)
    domain: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    fulfilment_state: Mapped[str] = mapped_column(String(32))
    routing: Mapped[str] = mapped_column(String(8))  # P2P | P2H2P
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    quote: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    billing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fulfillments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    payment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cancellation: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # Extra legs after confirm: Return and RTO fulfilments, with their states and quote trails.
    legs: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the order came from: "ondc", or "pull:<connector>" for a polled marketplace (whose orders carry
    # bap_id "pull:<cooperative id>:<connector>", so two cooperatives' connectors never share an order id space).
    source: Mapped[str] = mapped_column(String(64), default="ondc")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The buyer app's order.created_at from /confirm, exactly as sent: every order message echoes it.
    buyer_created_at: Mapped[str | None] = mapped_column(String(32), default=None)
    # The buyer app's bap_terms tag from /confirm (its GSTIN, accepted terms): echoed like created_at.
    buyer_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class OrderEvent(Base):
    """The append-only history of an order: who moved it from which state to which, when and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32), default=None)
    to_state: Mapped[str | None] = mapped_column(String(32), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"), default=None)


class ReconFigure(Base):
    """What a collector (the buyer app) stated for one order in an RSF 2.0 ``recon``, beside what we answered.

    ``figures`` and ``ours`` hold the five RSF amounts as 2-decimal strings (amount, commission,
    withholding_amount, tcs, tds); the ledger compares the latest figures with its own live (adapter.money).
    """

    __tablename__ = "recon_figures"
    __table_args__ = (UniqueConstraint("order_pk", "message_id", name="uq_recon_figures_order_message"),
                      Index("ix_recon_figures_cooperative_received", "cooperative_id", "received_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    bap_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"),
                                                   default=None)
    status: Mapped[str] = mapped_column(String(32))  # PENDING | SETTLED | TO_BE_INITIATED, as the collector says
    settlement_ref: Mapped[str | None] = mapped_column(String(128), default=None)
    figures: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    ours: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    accord: Mapped[bool] = mapped_column(default=False)  # what our on_recon said
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Issue(Base):
    """A buyer's complaint (ONDC IGM): stored as received, answered, and resolved by the cooperative or operator."""

    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("bap_id", "issue_id", name="uq_issues_bap_issue"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    issue_id: Mapped[str] = mapped_column(String(128))
    bap_id: Mapped[str] = mapped_column(String(255))
    bap_uri: Mapped[str] = mapped_column(String(2048))
    transaction_id: Mapped[str] = mapped_column(String(128), index=True)
    domain: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32))
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="SET NULL"), default=None, index=True)
    order_pk: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), default=None)
    status: Mapped[str] = mapped_column(String(32))  # OPEN | PROCESSING | RESOLVED | CLOSED
    category: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str | None] = mapped_column(Text, default=None)
    issue: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resolution: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Rating(Base):
    """A buyer's rating (ONDC 1.2.0 /rating), kept for the cooperative."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bap_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(128), index=True)
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="SET NULL"), default=None, index=True)
    category: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CatalogueUpload(Base):
    """A catalogue file too big to import in the request: a worker imports it, and the uploader watches the job."""

    __tablename__ = "catalogue_uploads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # upload (API) | console
    source: Mapped[str] = mapped_column(String(16))
    size_bytes: Mapped[int] = mapped_column(Integer)
    # The file until it is imported; emptied then (the version keeps the items).
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # preview (a dry run waiting for the uploader) | queued -> running -> done | invalid | failed | discarded
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    created: Mapped[bool | None] = mapped_column(default=None)
    version_number: Mapped[int | None] = mapped_column(default=None)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # What the file would change (catalog_sync.plan), kept with a preview until the uploader confirms.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # What the uploader confirmed: "" (nothing), "removals" (a mass removal or the template), "counted_now".
    confirmed: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class ConnectorCursor(Base):
    """How far a polled marketplace's order feed has been read."""

    __tablename__ = "connector_cursors"
    # Names belong to one cooperative: two cooperatives may both call theirs "craftmart".
    __table_args__ = (UniqueConstraint("cooperative_id", "name", name="uq_connector_cursors_cooperative_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    cursor: Mapped[str | None] = mapped_column(String(255), default=None)
    enabled: Mapped[bool] = mapped_column(default=True)
    last_polled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class CatalogueRejection(Base):
    """One reason a buyer app gave for rejecting part of a catalogue we sent (catalog_rejection), traced back to
    the cooperative, the item and the spreadsheet row and column where we could."""

    __tablename__ = "catalogue_rejections"
    __table_args__ = (Index("ix_catalogue_rejections_cooperative_received", "cooperative_id", "received_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None: the reason could not be traced to a cooperative (the operator sees it).
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), default=None
    )
    inbound_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_messages.id", ondelete="SET NULL"), default=None
    )
    bap_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(128))
    code: Mapped[str] = mapped_column(String(8))
    # ITEM-ERROR | PROVIDER-ERROR | BPP-ERROR | INTEGRATION-ERROR, as the buyer app sent it
    kind: Mapped[str | None] = mapped_column(String(32), default=None)
    path: Mapped[str | None] = mapped_column(Text, default=None)
    message: Mapped[str | None] = mapped_column(Text, default=None)
    provider_id: Mapped[str | None] = mapped_column(String(128), default=None)
    item_id: Mapped[str | None] = mapped_column(String(128), default=None)
    row: Mapped[int | None] = mapped_column(default=None)
    column: Mapped[str | None] = mapped_column(String(64), default=None)
    version_number: Mapped[int | None] = mapped_column(default=None)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the cooperative marks it dealt with; it then leaves the list of open rejections.
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class AlertSettings(Base):
    """How one cooperative wants to hear of new orders, returns and complaints (adapter.alerts, docs/alerts.md)."""

    __tablename__ = "alert_settings"

    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    # Signs each webhook body (HMAC-SHA256); shown to the cooperative once, when it is made.
    webhook_secret: Mapped[str | None] = mapped_column(String(128), default=None)
    email: Mapped[str | None] = mapped_column(String(254), default=None)
    # Which kinds to send: new_order, return_requested, issue_raised.
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language of the alert's text: the console's language when the settings were saved.
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Targets of channels added by the operator (an SMS number, say), by channel name.
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertMessage(Base):
    """One alert to send on one channel, written in the transaction of the event it announces.

    ``event_key`` names the event (``new_order:<order pk>``, ...): with the channel it is unique, so an event
    seen twice (a repeated network message) makes no second alert.
    """

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("cooperative_id", "channel", "event_key", name="uq_alerts_event"),
                      Index("ix_alerts_due", "status", "next_attempt_at"),
                      Index("ix_alerts_cooperative_created", "cooperative_id", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # new_order | return_requested | issue_raised | test
    channel: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(255))
    order_id: Mapped[str] = mapped_column(String(128))  # the buyer app's order id, as the cooperative sees it
    order_pk: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), default=None)
    # pending -> sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # When it is due; a worker sending it moves this past its lease, so no other worker takes it meanwhile.
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class InvoiceCounter(Base):
    """The last serial of one document series (``invoice`` or ``credit_note``) of a cooperative in one financial
    year. A document takes the next serial in the transaction that stores it (adapter.money.invoices), so the
    series has no gap and no duplicate."""

    __tablename__ = "invoice_counters"

    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True)
    series: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-27
    last: Mapped[int] = mapped_column(default=0)


class TaxInvoice(Base):
    """An order's GST tax invoice, issued when the goods leave (one per order); ``document`` is frozen at issue."""

    __tablename__ = "tax_invoices"
    __table_args__ = (UniqueConstraint("order_pk", name="uq_tax_invoices_order"),
                      UniqueConstraint("cooperative_id", "year", "serial", name="uq_tax_invoices_serial"),
                      UniqueConstraint("cooperative_id", "number", name="uq_tax_invoices_number"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    year: Mapped[str] = mapped_column(String(7))
    serial: Mapped[int] = mapped_column()
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # adapter.money.documents.invoice_document: parties, place of supply, lines split, totals.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class CreditNote(Base):
    """A credit note against a tax invoice (a return received, a cancellation after the goods left), from its own
    series; ``ref`` names what it credits (the return's fulfilment id, ``cancel``), once."""

    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("invoice_id", "ref", name="uq_credit_notes_ref"),
                      UniqueConstraint("cooperative_id", "year", "serial", name="uq_credit_notes_serial"),
                      UniqueConstraint("cooperative_id", "number", name="uq_credit_notes_number"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("tax_invoices.id", ondelete="CASCADE"), index=True)
    order_pk: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    year: Mapped[str] = mapped_column(String(7))
    serial: Mapped[int] = mapped_column()
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(16))  # return | cancel
    ref: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class LogisticsSearch(Base):
    """A LOG search we sent couriers to quote one retail select (adapter.logistics), and how it ended.

    ``waiting`` while couriers may still answer; ``closed`` once the select was answered (``choice`` is the quote
    used, or None when the slabs were). ``expected`` is how many couriers were asked (0 through a gateway, where
    nobody knows).
    """

    __tablename__ = "logistics_searches"
    __table_args__ = (UniqueConstraint("transaction_id", "message_id", name="uq_logistics_searches_message"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    # The retail select this search quotes for (answered once the search closes).
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"),
                                                   index=True, default=None)
    retail_transaction_id: Mapped[str] = mapped_column(String(128), index=True)
    domain: Mapped[str] = mapped_column(String(16))
    transaction_id: Mapped[str] = mapped_column(String(128))
    message_id: Mapped[str] = mapped_column(String(128))
    expected: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    parcel: Mapped[dict[str, Any]] = mapped_column(JSON)
    choice: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), default=None)


class LogisticsQuote(Base):
    """One courier's delivery quote from an on_search answering a LogisticsSearch (adapter.logistics.quotes)."""

    __tablename__ = "logistics_quotes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    search_id: Mapped[int] = mapped_column(ForeignKey("logistics_searches.id", ondelete="CASCADE"), index=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id", ondelete="SET NULL"),
                                                   default=None)
    bpp_id: Mapped[str] = mapped_column(String(255))
    quote: Mapped[dict[str, Any]] = mapped_column(JSON)  # CourierQuote.to_dict()
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Shipment(Base):
    """One order fulfilment booked with a courier on ONDC logistics (adapter.logistics.booking).

    ``state`` is ours: ``init-sent`` → ``confirm-sent`` → ``booked`` (or ``cancel-sent``/``cancelled``/``failed``);
    ``courier_state`` is the last LOG fulfilment state the courier reported. ``unapplied`` lists the courier states
    the retail order could not take (recorded, not forced).
    """

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("order_id", "fulfilment_id", name="uq_shipments_order_fulfilment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    fulfilment_id: Mapped[str] = mapped_column(String(64))
    retail_transaction_id: Mapped[str] = mapped_column(String(128))
    domain: Mapped[str] = mapped_column(String(16))
    bpp_id: Mapped[str] = mapped_column(String(255))
    bpp_uri: Mapped[str] = mapped_column(String(2048))
    provider_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[str] = mapped_column(String(255))
    transaction_id: Mapped[str] = mapped_column(String(128), index=True)  # the LOG transaction
    log_order_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(16))
    courier_state: Mapped[str | None] = mapped_column(String(32), default=None)
    awb: Mapped[str | None] = mapped_column(String(64), default=None)
    label_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    tracking_url: Mapped[str | None] = mapped_column(String(2048), default=None)
    pickup_slot: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # {"start": ..., "end": ...}
    quote: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # the courier's on_init quote
    unapplied: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    # What the courier was told in confirm or a later update: booked when the order is accepted, the parcel is not
    # ready to ship until the member packs it.
    ready_to_ship: Mapped[bool] = mapped_column(default=True, server_default=true())
    # What the courier charged beyond its quote, newest last: [{"kind": "weight", "amount", "tax", "weight_kg",
    # "proof", "at"}] (a weight differential it found at pickup); the cooperative pays it, the buyer's quote stands.
    charges: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

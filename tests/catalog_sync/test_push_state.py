"""What a subscribed buyer app is taken to have: acknowledged on delivery, forgotten on a dead letter, and the hash
of what was actually sent, even when an edit lands between a sync's comparison and its push."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import sync as sync_store
from adapter.store.db import transaction
from adapter.store.models import Cooperative, OutboxMessage, PushState, Subscription
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services.push import push_changes
from config import Settings
from tests.support.sellers import make_seller


def _subscriber(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        sub = Subscription(bap_id="buyer.test", bap_uri="http://127.0.0.1:9/buyer", domain="ONDC:RET16",
                           transaction_id="t-push", active=True, started_at=dt.datetime.now(dt.UTC))
        session.add(sub)
        session.flush()
        return sub.id


def test_a_push_records_the_hash_of_the_content_it_sent(sessions: sessionmaker[Session], settings: Settings) -> None:
    cooperative_id = make_seller(sessions)
    sub_id = _subscriber(sessions)
    app = SellerApp.from_settings(settings)
    with sessions() as session:
        index = store.current_index(session, cooperative_id)  # what the sync compared
    item_id = next(iter(index))
    with transaction(sessions) as session:  # an edit lands before this subscriber's push
        catalogues.edit_item(session, session.get_one(Cooperative, cooperative_id), item_id, {"price": "999"})
    with transaction(sessions) as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        result = push_changes(session, session.get_one(Subscription, sub_id), cooperative,
                              catalogues.profile_of(cooperative), index, app, dt.datetime.now(dt.UTC))
        assert result.outbox_ids
    with sessions() as session:
        now_hash = store.get_item(session, cooperative_id, item_id).item_hash
        recorded = session.scalar(select(PushState.pending_hash).where(PushState.subscription_id == sub_id,
                                                                       PushState.item_id == item_id))
    assert now_hash != index[item_id][0]
    assert recorded == now_hash  # the edited content went out, and is what the buyer app is taken to have


def test_delivered_pushes_are_acknowledged_dead_ones_forgotten_pending_ones_kept(
    sessions: sessionmaker[Session], settings: Settings
) -> None:
    cooperative_id = make_seller(sessions)
    sub_id = _subscriber(sessions)
    app = SellerApp.from_settings(settings)
    with transaction(sessions) as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        index = store.current_index(session, cooperative_id)
        outbox_id = push_changes(session, session.get_one(Subscription, sub_id), cooperative,
                                 catalogues.profile_of(cooperative), index, app, dt.datetime.now(dt.UTC)).outbox_ids[0]
    items = {item_id: item_hash for item_id, (item_hash, _) in index.items()}

    def known() -> dict[str, str]:
        with transaction(sessions) as session:
            return sync_store.known_hashes(session, sub_id, cooperative_id)

    assert {k: v for k, v in known().items() if k in items} == items  # in flight: taken as had
    with transaction(sessions) as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(status="dead"))
    assert not set(known()) & set(items)  # dead-lettered: forgotten, so the next sync sends it again
    with transaction(sessions) as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        outbox_id = push_changes(session, session.get_one(Subscription, sub_id), cooperative,
                                 catalogues.profile_of(cooperative), index, app, dt.datetime.now(dt.UTC)).outbox_ids[0]
        session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(status="sent"))
    assert {k: v for k, v in known().items() if k in items} == items  # delivered: acknowledged
    with sessions() as session:
        states = session.execute(select(PushState.acked_hash, PushState.pending_hash)
                                 .where(PushState.subscription_id == sub_id, PushState.item_id.in_(items))).all()
    assert all(acked is not None and pending is None for acked, pending in states)

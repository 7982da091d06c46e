"""Requests that pass the schemas but still can't be answered end as `failed`, with nothing half-written."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.store.models import InboundMessage
from tests.support.network import BUYER_ID, SELLER_ID, Network
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import wait_until


def test_an_unanswerable_request_is_marked_failed_not_retried_forever(
    client: FlaskClient, worker: Any, network: Network, sessions: sessionmaker[Session]
) -> None:
    make_seller(sessions, profile=ALWAYS_OPEN)
    now = format_timestamp(dt.datetime.now(dt.UTC))
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": "issue",
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "http://127.0.0.1:9/buyer",
               "bpp_id": SELLER_ID, "bpp_uri": "http://127.0.0.1/ondc", "transaction_id": str(uuid.uuid4()),
               "message_id": str(uuid.uuid4()), "timestamp": now, "ttl": "PT30S"}
    # order_details as a bare string: the schema allows it, the IGM handling can't use it.
    body = orjson.dumps({"context": context, "message": {"issue": {
        "id": "ISS-1", "status": "OPEN", "order_details": "O1", "created_at": now, "updated_at": now}}})
    response = client.post("/ondc/issue", data=body, content_type="application/json",
                           headers={"Authorization": network.buyer.sign(body)})
    response.close()
    assert response.status_code == 200

    def status() -> str | None:
        with sessions() as session:
            return session.scalar(select(InboundMessage.status).where(InboundMessage.action == "issue"))

    assert wait_until(lambda: status() in ("processed", "failed"), timeout=30), status()
    if status() == "failed":
        with sessions() as session:
            error = session.scalar(select(InboundMessage.error).where(InboundMessage.action == "issue"))
        assert error

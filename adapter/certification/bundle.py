"""A transaction's messages as ONDC's review asks for logs, and the utility's payload key of each.

``write_bundle`` saves one numbered file per message (``01_search.json``, ``02_on_search.json`` ...) and, beside the
folder, the utility's request naming each message's payload key (``<folder>.request.json``), which
``Validator.run`` reads. ``stored_messages`` reads a transaction back from the timeline: what buyer apps sent us
(inbound) and what we sent them (outbox), in the order they happened.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapter.certification.validator import neutralise_addresses
from adapter.protocol.context import parse_timestamp
from adapter.store import pages
from adapter.store.models import InboundMessage, OutboxMessage

__all__ = ["STATUS_KEYS", "payload_key", "stored_messages", "write_bundle"]

# The utility's payload key of an on_status, by the Delivery fulfilment's state.
STATUS_KEYS = {
    "Pending": "on_status_pending", "Packed": "on_status_packed", "Agent-assigned": "on_status_agent_assigned",
    "At-pickup": "on_status_at_pickup", "Out-for-pickup": "on_status_out_for_pickup",
    "Pickup-failed": "on_status_pickup_failed", "Order-picked-up": "on_status_picked",
    "In-transit": "on_status_in_transit", "At-destination-hub": "on_status_at_destination_hub",
    "Out-for-delivery": "on_status_out_for_delivery", "At-delivery": "on_status_at_delivery",
    "Delivery-failed": "on_status_delivery_failed", "Order-delivered": "on_status_delivered",
}
# On an RTO's on_status the Delivery fulfilment is Cancelled; the RTO leg's state names the message.
RTO_KEYS = {"RTO-Delivered": "on_status_rto_delivered/disposed", "RTO-Disposed": "on_status_rto_delivered/disposed"}


def payload_key(message: dict[str, Any], incremental: set[str]) -> str:
    """The utility's payload key for a message whose action and states say what it is; ``incremental`` holds the
    transactions of incremental-catalogue searches seen so far (a search with a catalog_inc tag adds its own)."""
    context = message["context"]
    action = context["action"]
    body = message.get("message") or {}
    if action == "search" and any(tag.get("code") == "catalog_inc"
                                  for tag in (body.get("intent") or {}).get("tags", [])):
        incremental.add(context["transaction_id"])
    if action in ("search", "on_search"):
        kind = "inc_refresh" if context["transaction_id"] in incremental else "full_catalog_refresh"
        return f"{action}_{kind}"
    if action == "on_status":
        fulfilments = (body.get("order") or {}).get("fulfillments") or []
        for leg in fulfilments:
            if leg.get("type") == "RTO" and leg["state"]["descriptor"]["code"] in RTO_KEYS:
                return RTO_KEYS[leg["state"]["descriptor"]["code"]]
        delivery = next((f for f in fulfilments if f.get("type") == "Delivery"), None)
        if delivery is not None:
            return STATUS_KEYS.get(delivery["state"]["descriptor"]["code"], "on_status")
    return str(action)


def write_bundle(folder: Path, messages: Sequence[dict[str, Any]], keys: dict[int, str] | None = None) -> Path:
    """Save ``messages`` (in order) into ``folder`` and the utility's request beside it; the request's path.

    ``keys`` names the payload key of a message the utility cannot place by its action and states (by ``id()``:
    e.g. on_update_part_cancel); a later message of the same key replaces an earlier one in the request.
    """
    keys = keys or {}
    folder.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {}
    incremental: set[str] = set()
    for number, message in enumerate(messages, start=1):
        copy = neutralise_addresses(message)
        (folder / f"{number:02d}_{message['context']['action']}.json").write_text(
            json.dumps(copy, indent=1, ensure_ascii=False), encoding="utf-8")
        payload[keys.get(id(message)) or payload_key(message, incremental)] = copy
    request = folder.parent / f"{folder.name}.request.json"
    request.write_text(json.dumps({"payload": payload}, ensure_ascii=False), encoding="utf-8")
    return request


def stored_messages(session: Session, transaction_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every message of these transactions on the timeline, oldest first: requests we received (signed ones that
    we accepted) and callbacks we sent (delivered, or at least attempted)."""
    ids = list(transaction_ids)
    timeline: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    rows: list[tuple[int, dt.datetime, bytes]] = [
        (0, row.received_at, row.body) for row in session.scalars(select(InboundMessage).where(
            InboundMessage.transaction_id.in_(ids), InboundMessage.nack_code.is_(None)))]
    rows += [(1, row.created_at, pages.wire_of(session, row.body, row.page_digest))
             for row in session.scalars(select(OutboxMessage).where(
        OutboxMessage.transaction_id.in_(ids), OutboxMessage.attempts > 0))]
    for side, stored_at, body in rows:
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError:
            continue
        context = message.get("context") if isinstance(message, dict) else None
        if not isinstance(context, dict):
            continue  # not a Beckn message, e.g. a status update to a polled marketplace
        try:
            moment = parse_timestamp(str(context.get("timestamp")))
        except ValueError:
            moment = stored_at  # UTCDateTime: always timezone-aware
        timeline.append((moment, side, message))
    timeline.sort(key=lambda entry: entry[:2])  # by context timestamp; a request before its same-moment answer
    return [message for _, _, message in timeline]

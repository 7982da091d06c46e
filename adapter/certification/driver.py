"""A buyer app that drives ONDC's retail flows against a running adapter, keeping every message for the review.

``Transaction`` sends signed requests and collects the verified callbacks of one transaction, in order, as ONDC's
review wants them (``save`` writes the bundle). The seller's side (accept, pack, ship ...) goes through the operator
API, as a cooperative's member would act. The flows (``FLOWS``) are the ones ONDC's log-validation-utility knows:
each returns the transaction to check.

The driver makes no HTTP calls itself: a ``Wire`` does (the ``certify run`` command's, over the test buyer's
keys and callback server; the conformance suite's, over its own). Every failure is a ``DriveError`` saying what
the adapter did instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from adapter.certification.bundle import write_bundle
from adapter.protocol.context import format_timestamp

__all__ = ["FLOWS", "MOVES", "Cooperative", "DriveError", "Party", "Transaction", "Wire", "place", "search", "ship"]

# P2H2P: an intercity parcel through a courier's hubs, move by move as a member records them.
MOVES = ("pack", "pick_up", "ship", "at_destination_hub", "out_for_delivery", "deliver")
BUYER_GSTIN = "02AAACB1234C1Z5"
ADDRESS = {"name": "12", "building": "Lakkar Bazaar", "locality": "The Ridge", "city": "Shimla",
           "state": "Himachal Pradesh", "country": "IND", "area_code": "171001"}
SHIMLA = ("31.1048,77.1734", ADDRESS)
FINDER_FEE = {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"}


class DriveError(RuntimeError):
    """The adapter did not do what the flow needs (a NACK, a missing callback, a refused move)."""


class Wire(Protocol):
    """How the driver reaches the adapter."""

    def post(self, url: str, raw: bytes) -> tuple[int, Any]:
        """Sign ``raw`` as the buyer app and POST it; the HTTP status and the parsed answer."""

    def callbacks(self, action: str | None) -> list[dict[str, Any]]:
        """Every callback received so far for ``action`` (e.g. on_status; None: all), in arrival order, each
        signature verified. A callback keeps its place in the list: the driver counts on positions."""

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """Call the operator API (``/api/v1/...``) as the operator; the HTTP status and the parsed answer."""


@dataclass(frozen=True)
class Party:
    """Who talks: the buyer app (its id and callback URL) and the seller app (its id and network URL)."""

    bap_id: str
    bap_uri: str
    bpp_id: str
    bpp_uri: str


def wait_for(condition: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


@dataclass
class Transaction:
    """One buyer-app transaction; ``messages`` holds all that was exchanged, in order."""

    wire: Wire
    party: Party
    domain: str
    city: str
    timeout: float = 30.0
    # ONDC's current review wants 1.2.5; a buyer app still on 1.2.0 sends that, and the validator checks 1.2.0 rules.
    core_version: str = "1.2.5"
    transaction_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    messages: list[dict[str, Any]] = field(default_factory=list)
    # id(message) -> the utility's payload key, where it cannot tell itself (e.g. select_out_of_stock)
    keys: dict[int, str] = field(default_factory=dict)
    _taken: set[tuple[str, int]] = field(default_factory=set)  # (action, position) of callbacks already kept

    def context(self, action: str, *, timestamp: str | None = None) -> dict[str, Any]:
        """A request context of this transaction."""
        context = {"domain": self.domain, "country": "IND", "city": self.city, "action": action,
                   "core_version": self.core_version, "bap_id": self.party.bap_id, "bap_uri": self.party.bap_uri,
                   "transaction_id": self.transaction_id, "message_id": str(uuid.uuid4()),
                   "timestamp": timestamp or format_timestamp(dt.datetime.now(dt.UTC)), "ttl": "PT30S"}
        if action != "search":
            context |= {"bpp_id": self.party.bpp_id, "bpp_uri": self.party.bpp_uri}
        return context

    def send(self, action: str, message: dict[str, Any], *, timestamp: str | None = None, answers: int = 1,
             key: str | None = None, answer_key: str | None = None) -> list[dict[str, Any]]:
        """Send a signed request; the callbacks that answer it (``answers`` of them). ``key`` and ``answer_key``
        name the request and its answer for the utility (e.g. select_out_of_stock)."""
        body = self._post(action, {"context": self.context(action, timestamp=timestamp), "message": message})
        if key:
            self.keys[id(body)] = key
        return self.wait(f"on_{action}", body["context"]["message_id"], count=answers, key=answer_key)

    def reject(self, errors: list[dict[str, Any]], *, city: str | None = None) -> None:
        """Send a catalog_rejection (its reasons sit beside the context; no callback follows)."""
        context = self.context("catalog_rejection") | ({"city": city} if city else {})
        self._post("catalog_rejection", {"context": context, "errors": errors})

    def _post(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raw = orjson.dumps(payload)
        status, answer = self.wire.post(f"{self.party.bpp_uri}/{action}", raw)
        acked = isinstance(answer, dict) and (answer.get("message") or {}).get("ack", {}).get("status") == "ACK"
        if status != 200 or not acked:
            raise DriveError(f"{action} was not ACKed: HTTP {status} {orjson.dumps(answer).decode()[:500]}")
        body: dict[str, Any] = orjson.loads(raw)  # what was sent, whatever the caller does with it afterwards
        self.messages.append(body)
        return body

    def fresh(self, action: str, message_id: str | None = None) -> list[tuple[tuple[str, int], dict[str, Any]]]:
        """Callbacks of this transaction not kept yet (answering ``message_id`` when given), with their places."""
        return [((action, n), body) for n, body in enumerate(self.wire.callbacks(action))
                if (action, n) not in self._taken and body["context"]["transaction_id"] == self.transaction_id
                and (message_id is None or body["context"]["message_id"] == message_id)]

    def take(self, place: tuple[str, int], body: dict[str, Any], *, key: str | None = None,
             keep: bool = True) -> dict[str, Any]:
        """Mark a callback seen; ``keep`` it among the transaction's messages (with its payload ``key``)."""
        self._taken.add(place)
        if keep:
            self.messages.append(body)
            if key:
                self.keys[id(body)] = key
        return body

    def wait(self, action: str, message_id: str | None = None, *, count: int = 1, timeout: float | None = None,
             key: str | None = None) -> list[dict[str, Any]]:
        """Callbacks of this transaction not kept yet (answering ``message_id`` when given), kept in order."""
        if not wait_for(lambda: len(self.fresh(action, message_id)) >= count, timeout or self.timeout):
            got = len(self.fresh(action, message_id))
            raise DriveError(f"waited {timeout or self.timeout:.0f} s for {count} {action} callback(s) "
                             f"{'to ' + message_id + ' ' if message_id else ''}and got {got}")
        return [self.take(place, body, key=key) for place, body in self.fresh(action, message_id)[:count]]

    def seller(self, order_id: str, action: str, **body: Any) -> dict[str, Any]:
        """A member's move on the order (accept, pack, ship ...), through the operator API; waits for the
        callback it causes."""
        status, listed = self.wire.api("GET", "/api/v1/orders")
        pk = next((o["id"] for o in (listed or {}).get("orders", []) if o["order_id"] == order_id), None)
        if status != 200 or pk is None:
            raise DriveError(f"order {order_id} is not in the operator API (HTTP {status})")
        before = len(self.wire.callbacks(None))
        status, answer = self.wire.api("POST", f"/api/v1/orders/{pk}/actions/{action}", body or None)
        if status != 200:
            raise DriveError(f"the move {action} on order {order_id} was refused: HTTP {status} {answer}")
        if not wait_for(lambda: len(self.wire.callbacks(None)) > before, self.timeout):
            raise DriveError(f"no callback followed the move {action} on order {order_id}")
        result: dict[str, Any] = answer
        return result

    def save(self, folder: Path) -> Path:
        """The transaction as ONDC's review asks for logs (adapter.certification.bundle); the utility's request."""
        return write_bundle(folder, self.messages, self.keys)


# -- the buyer's side of a flow ------------------------------------------------------------------------------------

def billing(now: str) -> dict[str, Any]:
    return {"name": "Asha Devi", "phone": "9000000001", "email": "asha@buyer.example", "address": ADDRESS,
            "created_at": now, "updated_at": now}


def end(name: str = "Asha Devi", place: tuple[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """The buyer's drop-off: Shimla (intercity from every demo cooperative) unless ``place`` says otherwise."""
    gps, address = place or SHIMLA
    return {"location": {"gps": gps, "address": address},
            "contact": {"phone": "9000000001", "email": "asha@buyer.example"}, "person": {"name": name}}


def bap_terms() -> dict[str, Any]:
    return {"code": "bap_terms", "list": [{"code": "accept_bpp_terms", "value": "Y"},
                                          {"code": "tax_number", "value": BUYER_GSTIN}]}


def search(tx: Transaction, provider_id: str, *, answers: int | None = None) -> dict[str, Any]:
    """Search the domain; keep this provider's on_search (other cooperatives answer too) and return the provider.

    ``answers``: how many on_search to expect in all; without it, the search settles a second after ours came.
    """
    message = {"intent": {"fulfillment": {"type": "Delivery"}, "payment": dict(FINDER_FEE)}}
    tx.send("search", message, answers=0)

    def ours(body: dict[str, Any]) -> bool:
        return any(p.get("id") == provider_id for p in _providers(body))

    def arrived() -> bool:
        fresh = tx.fresh("on_search")
        return any(ours(body) for _, body in fresh) and (answers is None or len(fresh) >= answers)

    if not wait_for(arrived, tx.timeout):
        raise DriveError(f"no on_search from provider {provider_id!r} within {tx.timeout:.0f} s")
    if answers is None:
        time.sleep(1.0)  # the other cooperatives' answers: seen now, so a later wait does not take them
    kept = None
    for place, body in tx.fresh("on_search"):
        mine = kept is None and ours(body)
        tx.take(place, body, keep=mine)
        kept = body if mine else kept
    if kept is None:
        raise DriveError(f"the on_search from provider {provider_id!r} went missing")
    provider: dict[str, Any] = next(p for p in _providers(kept) if p.get("id") == provider_id)
    return provider


def _providers(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The providers of an on_search (none in an error answer)."""
    providers = ((body.get("message") or {}).get("catalog") or {}).get("bpp/providers") or []
    return [p for p in providers if isinstance(p, dict)]


def pick(provider: dict[str, Any], count: int = 1) -> dict[str, Any]:
    """The first item a buyer can order ``count`` of (stock and the per-order maximum allow it)."""
    for item in provider["items"]:
        quantity = item.get("quantity", {})
        most = min(int(quantity.get("maximum", {}).get("count", 99)),
                   int(quantity.get("available", {}).get("count", 99)))
        if most >= count:
            found: dict[str, Any] = item
            return found
    raise DriveError(f"no item of {provider['id']} can be ordered {count} at a time")


Lines = Sequence[tuple[dict[str, Any], int]]  # (an item of the catalogue, how many)


def order_of(provider: dict[str, Any], lines: Lines, place: Any = None) -> dict[str, Any]:
    """A select's order: the items and where they go."""
    drop = end(place=place)["location"]
    return {"provider": {"id": provider["id"], "locations": [{"id": lines[0][0]["location_id"]}]},
            "items": [{"id": item["id"], "location_id": item["location_id"], "quantity": {"count": count}}
                      for item, count in lines],
            "fulfillments": [{"end": {"location": {"gps": drop["gps"],
                                                   "address": {"area_code": drop["address"]["area_code"]}}}}]}


def _answered(callback: dict[str, Any], action: str) -> dict[str, Any]:
    if "error" in callback:
        raise DriveError(f"{action} answered with error {callback['error']}")
    order: dict[str, Any] = callback["message"]["order"]
    return order


def place(tx: Transaction, provider: dict[str, Any], lines: Lines, *, accepted: bool = True,
          place: Any = None) -> str:
    """select, init, confirm, and the on_status that accepts the order (unless the cooperative accepts by hand:
    ``accepted=False``); the order id. ``place``: the buyer's drop-off, when not in Shimla."""
    order = order_of(provider, lines, place)
    (on_select,) = tx.send("select", {"order": order})
    fulfilment = _answered(on_select, "select")["fulfillments"][0]
    for line in order["items"]:
        line["fulfillment_id"] = fulfilment["id"]
    order["fulfillments"] = [{"id": fulfilment["id"], "type": fulfilment.get("type", "Delivery"),
                              "end": end(place=place)}]
    now = format_timestamp(dt.datetime.now(dt.UTC))
    (on_init,) = tx.send("init", {"order": order | {"billing": billing(now)}})
    offered = _answered(on_init, "init")
    created = format_timestamp(dt.datetime.now(dt.UTC))
    payment = {"type": "ON-ORDER", "collected_by": "BAP", "status": "PAID",
               "params": {"amount": offered["quote"]["price"]["value"], "currency": "INR",
                          "transaction_id": "pay-" + tx.transaction_id[:8]},
               **FINDER_FEE, "@ondc/org/settlement_basis": "delivery", "@ondc/org/settlement_window": "P1D",
               "@ondc/org/withholding_amount": "0.00"}
    if "@ondc/org/settlement_details" in offered["payment"]:
        payment["@ondc/org/settlement_details"] = offered["payment"]["@ondc/org/settlement_details"]
    order_id = "ODR-" + tx.transaction_id[:8]
    # As buyer apps do: the seller's bpp_terms from on_init, and the buyer's own terms.
    bpp_terms = [tag for tag in offered.get("tags", []) if tag["code"] == "bpp_terms"]
    confirm = order | {"id": order_id, "state": "Created", "billing": billing(now), "tags": [*bpp_terms, bap_terms()],
                       "quote": offered["quote"], "payment": payment, "created_at": created, "updated_at": created}
    (on_confirm,) = tx.send("confirm", {"order": confirm}, timestamp=created)
    if _answered(on_confirm, "confirm")["state"] != "Created":
        raise DriveError(f"on_confirm says {on_confirm['message']['order']['state']}, not Created")
    if accepted:
        (status,) = tx.wait("on_status")  # accepted at once (ORDER_AUTO_ACCEPT), pushed after on_confirm
        if _answered(status, "the acceptance")["state"] != "Accepted":
            raise DriveError(f"the order was not accepted: on_status says {status['message']['order']['state']}")
    return order_id


def ship(tx: Transaction, order_id: str, moves: Sequence[str] = MOVES) -> None:
    """The member's moves, each answered by an on_status; a track call once the parcel is picked up."""
    for move in moves:
        tx.seller(order_id, move)
        tx.wait("on_status")
        if move == "pick_up":
            (on_track,) = tx.send("track", {"order_id": order_id})
            if "error" in on_track:
                raise DriveError(f"track answered with error {on_track['error']}")


def set_item(wire: Wire, slug: str, item_id: str, **changes: Any) -> dict[str, Any]:
    """Change an item as the cooperative would (price, stock ...); the item before the change (no change given:
    the item as it is)."""
    path = f"/api/v1/cooperatives/{slug}/catalogue/items/{item_id}"
    status, before = wire.api("GET", path)
    if status != 200:
        raise DriveError(f"item {item_id} of {slug}: HTTP {status}")
    if not changes:
        item_now: dict[str, Any] = before
        return item_now
    status, answer = wire.api("PATCH", path, changes)
    if status != 200:
        raise DriveError(f"cannot change item {item_id} of {slug}: HTTP {status} {answer}")
    item: dict[str, Any] = before
    return item


# -- the flows ONDC's utility knows, for ``certify run`` ------------------------------------------------------------

@dataclass(frozen=True)
class Cooperative:
    """The cooperative a run certifies: its slug, provider id, domain, the city it ships from, whether it has
    credentials (flow 017), and how long a catalogue change may take to reach subscribers (the adapter's
    SYNC_DEBOUNCE_SECONDS and a margin)."""

    slug: str
    provider_id: str
    domain: str
    city: str
    has_creds: bool = False
    push_wait: float = 60.0


Flow = Callable[[Wire, Party, Cooperative], Transaction]


def _start(wire: Wire, party: Party, coop: Cooperative) -> tuple[Transaction, dict[str, Any]]:
    tx = Transaction(wire, party, coop.domain, coop.city)
    return tx, search(tx, coop.provider_id)


def flow_8(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """Search only."""
    return _start(wire, party, coop)[0]


def flow_2(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """Order to delivery: select, init, confirm, status, every move to Order-delivered, a track."""
    tx, provider = _start(wire, party, coop)
    order_id = place(tx, provider, [(pick(provider), 1)])
    tx.send("status", {"order_id": order_id})
    ship(tx, order_id)
    return tx


def flow_3(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """Out of stock, then ordered: the buyer asks for more than there is (40002), then for what there is.
    The item's stock is lowered for the first select and put back."""
    tx, provider = _start(wire, party, coop)
    item = pick(provider, 2)
    stock = int(set_item(wire, coop.slug, item["id"])["stock"])
    set_item(wire, coop.slug, item["id"], stock=1)
    try:
        (short,) = tx.send("select", {"order": order_of(provider, [(item, 2)])}, key="select_out_of_stock",
                           answer_key="on_select_out_of_stock")
    finally:
        # Back to what it was, less anything sold meanwhile (a real order must not be undone).
        now = int(set_item(wire, coop.slug, item["id"])["stock"])
        set_item(wire, coop.slug, item["id"], stock=max(0, stock - 1 + now))
    if (short.get("error") or {}).get("code") != "40002":
        raise DriveError(f"a select beyond the stock was answered {short.get('error')}, not 40002")
    order_id = place(tx, provider, [(item, 1)])
    ship(tx, order_id)
    return tx


def flow_4(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """The buyer cancels a confirmed order (reason 010: the buyer wants another address)."""
    tx, provider = _start(wire, party, coop)
    order_id = place(tx, provider, [(pick(provider), 1)])
    (on_cancel,) = tx.send("cancel", {"order_id": order_id, "cancellation_reason_id": "010"})
    if _answered(on_cancel, "cancel")["state"] != "Cancelled":
        raise DriveError(f"on_cancel says {on_cancel['message']['order']['state']}")
    return tx


def subscribe(tx: Transaction, mode: str = "start") -> None:
    """Ask for incremental pushes (``stop``: no more; that request is not kept in the logs)."""
    tx.send("search", {"intent": {"payment": dict(FINDER_FEE), "tags": [
        {"code": "catalog_inc", "list": [{"code": "mode", "value": mode}]}]}}, answers=0)
    if mode == "stop":
        tx.messages.pop()


def pushed(tx: Transaction, provider_id: str, item_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """Wait for the incremental push that carries ``item_id`` of this provider; other pushes are left out."""
    found: list[dict[str, Any]] = []

    def ours() -> bool:
        for place, push in tx.fresh("on_search"):
            carries = not found and any(
                p.get("id") == provider_id and any(i.get("id") == item_id for i in p.get("items", []))
                for p in _providers(push))
            tx.take(place, push, keep=carries)
            if carries:
                found.append(push)
        return bool(found)

    if not wait_for(ours, timeout):
        raise DriveError(f"the change to item {item_id} was not pushed within {timeout:.0f} s")
    return found[0]


def flow_1(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """A full search, then incremental pushes: the buyer app subscribes and the cooperative changes a price
    (put back afterwards, which is pushed too but not kept in these logs)."""
    tx, provider = _start(wire, party, coop)
    item = provider["items"][0]
    tx.transaction_id = str(uuid.uuid4())  # the subscription is a transaction of its own
    subscribe(tx)
    price = set_item(wire, coop.slug, item["id"])["price"]
    try:
        set_item(wire, coop.slug, item["id"], price=_nudged(price))
        try:
            sync_now(wire, coop.slug)
            pushed(tx, coop.provider_id, item["id"], coop.push_wait)
        finally:
            set_item(wire, coop.slug, item["id"], price=price)
            with contextlib.suppress(DriveError):
                sync_now(wire, coop.slug)  # other subscribers get the price back now, too
    finally:
        subscribe(tx, "stop")
    return tx


def sync_now(wire: Wire, slug: str) -> None:
    """Push the cooperative's changes now, as an operator would, instead of after the edits' debounce."""
    status, answer = wire.api("POST", f"/api/v1/cooperatives/{slug}/syncs", {})
    if status not in (200, 202):
        raise DriveError(f"cannot start a sync of {slug}: HTTP {status} {answer}")


def _nudged(price: str) -> str:
    """A price one rupee lower (never below one rupee), as a cooperative's correction would be."""
    value = float(price)
    return f"{value - 1 if value >= 2 else value + 1:.2f}"


def settle_rejection(tx: Transaction, coop: Cooperative, item_id: str) -> None:
    """Wait until the adapter has stored the run's rejection and traced it to the item, then mark it done, so
    the cooperative's list shows only real buyer apps' rejections."""
    found: list[dict[str, Any]] = []
    path = f"/api/v1/cooperatives/{coop.slug}/catalogue/rejections"

    def stored() -> bool:
        status, answer = tx.wire.api("GET", path)
        found[:] = [r for r in (answer or {}).get("rejections", []) if r["transaction_id"] == tx.transaction_id]
        return status == 200 and bool(found)

    if not wait_for(stored, tx.timeout):
        raise DriveError(f"the catalogue rejection was not stored for {coop.slug} within {tx.timeout:.0f} s")
    for rejection in found:
        tx.wire.api("POST", f"{path}/{rejection['id']}/dismiss")
    wrong = [r["item_id"] for r in found if r["item_id"] != item_id]
    if wrong:
        raise DriveError(f"the rejection of {item_id} was traced to item {wrong[0]!r}")


def flow_7(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """The buyer app rejects an item of the catalogue (a photo it finds too small)."""
    tx, provider = _start(wire, party, coop)
    item = provider["items"][0]
    tx.reject([{"type": "ITEM-ERROR", "code": "91005", "message": f"Low quality image for item {item['id']}",
                "path": f"message.catalog.bpp/providers[?(@.id=='{provider['id']}')]"
                        f".items[?(@.id=='{item['id']}')].descriptor.images[0]"}])
    settle_rejection(tx, coop, item["id"])
    return tx


def flow_9(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """The buyer app subscribes, a price change is pushed, and the buyer app rejects the pushed item."""
    tx = Transaction(wire, party, coop.domain, coop.city)
    subscribe(tx)
    status, listed = wire.api("GET", f"/api/v1/cooperatives/{coop.slug}/catalogue/items")
    items = [i for i in (listed or {}).get("items", []) if i["enabled"] and i["domain"] == coop.domain]
    if status != 200 or not items:
        raise DriveError(f"{coop.slug} has no item on sale in {coop.domain} (HTTP {status})")
    item = items[0]
    try:
        set_item(wire, coop.slug, item["id"], price=_nudged(item["price"]))
        try:
            sync_now(wire, coop.slug)
            pushed(tx, coop.provider_id, item["id"], coop.push_wait)
        finally:
            set_item(wire, coop.slug, item["id"], price=item["price"])
            with contextlib.suppress(DriveError):
                sync_now(wire, coop.slug)  # other subscribers get the price back now, too
    finally:
        subscribe(tx, "stop")
    tx.reject([{"type": "ITEM-ERROR", "code": "91001", "message": "Item price > MRP",
                "path": f"message.catalog.bpp/providers[?(@.id=='{coop.provider_id}')]"
                        f".items[?(@.id=='{item['id']}')].price.value"}], city="*")
    settle_rejection(tx, coop, item["id"])
    return tx


def flow_017(wire: Wire, party: Party, coop: Cooperative) -> Transaction:
    """Seller credentials (1.2.5): an order to delivery whose every message carries the provider's creds."""
    if not coop.has_creds:
        raise DriveError(f"{coop.slug} has no credentials in its profile (credentials[]): flow 017 needs them")
    return flow_2(wire, party, coop)


FLOWS: dict[str, tuple[Flow, str]] = {
    "8": (flow_8, "search only"),
    "1": (flow_1, "full search, then incremental pushes"),
    "7": (flow_7, "catalogue rejection"),
    "9": (flow_9, "incremental push rejected"),
    "2": (flow_2, "order to delivery"),
    "3": (flow_3, "out of stock, then ordered"),
    "4": (flow_4, "buyer cancels"),
    "017": (flow_017, "seller credentials"),
}

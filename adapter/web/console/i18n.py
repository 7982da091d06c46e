"""The console's words that come from data, through gettext: order states, sync steps, action buttons, reasons,
delivery errors and validation messages (the catalogues are in adapter/web/translations; docs/translations.md).

Every table maps a code to a lazy message, translated when it is shown. The states, sync words and actions
carry a gettext context, because the same English names a state in one place and a button in another
("Delivery failed") and a language may need two different words.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext, lazy_gettext, lazy_pgettext, pgettext

from adapter.web.languages import current_language
from catalog_sync.report_hi import localise

LazyString = Any  # flask_babel.speaklater.LazyString (flask_babel has no type hints)

# Order, fulfilment, return and RTO states in plain words (the ONDC code stays in the page for operators).
STATES: dict[str, LazyString] = {
    "Created": lazy_pgettext("order state", "New: accept or reject"),
    "Accepted": lazy_pgettext("order state", "Accepted"),
    "In-progress": lazy_pgettext("order state", "On its way"),
    "Completed": lazy_pgettext("order state", "Completed"),
    "Cancelled": lazy_pgettext("order state", "Cancelled"),
    "Pending": lazy_pgettext("order state", "To pack"),
    "Packed": lazy_pgettext("order state", "Packed"),
    "Agent-assigned": lazy_pgettext("order state", "Courier assigned"),
    "Out-for-pickup": lazy_pgettext("order state", "Courier on the way to pick up"),
    "At-pickup": lazy_pgettext("order state", "Courier at the workshop"),
    "Pickup-failed": lazy_pgettext("order state", "Pick-up failed"),
    "Order-picked-up": lazy_pgettext("order state", "Picked up by the courier"),
    "In-transit": lazy_pgettext("order state", "In transit"),
    "At-destination-hub": lazy_pgettext("order state", "At the buyer's city hub"),
    "Out-for-delivery": lazy_pgettext("order state", "Out for delivery"),
    "At-delivery": lazy_pgettext("order state", "At the buyer's door"),
    "Delivery-failed": lazy_pgettext("order state", "Delivery failed"),
    "Order-delivered": lazy_pgettext("order state", "Delivered"),
    "Return_Initiated": lazy_pgettext("order state", "Return requested"),
    "Return_Approved": lazy_pgettext("order state", "Return approved"),
    "Return_Rejected": lazy_pgettext("order state", "Return rejected"),
    "Return_Picked": lazy_pgettext("order state", "Return picked up"),
    "Return_Delivered": lazy_pgettext("order state", "Returned to the workshop"),
    "Liquidated": lazy_pgettext("order state", "Written off (not sent back)"),
    "RTO-Initiated": lazy_pgettext("order state", "Coming back (not delivered)"),
    "RTO-Delivered": lazy_pgettext("order state", "Back at the workshop"),
    "RTO-Disposed": lazy_pgettext("order state", "Disposed of by the courier"),
}
# A sync job's states, kinds and steps (adapter.store.sync, catalog_sync.services.sync).
SYNC_WORDS: dict[str, LazyString] = {
    "queued": lazy_pgettext("sync", "Waiting to start"),
    "running": lazy_pgettext("sync", "Running"),
    "succeeded": lazy_pgettext("sync", "Done"),
    "failed": lazy_pgettext("sync", "Failed"),
    "cancelled": lazy_pgettext("sync", "Cancelled"),
    "incremental": lazy_pgettext("sync", "Changes only"),
    "full": lazy_pgettext("sync", "Everything again"),
    "fetching source": lazy_pgettext("sync", "Fetching the sheet"),
    "importing": lazy_pgettext("sync", "Importing"),
    "comparing": lazy_pgettext("sync", "Comparing"),
    "pushing": lazy_pgettext("sync", "Sending to buyer apps"),
    "done": lazy_pgettext("sync", "Done"),
}
# The buttons for order actions (adapter.orders.seller).
ACTIONS: dict[str, LazyString] = {
    "accept": lazy_pgettext("order action", "Accept"),
    "reject": lazy_pgettext("order action", "Reject"),
    "pack": lazy_pgettext("order action", "Mark packed"),
    "assign_agent": lazy_pgettext("order action", "Agent assigned"),
    "out_for_pickup": lazy_pgettext("order action", "Out for pickup"),
    "at_pickup": lazy_pgettext("order action", "At pickup"),
    "pickup_failed": lazy_pgettext("order action", "Pickup failed"),
    "pick_up": lazy_pgettext("order action", "Picked up"),
    "ship": lazy_pgettext("order action", "Ship"),
    "out_for_delivery": lazy_pgettext("order action", "Out for delivery"),
    "at_delivery": lazy_pgettext("order action", "At delivery"),
    "deliver": lazy_pgettext("order action", "Mark delivered"),
    "cancel": lazy_pgettext("order action", "Cancel order"),
    "initiate_rto": lazy_pgettext("order action", "Return to origin"),
    "part_cancel": lazy_pgettext("order action", "Cancel part"),
    "approve_return": lazy_pgettext("order action", "Approve return"),
    "reject_return": lazy_pgettext("order action", "Reject return"),
    "return_picked": lazy_pgettext("order action", "Return picked up"),
    "return_delivered": lazy_pgettext("order action", "Return received"),
    "liquidate": lazy_pgettext("order action", "Liquidate"),
    "rto_delivered": lazy_pgettext("order action", "RTO delivered"),
    "rto_disposed": lazy_pgettext("order action", "RTO disposed"),
    "at_destination_hub": lazy_pgettext("order action", "At destination hub"),
    "delivery_failed": lazy_pgettext("order action", "Delivery failed"),
    "book_courier": lazy_pgettext("order action", "Book the courier again"),
}
# Seller cancellation reasons (ONDC RET 1.2) offered in the cancel form.
CANCEL_REASONS: dict[str, LazyString] = {
    "002": lazy_gettext("One or more items not available"),
    "005": lazy_gettext("Merchant rejected the order"),
    "018": lazy_gettext("Delivery pin code not serviceable"),
    "022": lazy_gettext("Order could not be packed in time"),
    "998": lazy_gettext("Order confirmation failure"),
}
# Why a buyer returns an item (ONDC RET 1.2 return reason codes).
RETURN_REASONS: dict[str, LazyString] = {
    "001": lazy_gettext("Buyer does not want the product any more"),
    "002": lazy_gettext("Product available at a lower price"),
    "003": lazy_gettext("Product damaged or not usable"),
    "004": lazy_gettext("Wrong quantity or size"),
    "005": lazy_gettext("Not what was shown and ordered"),
}
RTO_REASONS: dict[str, LazyString] = {
    "011": lazy_gettext("Buyer not found or cannot be contacted"),
    "012": lazy_gettext("Buyer does not want the product any more"),
    "013": lazy_gettext("Buyer refused to accept delivery"),
    "014": lazy_gettext("Address not found"),
    "015": lazy_gettext("Buyer not available at location"),
}
# What a failed delivery's recorded reason means (the first pattern found in it wins): in a sentence for the
# operator's outbox page, and in a few words for the order's story ("Could not tell the buyer app yet: ...").
_DELIVERY_ERRORS: tuple[tuple[tuple[str, ...], LazyString, LazyString], ...] = (
    (('Connection refused', '[Errno 111]'),
     lazy_gettext("The buyer app's server refused the connection: it may be down. We try again."),
     lazy_pgettext("why not delivered", "its server did not answer")),
    (('Name or service not known', 'name resolution', 'nodename nor servname', 'could not be resolved'),
     lazy_gettext("The buyer app's address could not be found (DNS). We try again."),
     lazy_pgettext("why not delivered", "its address could not be found")),
    (('timeout:', 'timed out', 'Read timed out'), lazy_gettext("The buyer app did not answer in time. We try again."),
     lazy_pgettext("why not delivered", "its server did not answer in time")),
    (('CERTIFICATE', 'SSLError', 'certificate verify'),
     lazy_gettext("The buyer app's HTTPS certificate was not accepted."),
     lazy_pgettext("why not delivered", "its HTTPS certificate was not accepted")),
    (('unsafe callback URL',),
     lazy_gettext("The buyer app's address is not allowed (a private address, or not https)."),
     lazy_pgettext("why not delivered", "its address is not allowed")),
    (('ttl expired',), lazy_gettext("The buyer app's time to answer (ttl) ran out before it could be delivered."),
     lazy_pgettext("why not delivered", "the time to deliver it ran out")),
    (('HTTP 401',), lazy_gettext("The buyer app rejected our signature: check our registry keys."),
     lazy_pgettext("why not delivered", "it did not accept our signature")),
    (('NACK',), lazy_gettext("The buyer app refused the message (NACK)."),
     lazy_pgettext("why not delivered", "it refused the message")),
    (('HTTP 5',), lazy_gettext("The buyer app's server failed. We try again."),
     lazy_pgettext("why not delivered", "its server failed")),
    (('HTTP 429', 'HTTP 408', 'HTTP 425'), lazy_gettext("The buyer app was busy. We try again."),
     lazy_pgettext("why not delivered", "it was busy")),
    (('HTTP 4',), lazy_gettext("The buyer app refused the message."),
     lazy_pgettext("why not delivered", "it refused the message")),
)
# Reasons a buyer gives for cancelling (ONDC RET 1.2, buyer-side codes).
BUYER_CANCEL_REASONS: dict[str, LazyString] = {
    "001": lazy_gettext("The price of an item changed"),
    "003": lazy_gettext("Product available at a lower price"),
    "006": lazy_gettext("Not delivered in the promised time"),
    "009": lazy_gettext("Wrong delivery address"),
    "010": lazy_gettext("Buyer wants to change the address or other details"),
    "012": lazy_gettext("Buyer does not want the product any more"),
    "999": lazy_gettext("Order confirmation failure"),
}
# Who did something in an order's story, as the subject of a sentence about a past act ("%(who)s %(did)s").
# Translators: the subject of a finished act; in Hindi with ने (आपने, संचालक ने).
WHO: dict[str, LazyString] = {
    "you": lazy_pgettext("who did it", "You"),
    "operator": lazy_pgettext("who did it", "The operator"),
    "adapter": lazy_pgettext("who did it", "The adapter"),
    "buyer": lazy_pgettext("who did it", "The buyer app"),
    "cooperative": lazy_pgettext("who did it", "The cooperative"),
    "marketplace": lazy_pgettext("who did it", "The marketplace"),
    "courier": lazy_pgettext("who did it", "The courier"),
}
# What was done to an order, by the kind of its history entry (adapter.orders: seller moves, returns, RTO),
# following a WHO: "You" + "marked it packed".
DEEDS: dict[str, LazyString] = {
    "accepted": lazy_pgettext("what was done", "accepted the order"),
    "reject": lazy_pgettext("what was done", "rejected the order"),
    "cancelled": lazy_pgettext("what was done", "cancelled the order"),
    "part_cancel": lazy_pgettext("what was done", "cancelled part of the order"),
    "pack": lazy_pgettext("what was done", "marked it packed"),
    "assign_agent": lazy_pgettext("what was done", "noted that a courier was assigned"),
    "out_for_pickup": lazy_pgettext("what was done", "noted that the courier is on the way to pick it up"),
    "at_pickup": lazy_pgettext("what was done", "noted that the courier is at the workshop"),
    "pickup_failed": lazy_pgettext("what was done", "noted that the pick-up failed"),
    "pick_up": lazy_pgettext("what was done", "marked it picked up by the courier"),
    "ship": lazy_pgettext("what was done", "marked it shipped"),
    "at_destination_hub": lazy_pgettext("what was done", "noted that it reached the buyer's city hub"),
    "out_for_delivery": lazy_pgettext("what was done", "marked it out for delivery"),
    "at_delivery": lazy_pgettext("what was done", "noted that the courier is at the buyer's door"),
    "delivery_failed": lazy_pgettext("what was done", "noted that the delivery failed"),
    "deliver": lazy_pgettext("what was done", "marked it delivered"),
    "approve_return": lazy_pgettext("what was done", "approved the return"),
    "reject_return": lazy_pgettext("what was done", "rejected the return"),
    "return_picked": lazy_pgettext("what was done", "noted that the return was picked up"),
    "return_delivered": lazy_pgettext("what was done", "received the returned items"),
    "liquidate": lazy_pgettext("what was done", "wrote off the returned items (not sent back)"),
    "rto_initiated": lazy_pgettext("what was done", "sent the order back to the workshop (not delivered)"),
    "rto_delivered": lazy_pgettext("what was done", "got the order back at the workshop"),
    "rto_disposed": lazy_pgettext("what was done", "noted that the courier disposed of the order"),
    "settlement_update": lazy_pgettext("what was done", "sent the settlement details"),
    "shipment_init": lazy_pgettext("what was done", "got the request to book the parcel"),
    "shipment_booked": lazy_pgettext("what was done", "booked the parcel"),
    "shipment_failed": lazy_pgettext("what was done", "said the parcel could not be booked"),
    "book_courier": lazy_pgettext("what was done", "asked the courier to book it again"),
    "courier_charge": lazy_pgettext("what was done", "charged extra for the weight"),
}
# A buyer app's request, as one line of an order's story (its answer follows: "· answered ✓").
REQUESTS: dict[str, LazyString] = {
    "search": lazy_gettext("The buyer app looked at your catalogue"),
    "select": lazy_gettext("The buyer app asked for a price"),
    "init": lazy_gettext("The buyer app sent the buyer's billing and delivery details"),
    "confirm": lazy_gettext("The buyer app sent the order again"),
    "status": lazy_gettext("The buyer app asked for the order's status"),
    "track": lazy_gettext("The buyer app asked where the parcel is"),
    "cancel": lazy_gettext("The buyer app asked to cancel the order; it was not cancelled"),
    "update": lazy_gettext("The buyer app asked to change the order; nothing was changed"),
    "rating": lazy_gettext("The buyer rated the order"),
    "support": lazy_gettext("The buyer app asked for your contact details"),
    "issue": lazy_gettext("The buyer raised a complaint"),
    "issue_status": lazy_gettext("The buyer app asked about a complaint"),
}
# An update we sent that no history entry explains (an operator's replay, a marketplace's status update).
UPDATES: dict[str, LazyString] = {
    "on_status": lazy_gettext("The buyer app was sent the order's status"),
    "on_update": lazy_gettext("The buyer app was sent a change to the order"),
    "on_cancel": lazy_gettext("The buyer app was told the order is cancelled"),
    "status_update": lazy_gettext("The marketplace was sent the order's status"),
}

# What an order's history records (adapter.orders: add_event's kinds); a seller action is named as its button.
EVENTS: dict[str, LazyString] = {
    "confirmed": lazy_pgettext("order event", "Order placed by the buyer"),
    "accepted": lazy_pgettext("order event", "Accepted"),
    "cancelled": lazy_pgettext("order event", "Cancelled"),
    "part_cancel": lazy_pgettext("order event", "Part of the order cancelled"),
    "return_requested": lazy_pgettext("order event", "Buyer asked to return"),
    "rto_initiated": lazy_pgettext("order event", "Coming back (not delivered)"),
    "settlement_update": lazy_pgettext("order event", "Payment settlement updated"),
    "pulled": lazy_pgettext("order event", "Order fetched from the marketplace"),
    "shipment_init": lazy_pgettext("order event", "Courier asked to book the parcel"),
    "shipment_booked": lazy_pgettext("order event", "Courier booked"),
    "shipment_failed": lazy_pgettext("order event", "Courier could not be booked"),
    "courier_charge": lazy_pgettext("order event", "Courier charged extra for the weight"),
}
# Who did it, when it is not a cooperative or a buyer app (those are named by their ids).
ACTORS: dict[str, LazyString] = {"operator": lazy_gettext("operator (admin)")}
# The network messages of an order, named for a member (the operator's pages show the protocol's name too).
MESSAGES: dict[str, LazyString] = {
    "select": lazy_pgettext("network message", "Buyer chose items"),
    "init": lazy_pgettext("network message", "Buyer gave delivery and billing details"),
    "confirm": lazy_pgettext("network message", "Buyer placed the order"),
    "status": lazy_pgettext("network message", "Buyer app asked for the status"),
    "track": lazy_pgettext("network message", "Buyer app asked for tracking"),
    "cancel": lazy_pgettext("network message", "Buyer asked to cancel"),
    "update": lazy_pgettext("network message", "Buyer app sent a change"),
    "rating": lazy_pgettext("network message", "Buyer rated the order"),
    "support": lazy_pgettext("network message", "Buyer app asked for support details"),
    "issue": lazy_pgettext("network message", "Buyer raised a complaint"),
    "on_select": lazy_pgettext("network message", "Price and availability sent"),
    "on_init": lazy_pgettext("network message", "Order terms sent"),
    "on_confirm": lazy_pgettext("network message", "Order confirmation sent"),
    "on_status": lazy_pgettext("network message", "Order status sent to the buyer app"),
    "on_track": lazy_pgettext("network message", "Tracking details sent"),
    "on_cancel": lazy_pgettext("network message", "Cancellation sent to the buyer app"),
    "on_update": lazy_pgettext("network message", "Order change sent to the buyer app"),
    "on_rating": lazy_pgettext("network message", "Rating acknowledged"),
    "on_support": lazy_pgettext("network message", "Support details sent"),
    "on_issue": lazy_pgettext("network message", "Complaint answer sent"),
}
# Statuses of network messages (adapter/store/models.py: inbound requests, outbox rows, delivery attempts).
MESSAGE_WORDS: dict[str, LazyString] = {
    "in": lazy_pgettext("message direction", "in"),
    "out": lazy_pgettext("message direction", "out"),
    "received": lazy_pgettext("message", "Received"),
    "enqueued": lazy_pgettext("message", "Queued"),
    "processing": lazy_pgettext("message", "Being handled"),
    "processed": lazy_pgettext("message", "Handled"),
    "waiting": lazy_pgettext("message", "Waiting for courier quotes"),
    "ignored": lazy_pgettext("message", "Ignored"),
    "failed": lazy_pgettext("message", "Failed"),
    "expired": lazy_pgettext("message", "Too late (ttl expired)"),
    "nacked": lazy_pgettext("message", "Refused (NACK)"),
    "pending": lazy_pgettext("message", "Waiting to be sent"),
    "sent": lazy_pgettext("message", "Delivered"),
    "dead": lazy_pgettext("message", "Not delivered (dead letter)"),
    "retry": lazy_pgettext("message", "Will be tried again"),
    "unknown": lazy_pgettext("message", "Result lost"),
}
# The verdict on an inbound request's signature (adapter.protocol.receive).
SIGNATURES: dict[str, LazyString] = {
    "ok": lazy_pgettext("signature", "valid"),
    "missing": lazy_pgettext("signature", "missing"),
    "expired": lazy_pgettext("signature", "expired"),
    "not-yet-valid": lazy_pgettext("signature", "not valid yet"),
    "mismatch": lazy_pgettext("signature", "does not match the message"),
    "malformed": lazy_pgettext("signature", "malformed"),
    "unknown-key": lazy_pgettext("signature", "key not in the registry"),
    "wrong-subscriber": lazy_pgettext("signature", "signed by another subscriber"),
    "gateway-missing": lazy_pgettext("signature", "gateway signature missing"),
}
# A sync job's figures (catalog_sync.services.sync).
COUNTS: dict[str, LazyString] = {
    "items": lazy_pgettext("sync figure", "Items checked"),
    "changed": lazy_pgettext("sync figure", "Items changed"),
    "pushed": lazy_pgettext("sync figure", "Messages sent"),
    "subscribers": lazy_pgettext("sync figure", "Buyer apps subscribed"),
    "items_seen": lazy_pgettext("sync figure", "Items in the source"),
    "source_version": lazy_pgettext("sync figure", "Catalogue version made from the source"),
    "source_attempts": lazy_pgettext("sync figure", "Tries to reach the source"),
}
# Errors the layers below the console raise in English (catalog_sync, adapter.delivery, adapter.orders), as
# patterns and the msgid that says them; like catalog_sync/report_hi.py, an unknown one stays as raised.
_ERRORS: tuple[tuple[re.Pattern[str], LazyString], ...] = tuple((re.compile(pattern), message) for pattern, message in (
    (r"^there is no earlier catalogue version to go back to$",
     lazy_gettext("There is no earlier catalogue to go back to.")),
    (r"^outbox message (?P<id>\d+) was already delivered$",
     lazy_gettext("Message %(id)s was already delivered: it is not sent again.")),
    (r"^outbox message (?P<id>\d+) is being sent right now",
     lazy_gettext("Message %(id)s is being sent right now: wait for that attempt to end.")),
    (r"^outbox message (?P<id>\d+) may already have reached the buyer app",
     lazy_gettext('Message %(id)s may already have reached the buyer app: use "Send again anyway" to send it.')),
    (r"^stock must be a whole number from 0 to (?P<max>[\d,]+)$",
     lazy_gettext("Stock must be a whole number from 0 to %(max)s.")),
    (r"^(?P<field>price|mrp) must be a number like 450 or 450.50$",
     lazy_gettext("%(field)s must be a number like 450 or 450.50.")),
    (r"^a one-of-a-kind piece has stock 0 or 1, not (?P<n>\d+)$",
     lazy_gettext("A one-of-a-kind piece has stock 0 or 1, not %(n)s.")),
    (r"^mrp \((?P<m>[\d.]+)\) is lower than price \((?P<p>[\d.]+)\)",
     lazy_gettext("The MRP (%(m)s) is lower than the price (%(p)s): the MRP must be at least the price.")),
    (r"^until must be on or after from$", lazy_gettext("the last closed day must be on or after the first.")),
    (r"^Not a valid date\.$", lazy_gettext("that is not a date.")),
    (r"^cancelled by an operator$", lazy_gettext("Cancelled by an operator.")),
    (r"^there is no failed courier booking for this order to try again$",
     lazy_gettext("There is no failed courier booking to try again.")),
    (r"^the order has moved on: ship it with the delivery buttons$",
     lazy_gettext("The order has moved on: ship it with the delivery buttons.")),
    (r"^the order's courier quote is no longer kept: ship it with the delivery buttons$",
     lazy_gettext("The courier's quote for this order is no longer kept: ship it with the delivery buttons.")),
    (r"^source has errors \((?P<n>\d+) problem\(s\)\); the last good version stays live$",
     lazy_gettext("The sheet at the source has %(n)s problem(s): nothing was imported, and buyer apps keep the "
                  "last good catalogue.")),
))


def error_text(message: str) -> str:
    """An error raised in English below the console, in the reader's language (as raised when unknown)."""
    for pattern, text in _ERRORS:
        match = pattern.match(message)
        if match:
            return str(text) % match.groupdict() if match.groupdict() else str(text)
    return validation_fix(message)


def event_label(kind: str) -> str:
    """An entry of an order's history: what happened (a seller action by its button's words)."""
    label = EVENTS.get(kind)
    return str(label) if label is not None else action_label(kind)


def actor_label(actor: str) -> str:
    """Who did it: the operator in words, a cooperative or buyer app by its id."""
    label = ACTORS.get(actor)
    return str(label) if label is not None else actor


def message_label(action: str) -> str:
    """A network message of an order, in words (the protocol's name when there are none)."""
    label = MESSAGES.get(action)
    return str(label) if label is not None else action


def message_word(word: str | None) -> str:
    """A message's status or direction, or a delivery attempt's outcome, in words."""
    label = MESSAGE_WORDS.get(word or "")
    return str(label) if label is not None else (word or "")


def signature_label(verdict: str | None) -> str:
    """An inbound request's signature verdict in words."""
    label = SIGNATURES.get(verdict or "")
    return str(label) if label is not None else (verdict or "")


def count_label(key: str) -> str:
    """A sync job's figure, named."""
    label = COUNTS.get(key)
    return str(label) if label is not None else key


def state_label(state: str | None) -> str:
    """A state in the reader's language (the state itself when it has no label)."""
    label = STATES.get(state or "")
    return str(label) if label is not None else (state or "")


def sync_label(word: str | None) -> str:
    """A sync job's state, kind or step in the reader's language (the word itself when it has no label)."""
    label = SYNC_WORDS.get(word or "")
    return str(label) if label is not None else (word or "")


def action_label(action: str) -> str:
    """A button label for an order action."""
    label = ACTIONS.get(action)
    return str(label) if label is not None else action.replace("_", " ")


def reason_texts(reasons: dict[str, LazyString]) -> dict[str, str]:
    """A table of reasons (code -> text) in the reader's language."""
    return {code: str(text) for code, text in reasons.items()}


def delivery_error(reason: str | None) -> str:
    """A delivery failure in words the operator's language has (the recorded text is shown beside it)."""
    if not reason:
        return ""
    lowered = reason.lower()
    for needles, message, _short in _DELIVERY_ERRORS:
        if any(needle.lower() in lowered for needle in needles):
            return str(message)
    return reason


def delivery_reason(reason: str | None) -> str:
    """Why a message has not reached the buyer app, in a few words for a member ("its server did not answer")."""
    lowered = (reason or "").lower()
    for needles, _message, short in _DELIVERY_ERRORS:
        if any(needle.lower() in lowered for needle in needles):
            return str(short)
    return str(pgettext("why not delivered", "the delivery failed"))


# A shipment booked with a courier (adapter.orders.courier_booking), as the member reads it.
SHIPMENT_STATES: dict[str, LazyString] = {
    "init-sent": lazy_pgettext("shipment", "Asking the courier to book it"),
    "confirm-sent": lazy_pgettext("shipment", "Confirming the booking"),
    "booked": lazy_pgettext("shipment", "Booked"),
    "cancel-sent": lazy_pgettext("shipment", "Cancelling with the courier"),
    "cancelled": lazy_pgettext("shipment", "Cancelled with the courier"),
    "failed": lazy_pgettext("shipment", "The courier could not book it"),
}


def shipment_label(state: str | None) -> str:
    """A shipment's state in the reader's language (the code itself when it has no label)."""
    return label(SHIPMENT_STATES, state) or (state or "")


def label(table: dict[str, LazyString], code: str | None) -> str | None:
    """A code's words from one of these tables, in the reader's language (None when the table lacks it)."""
    found = table.get(code or "")
    return str(found) if found is not None else None


def validation_fix(message: str) -> str:
    """A validation report message in the reader's language (English where the catalogue has no translation)."""
    return localise(message, gettext)


__all__ = [
    "BUYER_CANCEL_REASONS", "CANCEL_REASONS", "DEEDS", "REQUESTS", "RETURN_REASONS", "RTO_REASONS", "UPDATES", "WHO",
    "action_label", "actor_label", "count_label", "current_language", "delivery_error", "delivery_reason",
    "error_text", "event_label", "label", "message_label", "message_word", "reason_texts", "signature_label",
    "state_label", "sync_label", "validation_fix",
]

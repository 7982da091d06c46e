"""Courier catalogues read into quotes, from the spec's own on_search examples, and the choice by policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapter.logistics.quotes import CourierQuote, choose, read_quotes
from adapter.protocol.messages import validation_errors
from tests.logistics.conftest import example, examples, schema_errors


def quotes_in(name: str) -> list[CourierQuote]:
    payload = example(name)
    context = payload["context"]
    return read_quotes(payload["message"], bpp_id=context["bpp_id"], bpp_uri=context["bpp_uri"])


@pytest.mark.parametrize("name", examples("on_search"))
def test_every_spec_example_passes_our_checks_and_its_openapi(name: str) -> None:
    payload = example(name)
    assert validation_errors("on_search", payload) == []  # what the webhook checks before its ACK
    assert schema_errors(payload["context"]["domain"], "on_search", payload) == []


@pytest.mark.parametrize(("name", "expected"), [
    # The forward leg only: the RTO quote beside it (parent I1, an RTO fulfilment) is not a delivery price.
    ("LOG10_ORDER_FLOW_BASE_LINE.on_search", [("I1", "Standard Delivery", "59.00", "P2D")]),
    ("LOG11_ORDER_FLOW_BASE_LINE.on_search", [("I1", "Express Delivery", "59.00", "P3D")]),
    # A surge item is added to the base price; a COD fee is not (prepaid orders only here).
    ("LOG10_SURGE_FEE_FLOW.on_search", [("I1", "Standard Delivery", "70.00", "P2D")]),
    ("LOG10_CASH_ON_DELIVERY_FLOW.on_search", [("I1", "Standard Delivery", "59.00", "P2D")]),
    # Its PT60M, in the shortest form.
    ("LOG10_IMMEDIATE_DELIVERY_FLOW_CONFIRM_DEV_PORTAL.on_search", [("I1", "Immediate Delivery", "70.00", "PT1H")]),
    # Rate cards (weight slabs, distance bands) and a Return-only catalogue quote no delivery of this parcel.
    ("LOG10_RATE_CARD__P2P.on_search", []),
    ("LOG11_RATE_CARD__P2H2P.on_search", []),
    ("LOG11_REVERSE_QC.on_search", []),
])
def test_quotes_are_read_from_the_spec_examples(name: str, expected: list[tuple[str, str, str, str]]) -> None:
    quotes = quotes_in(name)
    assert [(q.item_id, q.category, f"{q.price:.2f}", q.tat) for q in quotes] == expected
    for quote in quotes:
        assert (quote.bpp_id, quote.provider_id, quote.provider_name) == (
            "staging-automation.ondc.org", "P1", "LSP Courier Inc")
        assert quote.bpp_uri.endswith("/seller")
        assert CourierQuote.from_dict(quote.to_dict()) == quote


def test_the_tat_falls_back_to_the_category_and_unreadable_items_are_left_out() -> None:
    message = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")["message"]
    provider = message["catalog"]["bpp/providers"][0]
    first = provider["items"][0]
    del first["time"]  # the category's TAT (P3D) applies
    provider["items"].append({**first, "id": "dollars", "price": {"currency": "USD", "value": "1"}})
    provider["items"].append({**first, "id": "free-text", "price": {"currency": "INR", "value": "cheap"}})
    provider["items"].append({**first, "id": "no-tat", "category_id": "Unknown"})
    quotes = read_quotes(message, bpp_id="c.example", bpp_uri="https://c.example/log")
    assert [(q.item_id, q.tat) for q in quotes] == [("I1", "P3D")]


@pytest.mark.parametrize(("tat", "read"), [
    ("PT72H", "P3D"), ("PT90M", "PT1H30M"), ("P1DT2H", "P1DT2H"), ("PT0.5S", "PT1S"), ("PT2592000S", "P30D"),
    ("P31D", None), ("P99999999D", None), ("P9999999999999D", None), ("PT1.5H", None),
])
def test_a_tat_is_read_in_the_form_the_order_flows_take_and_an_absurd_one_not_at_all(tat: str,
                                                                                     read: str | None) -> None:
    """The TAT is added to the items' time to ship for on_select; a courier's P99999999D used to fail the select
    (30000 to the buyer app), and P9999999999999D the whole answer (OverflowError)."""
    from adapter.orders.delivery_terms import parse_duration

    message = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")["message"]
    provider = message["catalog"]["bpp/providers"][0]
    provider["items"][0]["time"]["duration"] = tat
    provider["categories"] = []  # no category TAT to fall back on
    quotes = read_quotes(message, bpp_id="c.example", bpp_uri="https://c.example/log")
    assert [q.tat for q in quotes if q.item_id == "I1"] == ([read] if read else [])
    for quote in quotes:
        parse_duration(quote.tat)


def test_ids_too_long_for_a_booking_are_left_out() -> None:
    """The chosen quote's ids are kept on the shipment when the order is accepted: a 300-character item id failed
    that insert on PostgreSQL, in the retail confirm (auto-accept) or the member's accept."""
    message = example("LOG11_ORDER_FLOW_BASE_LINE.on_search")["message"]
    provider = message["catalog"]["bpp/providers"][0]
    provider["items"][0]["id"] = "I" * 256
    assert [q.item_id for q in read_quotes(message, bpp_id="c", bpp_uri="u") if q.item_id.startswith("II")] == []
    provider["items"][0]["id"], provider["id"] = "I1", "P" * 256
    assert read_quotes(message, bpp_id="c", bpp_uri="u") == []


def test_an_error_answer_or_junk_quotes_nothing() -> None:
    assert read_quotes({}, bpp_id="c", bpp_uri="u") == []
    assert read_quotes({"catalog": {"bpp/providers": ["junk", {"items": "x"}]}}, bpp_id="c", bpp_uri="u") == []


def quote(bpp: str, price: str, tat: str, provider: str = "P1") -> CourierQuote:
    return CourierQuote(bpp_id=bpp, bpp_uri=f"https://{bpp}/log", provider_id=provider, provider_name=bpp,
                        item_id="I1", category="Standard Delivery", price=Decimal(price), tat=tat)


OFFERS = [quote("a.example", "90", "P4D"), quote("b.example", "60", "P5D"), quote("c.example", "60", "P3D"),
          quote("d.example", "150", "P1D")]


@pytest.mark.parametrize(("policy", "preferred", "winner"), [
    ("cheapest", (), "c.example"),  # 60 twice: the faster of the two
    ("fastest", (), "d.example"),
    ("cheapest", ("a.example",), "a.example"),  # a preferred courier that quoted wins over cheaper ones
    ("fastest", ("a.example", "b.example"), "a.example"),
    ("cheapest", ("nobody.example",), "c.example"),  # preferred couriers that did not quote: everyone competes
    ("cheapest", ("P9",), "a.example"),  # matched by provider id too
])
def test_the_policy_picks(policy: str, preferred: tuple[str, ...], winner: str) -> None:
    offers = [*OFFERS[:1], quote("a.example", "95", "P4D", provider="P9"), *OFFERS[1:]] if "P9" in preferred \
        else OFFERS
    chosen = choose(offers, policy=policy, preferred=preferred)
    assert chosen is not None
    assert chosen.bpp_id == winner
    if "P9" in preferred:
        assert chosen.provider_id == "P9"


def test_no_quotes_no_choice_and_an_unknown_policy_is_a_bug() -> None:
    assert choose([], policy="cheapest") is None
    with pytest.raises(ValueError, match="nearest"):
        choose(OFFERS, policy="nearest")

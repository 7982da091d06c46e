"""Buyer apps' catalogue rejections: paths read, traced to the cooperative, the item, its row and its column."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapter.orders import inbound
from adapter.orders.policy import order_policy
from adapter.protocol.context import format_timestamp
from adapter.store import rejections as rejection_store
from adapter.store.db import transaction
from adapter.store.models import CatalogueRejection, Cooperative, InboundMessage, OutboxMessage
from catalog_sync.rejections import FIXES, GENERIC_FIX, REASONS, Target, column_for, explain, locate, parse_path
from catalog_sync.services import catalogue as catalogues
from config import Settings
from tests.catalog_sync.hindi import hindi
from tests.support.network import BUYER_ID, SELLER_ID, Network, search_body
from tests.support.sellers import RET16_CSV, make_seller

# -- reading paths (pure) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "provider", "item", "column"), [
    ("bpp/providers/0/items/4/price/value", (None, 0), (None, 4), "price"),
    ("message.catalog['bpp/providers'][0].items[4].price.maximum_value", (None, 0), (None, 4), "mrp"),
    ("/message/catalog/bpp~1providers/1/items/0/descriptor/images/2", (None, 1), (None, 0), "images"),
    ("message.catalog.bpp/providers[?(@.id==P1)].items[?(@.id=='I5')].quantity.available.count",
     ("P1", None), ("I5", None), "stock"),
    ("message.catalog.bpp/providers[?(@.id=='kinnaur')].items[?(@.id==\"KS-2\")].tags[?(@.code=='attribute')]"
     ".list[?(@.code=='material')].value", ("kinnaur", None), ("KS-2", None), "material"),
    ("bpp/providers.0.items.2.@ondc/org/statutory_reqs_packaged_commodities.imported_product_country_of_origin",
     (None, 0), (None, 2), "country_of_origin"),
    ("bpp/providers/0/locations/0/gps", (None, 0), (None, None), "profile.locations.gps"),
    ("bpp/providers/0/items/3/@ondc/org/returnable", (None, 0), (None, 3), "returnable"),
])
def test_paths_in_every_spelling_name_the_provider_the_item_and_the_column(
        path: str, provider: tuple[Any, Any], item: tuple[Any, Any], column: str) -> None:
    target = parse_path(path)
    assert (target.provider_id, target.provider_index) == provider
    assert (target.item_id, target.item_index) == item
    assert column_for("91017", target) == column


def test_without_a_path_the_code_names_the_column() -> None:
    assert column_for("91001", parse_path(None)) == "price"
    assert column_for("91003", parse_path("")) == "images"
    assert column_for("90014", parse_path("bpp/providers/0")) == "profile.locations.gps"
    assert column_for("92005", parse_path("")) is None


def test_every_code_has_hindi_and_a_known_kind() -> None:
    assert len(REASONS) >= 60
    for code, reason in REASONS.items():
        assert reason.kind in {"PROVIDER-ERROR", "ITEM-ERROR", "BPP-ERROR", "INTEGRATION-ERROR"}, code
        assert any("\u0900" <= ch <= "\u097f" for ch in hindi().gettext(reason.en)), code
    for fix in [*FIXES.values(), *GENERIC_FIX.values()]:
        assert any("\u0900" <= ch <= "\u097f" for ch in hindi().gettext(fix)), fix


def test_explanations_in_english_and_hindi() -> None:
    meaning, fix = explain("91001", "ITEM-ERROR", "price")
    assert meaning == "Item price is higher than its MRP"
    assert "mrp" in fix
    meaning_hi, fix_hi = explain("91001", "ITEM-ERROR", "price", hindi().gettext)
    assert "MRP" in meaning_hi
    assert "price" in fix_hi
    assert fix_hi != fix
    unknown, generic = explain("99999", None, None)
    assert "99999" in unknown
    assert "spreadsheet" in generic
    assert "colour" in explain("91017", "ITEM-ERROR", "colour")[1]
    assert "ऑपरेटर" in explain("90001", "PROVIDER-ERROR", None, hindi().gettext)[1]
    unknown_hi, column_hi = explain("99999", None, "colour", hindi().gettext)
    assert unknown_hi == "कोड 99999: खरीदार ऐप का विवरण देखें"
    assert column_hi.startswith("इस पंक्ति का colour कॉलम देखें।")


def _answer(provider: str, *items: str) -> dict[str, Any]:
    return {"message": {"catalog": {"bpp/providers": [{"id": provider, "items": [{"id": i} for i in items]}]}}}


def test_positions_are_read_in_the_answer_they_index() -> None:
    answers = [_answer("chamba", "CR-1", "CR-2"), _answer("kangra", "KT-1")]
    by_id = locate(parse_path("bpp/providers[?(@.id==kangra)].items[?(@.id==KT-1)]"), answers)
    assert (by_id.answer, by_id.provider_id, by_id.item_id) == (1, "kangra", "KT-1")
    # Only the first answer has an item at position 1.
    assert locate(parse_path("bpp/providers/0/items/1"), answers).answer == 0
    # Position 0 fits both: the buyer app's message names the item.
    assert locate(parse_path("bpp/providers/0/items/0"), answers, "Item KT-1: price > MRP").item_id == "KT-1"
    unknown = locate(parse_path("bpp/providers/0/items/0"), answers, "price > MRP")
    assert unknown.answer is None
    assert locate(Target(provider_id="nobody"), answers).answer is None


def test_a_position_is_never_overridden_by_an_id_the_message_names_elsewhere() -> None:
    answers = [_answer("coop-a", "SH-00", "SH-01", "SH-02", "SH-03", "SH-04"),
               _answer("coop-b", "1", "2", "3", "4", "5")]
    # Item 4 of provider 0: "SH-04" or "5". The message names "1", an item at another position: not decisive.
    assert locate(parse_path("bpp/providers/0/items/4"), answers, "Price wrong for 1 item").answer is None
    assert locate(parse_path("bpp/providers/0/items/4"), answers, "Price wrong for SH-04").item_id == "SH-04"
    # Without any item in the path, the message may name one anywhere.
    assert locate(parse_path("bpp/providers/0"), answers, "see item 3").item_id == "3"


def test_pages_or_pushes_of_one_cooperative_are_not_ambiguous() -> None:
    answers = [_answer("coop-a", "X-1"), _answer("coop-a", "X-1", "X-2")]
    target = parse_path("bpp/providers[?(@.id==coop-a)].items[?(@.id==X-1)]")
    assert locate(target, answers).answer is None
    same = locate(target, answers, owners=[7, 7])
    assert (same.answer, same.item_id) == (0, "X-1")
    assert locate(target, answers, owners=[7, 8]).answer is None


@pytest.mark.parametrize("path", [
    "bpp/providers[?(@.id==" + " " * 1978,
    "message.catalog.bpp/providers[0].items[?(@.id==" + " a" * 985,
    "bpp/providers[?(@.id=='" + "x" * 1970,
    "bpp/providers" + "[0" * 600,
    "items/" * 330,
])
def test_hostile_paths_name_nothing(path: str) -> None:
    """Paths a buyer app could send to make the reader backtrack (2,000 characters of them) just name nothing."""
    target = parse_path(path)
    assert target.provider_id is None
    assert target.item_id is None


# -- stored and traced (real database) ----------------------------------------------------------------------------

def _search(sessions: sessionmaker[Session], settings: Settings, transaction_id: str) -> None:
    """A full search answered by the real handler: one on_search per cooperative in the outbox."""
    now = dt.datetime.now(dt.UTC)
    body = search_body(transaction_id=transaction_id, city="std:0177")
    with transaction(sessions) as session:
        row = InboundMessage(bap_id=BUYER_ID, action="search", message_id=str(uuid.uuid4()),
                             transaction_id=transaction_id, body=body, headers={}, status="processing")
        session.add(row)
        session.flush()
        inbound.dispatch(session, row, order_policy(settings), now)


def _reject(sessions: sessionmaker[Session], settings: Settings, transaction_id: str,
            errors: list[dict[str, Any]]) -> list[CatalogueRejection]:
    now = dt.datetime.now(dt.UTC)
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "std:0177", "action": "catalog_rejection",
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "http://127.0.0.1:9/buyer",
               "bpp_id": SELLER_ID, "bpp_uri": "http://127.0.0.1:9/ondc", "transaction_id": transaction_id,
               "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(now)}
    with transaction(sessions) as session:
        row = InboundMessage(bap_id=BUYER_ID, action="catalog_rejection", message_id=context["message_id"],
                             transaction_id=transaction_id, body=orjson.dumps({"context": context, "errors": errors}),
                             headers={}, status="processing")
        session.add(row)
        session.flush()
        result = inbound.dispatch(session, row, order_policy(settings), now)
        assert result.outbox == []  # a rejection has no callback
        found = list(session.scalars(select(CatalogueRejection).where(CatalogueRejection.inbound_id == row.id)
                                     .order_by(CatalogueRejection.id)))
        session.expunge_all()
    return found


def test_a_rejection_is_traced_to_the_cooperative_item_row_and_column(
        sessions: sessionmaker[Session], settings: Settings) -> None:
    first = make_seller(sessions, "coop-a")
    second = make_seller(sessions, "coop-b")
    transaction_id = str(uuid.uuid4())
    _search(sessions, settings, transaction_id)
    with sessions() as session:
        sent = session.scalars(select(OutboxMessage.cooperative_id).where(
            OutboxMessage.transaction_id == transaction_id)).all()
    assert sorted(sent) == sorted([first, second])
    found = _reject(sessions, settings, transaction_id, [
        {"code": "91001", "type": "ITEM-ERROR", "message": "Item price > MRP",
         "path": "message.catalog.bpp/providers[?(@.id==coop-b)].items[?(@.id==T16-3)].price.value"},
        {"code": "91003", "type": "ITEM-ERROR", "message": "No images for T16-2",
         "path": "bpp/providers/0/items/1"},  # both answers have a provider 0: the message names the item...
        {"code": "91005", "type": "ITEM-ERROR", "message": "Low quality image",
         "path": "bpp/providers/0/items/1/descriptor/images/0"},  # ...and here nothing decides
        {"code": "90014", "type": "PROVIDER-ERROR", "message": "Invalid latitude",
         "path": "message.catalog.bpp/providers[?(@.id==coop-a)].locations[0].gps"},
    ])
    assert [(r.code, r.cooperative_id, r.item_id, r.row, r.column) for r in found] == [
        ("91001", second, "T16-3", 4, "price"),  # the header is row 1: T16-3 is the third item, row 4
        ("91003", None, None, None, "images"),  # T16-2 is in both answers (the test catalogues are the same)
        ("91005", None, None, None, "images"),
        ("90014", first, None, None, "profile.locations.gps"),
    ]
    assert found[0].version_number == 1
    assert found[0].message == "Item price > MRP"


def test_a_buyer_app_cannot_post_into_a_cooperative_it_was_never_sent(
        sessions: sessionmaker[Session], settings: Settings) -> None:
    seen = make_seller(sessions, "coop-a")
    _search(sessions, settings, str(uuid.uuid4()))  # this buyer app has had coop-a's catalogue
    make_seller(sessions, "coop-c")  # ... and never coop-c's
    reasons = [{"code": "91002", "type": "ITEM-ERROR", "message": f"Restricted words\x00 in T16-1 of {slug}",
                "path": f"message.catalog.bpp/providers[?(@.id=={slug})].items[?(@.id==T16-1)].descriptor.name"}
               for slug in ("coop-a", "coop-c")]
    # A transaction in which we sent nothing: only the provider id in the path can name the cooperative.
    found = _reject(sessions, settings, str(uuid.uuid4()), reasons)
    assert [(r.cooperative_id, r.item_id, r.column) for r in found] == [(seen, "T16-1", "name"),
                                                                         (None, "T16-1", "name")]
    assert found[0].message == "Restricted words in T16-1 of coop-a"  # no NUL: PostgreSQL refuses it in text


def test_rejections_through_the_webhook_and_the_api(
        client: FlaskClient, network: Network, sessions: sessionmaker[Session], settings: Settings,
        admin_headers: dict[str, str]) -> None:
    make_seller(sessions, "coop-a")
    transaction_id = str(uuid.uuid4())
    _search(sessions, settings, transaction_id)
    # The webhook: ACKed when well formed (no ttl needed), NACKed 30000 with the path otherwise.
    context = {"domain": "ONDC:RET16", "country": "IND", "city": "*", "action": "catalog_rejection",
               "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": "http://127.0.0.1:9/buyer",
               "bpp_id": SELLER_ID, "bpp_uri": "http://127.0.0.1:9/ondc", "transaction_id": transaction_id,
               "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(dt.datetime.now(dt.UTC))}
    bad = orjson.dumps({"context": context, "errors": [{"code": "911", "path": "x"}]})
    answer = client.post("/ondc/catalog_rejection", data=bad, content_type="application/json",
                         headers={"Authorization": network.buyer.sign(bad)})
    assert answer.status_code == 400
    assert answer.json["message"]["ack"]["status"] == "NACK"
    assert answer.json["error"]["code"] == "30000"
    assert answer.json["error"]["path"] == "errors[0].code"
    good = orjson.dumps({"context": context, "errors": [
        {"code": "91001", "type": "ITEM-ERROR", "message": "Item price > MRP",
         "path": "bpp/providers/0/items/1/price/value"}]})
    answer = client.post("/ondc/catalog_rejection", data=good, content_type="application/json",
                         headers={"Authorization": network.buyer.sign(good)})
    assert answer.json == {"message": {"ack": {"status": "ACK"}}}
    with transaction(sessions) as session:
        stored = session.scalars(select(InboundMessage).where(InboundMessage.action == "catalog_rejection",
                                                              InboundMessage.status == "received")).one()
        stored.status = "processing"
        inbound.dispatch(session, stored, order_policy(settings), dt.datetime.now(dt.UTC))
    listed = client.get("/api/v1/cooperatives/coop-a/catalogue/rejections", headers=admin_headers).json
    (one,) = listed["rejections"]
    assert (one["item_id"], one["row"], one["column"], one["code"]) == ("T16-2", 3, "price", "91001")
    assert one["meaning"] == "Item price is higher than its MRP"
    assert one["buyer_app"] == BUYER_ID
    in_hindi = client.get("/api/v1/cooperatives/coop-a/catalogue/rejections?lang=hi", headers=admin_headers).json
    assert in_hindi["rejections"][0]["meaning"] == hindi().gettext(REASONS["91001"].en) == "सामान की कीमत MRP से ज़्यादा है"
    refused = client.get("/api/v1/cooperatives/coop-a/catalogue/rejections?lang=fr", headers=admin_headers)
    assert refused.status_code == 422
    assert refused.json["error"]["message"] == "lang must be one of: en, hi"
    # Dismissed: off the open list, still in the whole history; another cooperative cannot see or dismiss it.
    other_key = _key(client, admin_headers, "coop-b")
    url = f"/api/v1/cooperatives/coop-a/catalogue/rejections/{one['id']}/dismiss"
    assert client.post(url, headers={"Authorization": f"Bearer {other_key}"}).status_code in (403, 404)
    assert client.post(url, headers=admin_headers).json["dismissed_at"] is not None
    assert client.get("/api/v1/cooperatives/coop-a/catalogue/rejections", headers=admin_headers).json == {
        "rejections": []}
    assert len(client.get("/api/v1/cooperatives/coop-a/catalogue/rejections?all=1",
                          headers=admin_headers).json["rejections"]) == 1
    assert client.post("/api/v1/cooperatives/coop-a/catalogue/rejections/999999/dismiss",
                       headers=admin_headers).status_code == 404
    assert client.get("/api/v1/catalogue-rejections", headers=admin_headers).json == {"rejections": []}
    assert client.get("/api/v1/catalogue-rejections",
                      headers={"Authorization": f"Bearer {other_key}"}).status_code == 403
    # One traced to nobody: the operator sees it and is the one who can mark it done.
    _reject(sessions, settings, str(uuid.uuid4()), [{"code": "92004", "type": "BPP-ERROR", "message": "bad domain"}])
    (orphan,) = client.get("/api/v1/catalogue-rejections", headers=admin_headers).json["rejections"]
    assert orphan["code"] == "92004"
    assert client.post(f"/api/v1/catalogue-rejections/{orphan['id']}/dismiss",
                       headers={"Authorization": f"Bearer {other_key}"}).status_code == 403
    assert client.post(f"/api/v1/catalogue-rejections/{orphan['id']}/dismiss",
                       headers=admin_headers).json["dismissed_at"] is not None
    assert client.get("/api/v1/catalogue-rejections", headers=admin_headers).json == {"rejections": []}


def _key(client: FlaskClient, admin_headers: dict[str, str], slug: str) -> str:
    answer = client.post("/api/v1/cooperatives", json={"slug": slug, "name": "Coop B"}, headers=admin_headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    key: str = answer.json["api_key"]
    return key


def test_the_same_items_uploaded_in_another_order_move_their_rows(sessions: sessionmaker[Session]) -> None:
    cooperative_id = make_seller(sessions, "coop-a")
    header, *lines = RET16_CSV.decode().strip().splitlines()
    reordered = "\n".join([header, *reversed(lines)]).encode()
    with transaction(sessions) as session:
        cooperative = session.get_one(Cooperative, cooperative_id)
        result = catalogues.import_catalogue(session, cooperative, reordered, "items.csv",
                                             catalogues.Limits(max_bytes=10_000_000, max_rows=10_000), source="test")
        assert not result.created  # nothing to push: the same items
    with sessions() as session:
        first_id = lines[0].split(",")[0]
        assert rejection_store.item_position(session, cooperative_id, first_id) == (len(lines) + 1, 1)

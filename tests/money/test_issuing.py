"""Tax invoices and credit notes on the real database: gapless numbers per financial year (also under
concurrency), one invoice per order at pick-up, credit notes for returns and for lines lost after pick-up."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.money import documents, gst, invoices
from adapter.money import store as money_store
from adapter.money.ledger import Rates
from adapter.orders import changes, invoicing
from adapter.orders import store as order_store
from adapter.orders.errors import IllegalTransitionError, InvalidReturnError, UpdateNotPossibleError
from adapter.orders.policy import OrderPolicy, order_policy
from adapter.orders.seller import seller_action
from adapter.store.db import make_engine, make_sessionmaker, transaction
from adapter.store.models import Cooperative, CreditNote, InvoiceCounter, Order, TaxInvoice
from config import Settings
from tests.money.support import make_gst_seller, make_order

D = Decimal
MAY = dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)


@pytest.fixture
def policy(settings: Settings) -> OrderPolicy:
    return order_policy(settings)


@pytest.fixture
def coop(sessions: sessionmaker[Session]) -> int:
    return make_gst_seller(sessions)


def move(sessions: sessionmaker[Session], pk: int, action: str, policy: OrderPolicy, now: dt.datetime = MAY,
         **params: str) -> None:
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        seller_action(session, order, action, policy, actor="test", now=now, params=params or None)


def invoice_row(sessions: sessionmaker[Session], pk: int) -> TaxInvoice:
    with sessions() as session:
        row = invoices.invoice_of(session, pk)
        assert row is not None
        return row


def notes_of(sessions: sessionmaker[Session], pk: int) -> list[CreditNote]:
    with sessions() as session:
        return list(session.scalars(select(CreditNote).where(CreditNote.order_pk == pk).order_by(CreditNote.id)))


# -- numbering ---------------------------------------------------------------------------------------------------

def test_pick_up_issues_the_invoice_with_the_tax_split(sessions: sessionmaker[Session], coop: int,
                                                       policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "GST-1")
    with sessions() as session:
        assert invoices.invoice_of(session, pk) is None  # packed: not yet supplied
    move(sessions, pk, "pick_up", policy)
    row = invoice_row(sessions, pk)
    doc = row.document
    assert (row.number, row.year, row.serial) == ("GSTC/26-27/00001", "2026-27", 1)
    assert doc["seller"]["gstin"] == "02AAAAA0000A1ZE"
    assert doc["place_of_supply"] == {"code": "02", "name": "Himachal Pradesh", "assumed": False}
    assert doc["intra_state"] is True
    by_ref = {(line["kind"], line["ref"]): line for line in doc["lines"]}
    # 2 x 1,200 at 5 %: 2,285.71 + 57.15 + 57.14; the large rumal (12 %) is the principal supply.
    assert by_ref[("item", "T16-1")] | {"title": ""} == {
        "kind": "item", "ref": "T16-1", "title": "", "quantity": 2, "hsn": "58109100", "rate": "5",
        "gross": "2400.00", "taxable": "2285.71", "cgst": "57.15", "sgst": "57.14", "igst": "0.00",
        "unit_price": "1200.00"}
    assert (by_ref[("delivery", "F1")]["rate"], by_ref[("delivery", "F1")]["hsn"]) == ("12", "63049239")
    assert by_ref[("packing", "F1")]["taxable"] == "17.86"
    assert doc["totals"]["gross"] == "5770.50"
    assert doc["complete"] is True
    with sessions() as session:
        assert session.get_one(Order, pk).quote["price"]["value"] == doc["totals"]["gross"]


def test_an_order_picked_up_twice_gets_one_number(sessions: sessionmaker[Session], coop: int,
                                                  policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "GST-2")
    move(sessions, pk, "pick_up", policy)
    with pytest.raises(IllegalTransitionError):
        move(sessions, pk, "pick_up", policy)
    with transaction(sessions) as session:  # a retried issue (a worker re-running the move) finds the first one
        order = session.get_one(Order, pk)
        again = invoicing.issue_invoice(session, order, session.get_one(Cooperative, order.cooperative_id), MAY)
        assert again.number == "GSTC/26-27/00001"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(TaxInvoice)) == 1
        counter = session.get_one(InvoiceCounter, (coop, "invoice", "2026-27"))
        assert counter.last == 1


def test_numbers_are_consecutive_and_start_again_on_1_april_ist(sessions: sessionmaker[Session], coop: int,
                                                                policy: OrderPolicy) -> None:
    last_march = dt.datetime(2026, 3, 31, 18, 29, 59, tzinfo=dt.UTC)  # 23:59:59 IST on 31 March
    first_april = dt.datetime(2026, 3, 31, 18, 30, tzinfo=dt.UTC)  # midnight IST
    moments = [last_march - dt.timedelta(hours=1), last_march, first_april, first_april + dt.timedelta(days=3)]
    pks = [make_order(sessions, coop, f"FY-{n}") for n in range(len(moments))]
    for pk, moment in zip(pks, moments, strict=True):
        move(sessions, pk, "pick_up", policy, now=moment)
    assert [invoice_row(sessions, pk).number for pk in pks] == [
        "GSTC/25-26/00001", "GSTC/25-26/00002", "GSTC/26-27/00001", "GSTC/26-27/00002"]


def test_a_rolled_back_issue_gives_its_number_back(sessions: sessionmaker[Session], coop: int) -> None:
    def fail_after_taking_a_number() -> None:
        with transaction(sessions) as session:
            assert invoices.next_serial(session, coop, "invoice", "2026-27") == 1
            raise RuntimeError("the move failed after the number was taken")

    with pytest.raises(RuntimeError, match="number was taken"):
        fail_after_taking_a_number()
    with transaction(sessions) as session:
        assert invoices.next_serial(session, coop, "invoice", "2026-27") == 1
        assert invoices.next_serial(session, coop, "invoice", "2026-27") == 2
        assert invoices.next_serial(session, coop, "credit_note", "2026-27") == 1  # a series of its own


def test_the_profile_names_the_series(sessions: sessionmaker[Session], policy: OrderPolicy) -> None:
    coop = make_gst_seller(sessions, "prefix-coop", invoice_prefix="chr")
    pk = make_order(sessions, coop, "PRE-1")
    move(sessions, pk, "pick_up", policy)
    assert invoice_row(sessions, pk).number == "CHR/26-27/000001"


THREADS = 8


def test_threads_taking_numbers_at_once_get_no_gap_and_no_duplicate(sessions: sessionmaker[Session],
                                                                    coop: int) -> None:
    start = threading.Barrier(THREADS)
    taken: list[int] = []
    errors: list[BaseException] = []

    def take() -> None:
        try:
            start.wait()
            with transaction(sessions) as session:
                taken.append(invoices.next_serial(session, coop, "invoice", "2026-27"))
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    workers = [threading.Thread(target=take) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    assert sorted(taken) == list(range(1, THREADS + 1))


def test_orders_picked_up_at_once_get_consecutive_invoices(sessions: sessionmaker[Session], coop: int,
                                                           policy: OrderPolicy) -> None:
    pks = [make_order(sessions, coop, f"RUSH-{n}") for n in range(THREADS)]
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def pick(pk: int) -> None:
        try:
            start.wait()
            move(sessions, pk, "pick_up", policy)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    workers = [threading.Thread(target=pick, args=(pk,)) for pk in pks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == []
    numbers = sorted(invoice_row(sessions, pk).number for pk in pks)
    assert numbers == [f"GSTC/26-27/{n:05d}" for n in range(1, THREADS + 1)]


def _take_in_process(url: str, cooperative_id: int, count: int, start: multiprocessing.synchronize.Barrier,
                     out: multiprocessing.queues.Queue[int]) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    start.wait()
    for _ in range(count):
        with transaction(factory) as session:
            out.put(invoices.next_serial(session, cooperative_id, "credit_note", "2026-27"))
    engine.dispose()


def test_processes_taking_numbers_at_once_get_no_gap_and_no_duplicate(sessions: sessionmaker[Session],
                                                                      coop: int, settings: Settings) -> None:
    context = multiprocessing.get_context("spawn")
    processes, each = 3, 5
    start = context.Barrier(processes)
    out: multiprocessing.queues.Queue[int] = context.Queue()
    workers = [context.Process(target=_take_in_process, args=(settings.database_url, coop, each, start, out))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    taken = [out.get(timeout=120) for _ in range(processes * each)]
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert sorted(taken) == list(range(1, processes * each + 1))


# -- credit notes ------------------------------------------------------------------------------------------------

def deliver_with_return(sessions: sessionmaker[Session], pk: int, policy: OrderPolicy, items: dict[str, int],
                        leg_id: str = "R1") -> None:
    move(sessions, pk, "pick_up", policy)
    move(sessions, pk, "deliver", policy, now=MAY + dt.timedelta(days=1))
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        order.legs = [*order.legs, {"id": leg_id, "type": "Return", "state": "Return_Initiated", "tags": [],
                                    "items": items, "created_at": "2026-05-03T06:00:00.000Z"}]


def test_a_received_return_gets_a_credit_note(sessions: sessionmaker[Session], coop: int,
                                              policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "RET-1")
    deliver_with_return(sessions, pk, policy, {"T16-1": 1})
    later = MAY + dt.timedelta(days=3)
    move(sessions, pk, "approve_return", policy, now=later, return_id="R1")
    move(sessions, pk, "return_picked", policy, now=later, return_id="R1")
    assert notes_of(sessions, pk) == []  # not back yet
    move(sessions, pk, "return_delivered", policy, now=later, return_id="R1")
    (note,) = notes_of(sessions, pk)
    assert (note.number, note.reason, note.ref) == ("CN/26-27/0000001", "return", "R1")
    doc = note.document
    assert doc["invoice_number"] == invoice_row(sessions, pk).number
    (line,) = doc["lines"]
    assert (line["ref"], line["quantity"], line["gross"], line["taxable"], line["cgst"], line["sgst"]) == (
        "T16-1", 1, "1200.00", "1142.86", "28.57", "28.57")
    # The invoice less its credit note is what the order's quote says now.
    with sessions() as session:
        order = session.get_one(Order, pk)
        invoiced, credited = D(invoice_row(sessions, pk).document["totals"]["gross"]), D(doc["totals"]["gross"])
        assert invoiced - credited == D(order.quote["price"]["value"]) == D("4570.50")
        # The ledger takes the GST inside the prices from the invoice less the note: TCS/TDS/fee on the rest.
        ledger = money_store.ledger_of(session, order, Rates(), later)
        taxes = ("cgst", "sgst", "igst")
        in_invoice = sum(D(line[t]) for line in invoice_row(sessions, pk).document["lines"] for t in taxes)
        in_note = sum(D(line[t]) for line in doc["lines"] for t in taxes)
        assert ledger.tax == in_invoice - in_note > 0
        assert ledger.taxable == ledger.net - ledger.tax


def test_a_liquidated_return_gets_a_credit_note_and_a_rejected_one_none(sessions: sessionmaker[Session], coop: int,
                                                                        policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "RET-2")
    deliver_with_return(sessions, pk, policy, {"T16-2": 1})
    move(sessions, pk, "approve_return", policy, return_id="R1")
    move(sessions, pk, "liquidate", policy, return_id="R1")
    (note,) = notes_of(sessions, pk)
    assert note.document["lines"][0]["igst"] == "0.00"
    assert note.document["totals"]["gross"] == "3200.50"
    other = make_order(sessions, coop, "RET-3")
    deliver_with_return(sessions, other, policy, {"T16-2": 1})
    move(sessions, other, "reject_return", policy, return_id="R1")
    assert notes_of(sessions, other) == []


def test_a_part_cancel_after_pick_up_gets_a_credit_note(sessions: sessionmaker[Session], coop: int,
                                                        policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "PART-1", to_state="PB")  # to Punjab: IGST
    move(sessions, pk, "pick_up", policy)
    with transaction(sessions) as session:  # the cooperative's own part-cancel stops at pick-up (ONDC)...
        order = session.get_one(Order, pk)
        with pytest.raises(UpdateNotPossibleError):
            changes.part_cancel(session, order, "T16-1", 1, bpp_id=policy.bpp_id, actor="test", now=MAY)
    with transaction(sessions) as session:  # ...but a quote that loses a line after invoicing is credited
        order = session.get_one(Order, pk)
        order.quote, _ = changes.requote(order.quote, {"T16-1": 1})
        note = invoicing.credit_quote_change(session, order, reason="cancel", ref="C1", now=MAY)
        assert note is not None
    (note,) = notes_of(sessions, pk)
    assert note.reason == "cancel"
    (line,) = note.document["lines"]
    assert (line["ref"], line["quantity"], line["gross"], line["igst"], line["cgst"]) == (
        "T16-1", 1, "1200.00", "57.14", "0.00")
    # Then the courier brings everything back (RTO): the rest is credited, nothing twice.
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        changes.initiate_rto(session, order, "013", bpp_id=policy.bpp_id, actor="test", now=MAY)
    first, rest = notes_of(sessions, pk)
    assert rest.number == "CN/26-27/0000002"
    assert D(first.document["totals"]["gross"]) + D(rest.document["totals"]["gross"]) == D("5770.50")
    invoiced = documents.document_lines(invoice_row(sessions, pk).document)
    left = gst.booked(invoiced, [documents.document_lines(first.document), documents.document_lines(rest.document)])
    assert all(line.gross == line.taxable == line.igst == 0 for line in left)


def test_a_force_cancel_after_pick_up_credits_the_whole_invoice(sessions: sessionmaker[Session], coop: int,
                                                                policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "FORCE-1")
    move(sessions, pk, "pick_up", policy)
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        changes.cancel_order(session, order, reason_id="052", initiated_by="buyer.odop.test", actor="buyer",
                             now=MAY, force=True)
    (note,) = notes_of(sessions, pk)
    assert note.document["totals"] == invoice_row(sessions, pk).document["totals"]
    # A cancellation before pick-up: nothing was invoiced, nothing to credit.
    early = make_order(sessions, coop, "EARLY-1")
    with transaction(sessions) as session:
        order = session.get_one(Order, early)
        changes.cancel_order(session, order, reason_id="002", initiated_by="seller", actor="test", now=MAY)
        assert invoices.invoice_of(session, early) is None
    assert notes_of(sessions, early) == []


def test_an_item_without_hsn_is_marked_and_the_invoice_still_totals(sessions: sessionmaker[Session], coop: int,
                                                                    policy: OrderPolicy) -> None:
    pk = make_order(sessions, coop, "BED-1", to_state="Somewhere")
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        breakup = [*order.quote["breakup"][:2],
                   {"@ondc/org/item_id": "T16-3", "@ondc/org/item_quantity": {"count": 1},
                    "@ondc/org/title_type": "item", "title": "Test Bed Cover",
                    "price": {"currency": "INR", "value": "2800.00"},
                    "item": {"price": {"currency": "INR", "value": "2800.00"}}}, *order.quote["breakup"][2:]]
        order.quote = {**order.quote, "breakup": breakup, "price": {"currency": "INR", "value": "8570.50"}}
    move(sessions, pk, "pick_up", policy)
    doc = invoice_row(sessions, pk).document
    bed = next(line for line in doc["lines"] if line["ref"] == "T16-3")
    assert (bed["hsn"], bed["rate"], bed["taxable"], bed["cgst"]) == ("", None, "2800.00", "0.00")
    assert doc["complete"] is False
    assert doc["totals"]["gross"] == "8570.50"
    # No state we know in the delivery address: the billing address's (Himachal Pradesh) decides.
    assert doc["place_of_supply"]["code"] == "02"


def test_a_return_id_already_used_or_too_long_is_refused(sessions: sessionmaker[Session], coop: int,
                                                         policy: OrderPolicy) -> None:
    # A return's id names its credit note: a second return under the same id would share the first one's note
    # (and its fulfilment), so it is refused, as is an id longer than a credit note's reference can hold.
    pk = make_order(sessions, coop, "RET-ID")
    move(sessions, pk, "pick_up", policy)
    move(sessions, pk, "deliver", policy, now=MAY + dt.timedelta(days=1))

    def ask(return_id: str) -> None:
        with transaction(sessions) as session:
            order = session.get_one(Order, pk)
            fulfilment = {"type": "Return", "tags": [{"code": "return_request", "list": [
                {"code": "id", "value": return_id}, {"code": "item_id", "value": "T16-1"},
                {"code": "item_quantity", "value": "1"}, {"code": "reason_id", "value": "001"}]}]}
            items = order_store.items_by_id(session, coop, ["T16-1"])
            changes.request_return(session, order, fulfilment, items, bap_id="buyer.odop.test",
                                   now=MAY + dt.timedelta(days=1, hours=1))

    ask("R1")
    for bad in ("R1", "R" * 65):
        with pytest.raises(InvalidReturnError):
            ask(bad)
    ask("R2")
    with sessions() as session:
        assert [leg["id"] for leg in session.get_one(Order, pk).legs] == ["R1", "R2"]


def test_settlement_details_stop_growing_past_the_cap(sessions: sessionmaker[Session], coop: int) -> None:
    # A buyer app sending settlement updates without end cannot make the order row grow without end.
    pk = make_order(sessions, coop, "SETTLE-1")
    detail = {"settlement_counterparty": "seller-app", "settlement_phase": "sale-amount", "settlement_type": "neft",
              "settlement_amount": "1.00", "settlement_status": "PAID", "settlement_reference": "UTR"}
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        changes.record_settlement(session, order, {"@ondc/org/settlement_details": [detail] * 50},
                                  bap_id="buyer.odop.test", now=MAY)
    with transaction(sessions) as session:
        order = session.get_one(Order, pk)
        with pytest.raises(UpdateNotPossibleError, match="at most 50"):
            changes.record_settlement(session, order, {"@ondc/org/settlement_details": [detail]},
                                      bap_id="buyer.odop.test", now=MAY)
    with sessions() as session:
        assert len(session.get_one(Order, pk).payment["@ondc/org/settlement_details"]) == 50

"""Issuing tax invoices and credit notes: gapless numbers per cooperative, series and financial year, and the
frozen documents (adapter.money.documents), in the caller's transaction. Takes a session and never commits.

A serial is taken from a counter row locked until the transaction ends (SELECT ... FOR UPDATE on PostgreSQL;
on SQLite the first write of the transaction holds the database's write lock), and the document is written in
the same transaction: a rollback gives the serial back, so the series has no gap and no duplicate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from adapter.money import documents, gst
from adapter.store.models import CreditNote, InvoiceCounter, TaxInvoice

__all__ = ["CREDIT_PREFIX", "credit_notes_of", "invoice_of", "issue_credit_note", "issue_invoice", "next_serial"]

INVOICE, CREDIT_NOTE = "invoice", "credit_note"
CREDIT_PREFIX = "CN"


def next_serial(session: Session, cooperative_id: int, series: str, year: str) -> int:
    """The next serial of a series, taken in this transaction (the counter row stays locked until it ends)."""
    values = {"cooperative_id": cooperative_id, "series": series, "year": year, "last": 0}
    keys = ["cooperative_id", "series", "year"]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(InvoiceCounter).values(values).on_conflict_do_nothing(index_elements=keys))
    elif dialect == "sqlite":
        session.execute(sqlite.insert(InvoiceCounter).values(values).on_conflict_do_nothing(index_elements=keys))
    elif session.get(InvoiceCounter, (cooperative_id, series, year)) is None:
        session.execute(insert(InvoiceCounter).values(values))
    where = (InvoiceCounter.cooperative_id == cooperative_id, InvoiceCounter.series == series,
             InvoiceCounter.year == year)
    last = session.execute(select(InvoiceCounter.last).where(*where).with_for_update()).scalar_one()
    session.execute(update(InvoiceCounter).where(*where).values(last=last + 1)
                    .execution_options(synchronize_session=False))
    return int(last) + 1


def invoice_of(session: Session, order_pk: int) -> TaxInvoice | None:
    """The order's tax invoice, if one was issued."""
    return session.scalar(select(TaxInvoice).where(TaxInvoice.order_pk == order_pk))


def credit_notes_of(session: Session, invoice_id: int) -> list[CreditNote]:
    """An invoice's credit notes, in the order they were issued."""
    return list(session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice_id)
                                .order_by(CreditNote.year, CreditNote.serial)))


def issue_invoice(session: Session, *, cooperative_id: int, order_pk: int, order_id: str, prefix: str,
                  seller: documents.Seller, buyer: documents.Buyer, breakup: list[Mapping[str, Any]],
                  rates: Mapping[str, tuple[str, Decimal | None]], now: dt.datetime) -> TaxInvoice:
    """The order's tax invoice, numbered at ``now`` (the time of supply); the one already issued when there is one,
    so a repeated move never numbers an order twice."""
    existing = invoice_of(session, order_pk)
    if existing is not None:
        return existing
    year = gst.financial_year(now)
    serial = next_serial(session, cooperative_id, INVOICE, year)
    number = gst.document_number(prefix, year, serial)
    document = documents.invoice_document(number=number, issued_at=now, order_id=order_id, seller=seller,
                                          buyer=buyer, breakup=breakup, rates=rates)
    row = TaxInvoice(cooperative_id=cooperative_id, order_pk=order_pk, number=number, year=year, serial=serial,
                     issued_at=now, document=document)
    session.add(row)
    session.flush()
    return row


def issue_credit_note(session: Session, invoice: TaxInvoice, *, reason: str, ref: str, now: dt.datetime,
                      returned: Mapping[str, int] | None = None,
                      remaining: Mapping[gst.LineKey, tuple[int | None, Decimal]] | None = None) -> CreditNote | None:
    """A credit note against ``invoice``: for ``returned`` items, or down to ``remaining`` (see
    ``documents.credit_note_document``). None when nothing is left to credit; the note already issued for ``ref``
    when there is one."""
    existing = session.scalar(select(CreditNote).where(CreditNote.invoice_id == invoice.id, CreditNote.ref == ref))
    if existing is not None:
        return existing
    earlier = [note.document for note in credit_notes_of(session, invoice.id)]
    document = documents.credit_note_document(number="", issued_at=now, invoice=invoice.document, earlier=earlier,
                                              reason=reason, ref=ref, returned=returned, remaining=remaining)
    if document is None:
        return None
    year = gst.financial_year(now)
    serial = next_serial(session, invoice.cooperative_id, CREDIT_NOTE, year)
    document["number"] = number = gst.document_number(CREDIT_PREFIX, year, serial)
    row = CreditNote(cooperative_id=invoice.cooperative_id, invoice_id=invoice.id, order_pk=invoice.order_pk,
                     number=number, year=year, serial=serial, issued_at=now, reason=reason, ref=ref[:64],
                     document=document)
    session.add(row)
    session.flush()
    return row

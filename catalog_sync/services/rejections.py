"""Buyer apps' catalogue rejections (ONDC flows 7 and 9): stored, traced to the spreadsheet, shown to the cooperative.

A ``catalog_rejection`` is ACKed and then read here by a worker: each reason is traced into the on_search we
sent in that transaction (a full answer or an incremental push) to find the cooperative and the item, then to the
row the item had in the uploaded file and the column the reason is about (``catalog_sync.rejections``). A reason
we cannot trace is kept without a cooperative, for the operator. Nothing is sent back: the protocol has no
callback for a rejection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from adapter.protocol.identity import SellerApp
from adapter.protocol.request import NetworkRequest
from adapter.store import rejections as store
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import CatalogueRejection, Cooperative
from catalog_sync.on_search_items import provider_id
from catalog_sync.rejections import column_for, explain, locate, parse_path
from catalog_sync.services.catalogue import profile_of

__all__ = ["describe", "record_rejection"]


def record_rejection(session: Session, request: NetworkRequest, app: SellerApp,
                     now: dt.datetime) -> list[CatalogueRejection]:
    """Store every reason of a stored catalog_rejection, traced as far as it goes."""
    context = request.context
    answers = store.sent_answers(session, context.transaction_id, context.bap_id)
    providers = _provider_ids(session, app)
    rows = []
    bodies, owners = [a.body for a in answers], [a.cooperative_id for a in answers]
    for error in request.errors:
        code = _text(error.get("code"), 8) or ""
        path = _text(error.get("path"))
        message = _text(error.get("message"))
        target = parse_path(path)
        located = locate(target, bodies, message, owners)
        cooperative_id = answers[located.answer].cooperative_id if located.answer is not None else None
        if cooperative_id is None and located.provider_id is not None:
            # Its on_search is gone from this transaction (pruned, or another transaction's): the provider id
            # names the cooperative, but only one whose catalogue we did send this buyer app, so a buyer app
            # cannot post into the console of a cooperative it never saw.
            named = providers.get(located.provider_id)
            if named is not None and store.was_sent(session, context.bap_id, named):
                cooperative_id = named
        row = version = None
        if cooperative_id is not None and located.item_id is not None:
            row, version = store.item_position(session, cooperative_id, located.item_id)
        rejection = CatalogueRejection(
            cooperative_id=cooperative_id, inbound_id=request.inbound_id, bap_id=_text(context.bap_id, 255) or "",
            transaction_id=_text(context.transaction_id, 128) or "", code=code, kind=_text(error.get("type"), 32),
            path=path, message=message, provider_id=_text(located.provider_id, 128),
            item_id=_text(located.item_id, 128), row=row, column=column_for(code, target),
            version_number=version, received_at=now)
        session.add(rejection)
        rows.append(rejection)
    session.flush()
    return rows


def describe(rejection: CatalogueRejection, gettext: Callable[[str], str] = str) -> dict[str, Any]:
    """A rejection as the API and the console show it: where, what it means and what to do (through
    ``gettext``: the reader's language)."""
    meaning, fix = explain(rejection.code, rejection.kind, rejection.column, gettext)
    return {
        "id": rejection.id, "code": rejection.code, "kind": rejection.kind, "meaning": meaning, "fix": fix,
        "buyer_app": rejection.bap_id, "buyer_app_message": rejection.message, "path": rejection.path,
        "item_id": rejection.item_id, "row": rejection.row, "column": rejection.column,
        "version": rejection.version_number, "transaction_id": rejection.transaction_id,
        "received_at": rejection.received_at.isoformat(),
        "dismissed_at": rejection.dismissed_at.isoformat() if rejection.dismissed_at else None,
    }


def _provider_ids(session: Session, app: SellerApp) -> dict[str, int]:
    """Our provider ids, each with its cooperative (to trace a reason whose on_search is no longer stored)."""
    found: dict[str, int | None] = {}
    for cooperative in list_cooperatives(session):
        if cooperative.profile:
            pid = _provider_of(cooperative, app)
            # Several cooperatives under one id (inventory sellers share the bpp_id): not traceable by id alone.
            found[pid] = None if pid in found else cooperative.id
    return {pid: cid for pid, cid in found.items() if cid is not None}


def _provider_of(cooperative: Cooperative, app: SellerApp) -> str:
    return provider_id(profile_of(cooperative), app.bpp_id)


def _text(value: Any, limit: int = 2000) -> str | None:
    """A buyer app's string as we keep it: cut to the column, without NUL (PostgreSQL refuses it in text)."""
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "")[:limit] or None

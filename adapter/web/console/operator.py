"""Operator pages: every cooperative at a glance, the outbox with replay, and one transaction's timeline."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.delivery import outbox
from adapter.errors import ConflictError, NotFoundError
from adapter.orders import store as order_store
from adapter.store import inbound
from adapter.store import sync as sync_store
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import utcnow
from adapter.web.console.auth import today_start
from adapter.web.console.pages import admin_required, bp, page
from adapter.web.runtime import db, runtime, unit_of_work
from adapter.web.timeline import inbound_entry, outbox_row, transaction_messages
from workers.dispatch import send_deliveries


@bp.get("/operator")
@admin_required
def operator() -> tuple[str, int]:
    """All cooperatives with their last sync, dead letters (every kind) and orders today."""
    session = db()
    since = today_start()
    dead = outbox.dead_by_cooperative(session)
    rows = []
    cooperatives = list_cooperatives(session)
    for cooperative in cooperatives:
        jobs = sync_store.list_jobs(session, cooperative.id, limit=1)
        rows.append({
            "cooperative": cooperative, "last_job": jobs[0] if jobs else None,
            "dead": dead.get(cooperative.id, 0),
            "orders_today": len(order_store.list_orders(session, cooperative_id=cooperative.id, since=since,
                                                        limit=500)),
        })
    names = {cooperative.id: cooperative.name for cooperative in cooperatives}
    groups = [{"group": group, "cooperative": names.get(group.cooperative_id) if group.cooperative_id else None}
              for group in outbox.dead_groups(session, utcnow())]
    return page("operator.html", rows=rows, depth=outbox.depth(session), unowned_dead=dead.get(None, 0),
                groups=groups)


@bp.get("/operator/outbox")
@admin_required
def outbox_page() -> tuple[str, int]:
    """Pending and dead callbacks, newest first, with replay buttons."""
    session = db()
    status = request.args.get("status", "dead")
    if status not in ("pending", "dead"):
        abort(404)
    now = utcnow()
    rows = [outbox_row(r) | {"expired": outbox.expired(r, now)}
            for r in outbox.list_messages(session, status=status, limit=200)]
    failed = [inbound_entry(r) | {"transaction_id": r.transaction_id} for r in inbound.recent_failures(session)]
    return page("outbox.html", rows=rows, tab=status, depth=outbox.depth(session), failed=failed)


@bp.post("/operator/outbox/<int:outbox_id>/replay")
@admin_required
def replay(outbox_id: int) -> BaseResponse:
    """Send one dead (or pending) callback again (the form says "force" for one that may have been delivered)."""
    try:
        with unit_of_work() as session:
            # "force" sends again one that may have arrived; never an answer past its ttl (the page offers none,
            # and a page loaded before the ttl ran out must not send it either).
            row = outbox.replay(session, outbox_id, utcnow(), runtime().settings.unsolicited_delivery_window,
                                force=request.form.get("force") == "1", allow_expired=False)
            row_id = row.id
    except NotFoundError:
        abort(404)
    except ConflictError as error:
        details = error.details if isinstance(error.details, dict) else {}
        if details.get("expired"):
            flash(gettext("Not sent: this answer is too late, the buyer app stopped waiting for it."), "error")
        elif details.get("maybe_delivered"):
            flash(gettext("Not sent: it may already have reached the buyer app. Use \"Send again anyway\"."), "error")
        else:
            flash(gettext("Not sent: it was delivered already, or it is being sent right now."), "error")
        return redirect(url_for("console.outbox_page"))
    send_deliveries(runtime().celery, [row_id])
    flash(gettext("Replayed %(count)s message(s).", count=1), "ok")
    return redirect(url_for("console.outbox_page"))


@bp.post("/operator/outbox/replay")
@admin_required
def replay_all() -> BaseResponse:
    """Replay every dead callback, or (form fields ``group``, ``cooperative``, ``bap_id``) one cooperative's to one
    buyer app; back to the page the form was on."""
    group: outbox.Group | None = None
    if request.form.get("group") == "1":
        cooperative = request.form.get("cooperative", "")
        # isascii: "²" passes isdigit and fails int(); a BIGINT holds 18 digits.
        if cooperative and not (cooperative.isascii() and cooperative.isdigit() and len(cooperative) <= 18):
            abort(400)
        group = (int(cooperative) if cooperative else None, request.form.get("bap_id") or None)
    now = utcnow()  # one moment for the list and the update: the same rows expire for both
    with unit_of_work() as session:
        ids = outbox.dead_ids(session, now, group=group)
        outbox.replay_dead(session, now, runtime().settings.unsolicited_delivery_window, group=group)
    send_deliveries(runtime().celery, ids)
    flash(gettext("Replayed %(count)s message(s).", count=len(ids)), "ok")
    return redirect(url_for("console.operator" if group is not None else "console.outbox_page"))


@bp.get("/operator/transactions")
@admin_required
def transactions() -> tuple[str, int]:
    """Every message in and out of one transaction: signature verdicts, ACK/NACK and delivery attempts."""
    transaction_id = request.args.get("transaction_id", "").strip()
    entries: list[dict[str, Any]] = []
    if transaction_id:
        entries = transaction_messages(db(), transaction_id, with_logistics=True)
    return page("transaction.html", transaction_id=transaction_id, entries=entries)

"""``odop-adapter orders ...``: the order inbox from the command line (mirrors /api/v1/orders)."""

from __future__ import annotations

import json

import click

from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.errors import AdapterError
from adapter.orders import store as order_store
from adapter.orders.errors import OrderError
from adapter.orders.policy import order_policy
from adapter.orders.seller import seller_action
from adapter.store.cooperatives import get_cooperative
from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from workers.app import make_celery
from workers.dispatch import AfterCommit, after_commit


@click.group()
def orders() -> None:
    """Orders: list, show and act on them (accept, pack, ship, deliver, cancel, returns, RTO)."""


@orders.command("list")
@click.option("--cooperative", "slug", help="Only this cooperative's orders.")
@click.option("--state", help="Created, Accepted, In-progress, Completed or Cancelled.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True)
def orders_list(slug: str | None, state: str | None, limit: int) -> None:
    """Newest orders first."""
    settings = load_cli_settings()
    with cli_sessions(settings)() as session:
        try:
            cooperative_id = get_cooperative(session, slug).id if slug else None
        except AdapterError as error:
            raise click.ClickException(error.message) from error
        for order in order_store.list_orders(session, cooperative_id=cooperative_id, state=state, limit=limit):
            total = order.quote.get("price", {}).get("value")
            click.echo(f"{order.id}\t{order.created_at:%Y-%m-%d %H:%M}\t{order.order_id}\t{order.state}\t"
                       f"{order.fulfilment_state}\tINR {total}\t{order.bap_id}")


@orders.command("show")
@click.argument("order_pk", type=int)
def orders_show(order_pk: int) -> None:
    """One order with its history, as JSON."""
    settings = load_cli_settings()
    with cli_sessions(settings)() as session:
        order = session.get(Order, order_pk)
        if order is None:
            raise click.ClickException(f"no order {order_pk}")
        events = [{"at": e.at.isoformat(), "actor": e.actor, "kind": e.kind, "from": e.from_state,
                   "to": e.to_state, "reason": e.reason} for e in order_store.events(session, order)]
        click.echo(json.dumps({"id": order.id, "order_id": order.order_id, "state": order.state,
                               "fulfilment_state": order.fulfilment_state, "items": order.lines,
                               "quote": order.quote, "billing": order.billing, "legs": order.legs,
                               "events": events}, indent=2, ensure_ascii=False))


@orders.command("act")
@click.argument("order_pk", type=int)
@click.argument("action")
@click.option("--reason", "reason_id", help="Reason code for cancel (seller codes) or initiate_rto (011-015).")
@click.option("--item", "item_id", help="part_cancel: the item.")
@click.option("--quantity", type=int, help="part_cancel: how many.")
@click.option("--return-id", help="Return moves: the return's id.")
def orders_act(order_pk: int, action: str, reason_id: str | None, item_id: str | None, quantity: int | None,
               return_id: str | None) -> None:
    """Move an order on (accept, pack, pick_up, ship, deliver, cancel, part_cancel, approve_return, ...)."""
    settings = load_cli_settings()
    sessions = cli_sessions(settings)
    params = {"item_id": item_id, "quantity": quantity or 0, "return_id": return_id}
    try:
        with transaction(sessions) as session:
            order = session.get(Order, order_pk)
            if order is None:
                raise click.ClickException(f"no order {order_pk}")
            result = seller_action(session, order, action, order_policy(settings), actor="cli",
                                               now=utcnow(), reason_id=reason_id, params=params)
            state = f"{order.state} / {order.fulfilment_state}"
            after = AfterCommit.of(result)
    except (OrderError, ValueError) as error:
        raise click.ClickException(f"{action}: {error}") from error
    celery = make_celery(settings)
    after_commit(celery, sessions, settings.sync_debounce_seconds, after)
    click.echo(f"order {order_pk}: {state}; the buyer app is being told")

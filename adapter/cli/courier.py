"""``odop-adapter courier``: the bundled test courier, an ONDC logistics seller (BPP) on LOG10 and LOG11.

* ``courier serve``: receive signed LOG requests, answer with signed on_* callbacks, move parcels on a schedule;
* ``courier move AWB --to STATE``: move a parcel now (on_status, or on_cancel for RTO-Initiated);
* ``courier scenario AWB rto|fail-pickup|deliver``: what the schedule does with a parcel;
* ``courier reweigh AWB --kg 1.6``: the parcel weighed more at pickup (a weight differential, on_update);
* ``courier list``: the shipments and where they are.

The commands other than ``serve`` talk to the running courier with the control token it keeps under DATA_DIR.
docs/logistics.md, "The test courier".
"""

from __future__ import annotations

import secrets
import signal
import threading
from typing import Any

import click
import orjson

from adapter.cli.buyer import load_registry
from adapter.cli.common import load_cli_settings
from adapter.cli.demo_network import COURIER_ID, COURIER_KEY_ID, COURIER_PORT, LOG_DOMAINS, demo_courier
from adapter.delivery.http import HttpClient, TransportError
from adapter.logistics.courier.messages import CourierInfo
from adapter.logistics.courier.sender import Sender
from adapter.logistics.courier.server import CourierApp, CourierServer
from adapter.logistics.courier.service import Courier
from adapter.logistics.courier.states import SCENARIOS
from adapter.logistics.courier.store import Store
from adapter.protocol.registry import Registry, RegistryError
from config import Settings

__all__ = ["build_courier", "control_token", "courier"]


def control_token(settings: Settings) -> str:
    """The token the courier's commands carry, created under DATA_DIR (owner-only) on first use."""
    path = settings.data_dir / "courier-control-token"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


def build_courier(settings: Settings, *, host: str, port: int, step: float, public_url: str | None = None,
                  registry: Registry | None = None) -> CourierServer:
    """The test courier, ready to start: its keys, its store, and the registry it verifies requests with."""
    participant = demo_courier(settings, port)
    url = f"http://{host if host not in ('0.0.0.0', '') else '127.0.0.1'}:{port}"
    store = Store(settings.data_dir / "courier.sqlite3")
    info = CourierInfo(bpp_id=COURIER_ID, bpp_uri=url, public_url=(public_url or url).rstrip("/"))
    sender = Sender(subscriber_id=COURIER_ID, key_id=COURIER_KEY_ID, key=participant.keys.signing_key(),
                    store=store, validity=settings.signature_validity, timeout=settings.callback_read_timeout)
    service = Courier(info, store, sender, step_seconds=step if step > 0 else None)
    app = CourierApp(service, registry or load_registry(settings), control_token(settings),
                     clock_skew=settings.signature_clock_skew)
    return CourierServer(app, host, port)


def _check_listed(registry: Registry, public_key: str) -> None:
    for domain in LOG_DOMAINS:
        try:
            entry = registry.lookup(COURIER_ID, COURIER_KEY_ID, domain=domain)
        except RegistryError as error:
            click.echo(f"warning: could not look the courier up in the registry: {error}", err=True)
            return
        if entry is None or entry.signing_public_key.strip() != public_key:
            click.echo(f"warning: {COURIER_ID}|{COURIER_KEY_ID} is not in the registry for {domain} with this key: "
                       "logistics buyers cannot verify its callbacks (`odop-adapter up --with-courier` lists it)",
                       err=True)


@click.group()
def courier() -> None:
    """A test courier (ONDC logistics seller, LOG10/LOG11): serve it, move its parcels."""


@courier.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=COURIER_PORT, show_default=True)
@click.option("--step", type=click.FloatRange(0), default=5.0, show_default=True,
              help="Seconds between a parcel's states; 0 moves parcels only on command (`courier move`).")
@click.option("--public-url", default=None, help="Base URL of the label and tracking links (default: http://HOST:PORT).")
def serve(host: str, port: int, step: float, public_url: str | None) -> None:
    """Run the courier: verify, ACK and answer LOG requests; move parcels. Ctrl-C stops."""
    settings = load_cli_settings()
    registry = load_registry(settings)
    try:
        server = build_courier(settings, host=host, port=port, step=step, public_url=public_url,
                               registry=registry)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} ({error.strerror or error}); is a courier "
                                   "already running there? pick another --port") from None
    _check_listed(registry, demo_courier(settings, port).keys.signing_public_key)
    info = server.app.courier.info
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    pace = f"a state every {step:g} s" if step > 0 else "only on command"
    click.echo(f"test courier {info.bpp_id} on {info.bpp_uri}/{{search,init,confirm,status,track,cancel,update}} "
               f"({', '.join(LOG_DOMAINS)}); parcels move {pace}; Ctrl-C stops")
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("courier stopped")


def _command(settings: Settings, url: str, command: str, data: dict[str, Any]) -> dict[str, Any]:
    target = f"{url.rstrip('/')}/_courier/{command}"
    client = HttpClient(connect_timeout=settings.callback_connect_timeout, read_timeout=30.0,
                        user_agent="odop-adapter-courier-cli")
    try:
        with client:
            result = client.post(target, orjson.dumps(data), {"Authorization": f"Bearer {control_token(settings)}"})
    except TransportError as error:
        raise click.ClickException(f"cannot reach the courier at {url} ({error}); is `odop-adapter courier serve` "
                                   "running? (--url names another)") from None
    try:
        answer: dict[str, Any] = orjson.loads(result.body)
    except orjson.JSONDecodeError:
        answer = {"error": result.body.decode("utf-8", errors="replace")[:300]}
    if result.status_code != 200:
        raise click.ClickException(str(answer.get("error") or answer))
    return answer


def _line(row: dict[str, Any]) -> str:
    plan = "scheduled" if row["scheduled"] else "waits for a command"
    return (f"{row['awb']}  {row['state']:<20} {row['domain']}  order {row['order_id']}  scenario {row['scenario']}"
            f"  ({plan}, since {row['since']})")


def _url_option(command: Any) -> Any:
    return click.option("--url", default=f"http://127.0.0.1:{COURIER_PORT}", show_default=True,
                        help="The running courier.")(command)


@courier.command("move")
@click.argument("awb")
@click.option("--to", "state", required=True, help="The LOG state, e.g. Order-picked-up, RTO-Initiated.")
@_url_option
def move(awb: str, state: str, url: str) -> None:
    """Move parcel AWB to a state now and push the on_status (on_cancel for RTO-Initiated)."""
    click.echo(_line(_command(load_cli_settings(), url, "move", {"awb": awb, "to": state})))


@courier.command("scenario")
@click.argument("awb")
@click.argument("scenario", type=click.Choice(SCENARIOS))
@_url_option
def scenario(awb: str, scenario: str, url: str) -> None:
    """Have the schedule deliver parcel AWB, send it back from Out-for-delivery (rto), or fail its pickup."""
    click.echo(_line(_command(load_cli_settings(), url, "scenario", {"awb": awb, "scenario": scenario})))


@courier.command("reweigh")
@click.argument("awb")
@click.option("--kg", required=True, type=click.FloatRange(min=0, min_open=True, max=1000),
              help="What the parcel weighed at pickup, in kilograms (more than declared).")
@_url_option
def reweigh(awb: str, kg: float, url: str) -> None:
    """Parcel AWB weighed KG at pickup: charge the difference and push on_update (ONDC weight differential)."""
    click.echo(_line(_command(load_cli_settings(), url, "reweigh", {"awb": awb, "kg": str(kg)})))


@courier.command("list")
@_url_option
def list_shipments(url: str) -> None:
    """The courier's shipments, newest first."""
    rows = _command(load_cli_settings(), url, "shipments", {})["shipments"]
    for row in rows:
        click.echo(_line(row))
    if not rows:
        click.echo("no shipments yet")

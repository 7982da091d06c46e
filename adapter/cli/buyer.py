"""``odop-adapter buyer``: a real, signed test buyer app (BAP) to drive the adapter from outside.

* ``buyer serve``: a callback receiver that verifies every callback and saves it (adapter/cli/buyer_inbox.py);
* ``buyer send ACTION --body FILE``: sign a JSON body and POST it to the BPP;
* ``buyer search``: build a search, send it, collect the on_search callbacks and summarise them.

The identity is the demo buyer that ``odop-adapter up`` lists in the static registry, unless
``--keys/--subscriber-id/--key-id`` name another one. docs/test-buyer.md.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import orjson

from adapter.cli.buyer_inbox import Callback, Inbox, start_server
from adapter.cli.common import load_cli_settings
from adapter.cli.demo_network import DEMO_BUYER_ID, DEMO_BUYER_KEY_ID, DEMO_BUYER_PORT, demo_buyer
from adapter.delivery.http import HttpClient, HttpResult, TransportError
from adapter.delivery.urls import join_action_url
from adapter.protocol.context import CORE_VERSION, DEFAULT_TTL, format_timestamp
from adapter.protocol.keys import KeyFormatError, SigningKey
from adapter.protocol.registry import (
    Registry,
    RegistryConfigError,
    RegistryError,
    RegistryFileError,
    make_registry,
)
from adapter.protocol.signing import sign_request
from config import Settings

__all__ = ["Identity", "build_search", "buyer", "load_identity", "prepare_body"]


@dataclass(frozen=True)
class Identity:
    """Who the buyer app signs as, and where it says it receives callbacks (None: not known)."""

    subscriber_id: str
    unique_key_id: str
    key: SigningKey
    url: str | None



def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.ClickException(f"{what} {path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"{what} {path}: cannot read it ({type(error).__name__})") from None
    except json.JSONDecodeError as error:
        raise click.ClickException(
            f"{what} {path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from None


def _keys_from_file(path: Path) -> tuple[SigningKey, dict[str, Any]]:
    data = _read_json(path, "keys file")
    if not isinstance(data, dict):
        raise click.ClickException(f"keys file {path}: expected a JSON object")
    # Either a saved KeySet (demo-buyer-keys.json) or `odop-adapter keys generate --format json`.
    private = data.get("signing_private_key") or data.get("ONDC_SIGNING_PRIVATE_KEY")
    public = data.get("signing_public_key") or data.get("ONDC_SIGNING_PUBLIC_KEY")
    if not isinstance(private, str):
        raise click.ClickException(f"keys file {path}: no signing_private_key (or ONDC_SIGNING_PRIVATE_KEY)")
    try:
        key = SigningKey.from_base64(private)
    except KeyFormatError as error:
        raise click.ClickException(f"keys file {path}: {error}") from None
    if isinstance(public, str) and public.strip() != key.public_key_b64:
        raise click.ClickException(f"keys file {path}: the signing public key does not match the private key")
    return key, data


def load_identity(settings: Settings, subscriber_id: str | None, key_id: str | None,
                  keys_file: Path | None) -> Identity:
    """The buyer identity: the demo buyer of `odop-adapter up`, or the one the options name."""
    if keys_file is not None:
        key, data = _keys_from_file(keys_file)
        sub = subscriber_id or data.get("subscriber_id")
        ukid = key_id or data.get("unique_key_id")
        if not isinstance(sub, str) or not isinstance(ukid, str):
            raise click.ClickException("with --keys, give --subscriber-id and --key-id (or put subscriber_id and "
                                       "unique_key_id in the keys file)")
        return Identity(sub, ukid, key, None)
    path = settings.data_dir / "demo-buyer-keys.json"
    if not path.exists():
        raise click.ClickException(
            f"no demo buyer keys at {path}: start the adapter once with `odop-adapter up` (or `make run`), which "
            "creates them and lists the demo buyer in the registry; or pass --keys FILE --subscriber-id --key-id")
    try:
        participant = demo_buyer(settings)
        key = participant.keys.signing_key()
    except (KeyFormatError, TypeError, ValueError) as error:
        raise click.ClickException(f"demo buyer keys {path} are unusable: {error}") from None
    return Identity(subscriber_id or DEMO_BUYER_ID, key_id or DEMO_BUYER_KEY_ID, key, participant.url)


def load_registry(settings: Settings) -> Registry:
    """The registry the settings name (static file or ONDC), with errors made readable."""
    try:
        return make_registry(settings, redis_client=None)
    except RegistryFileError as error:
        raise click.ClickException(f"registry: {error}") from None
    except RegistryConfigError as error:
        raise click.ClickException(f"registry: {error}") from None


def check_listed(registry: Registry, identity: Identity, domain: str | None) -> str | None:
    """Warn when the registry would not verify our signature; return our registered subscriber_url, if any."""
    try:
        entry = registry.lookup(identity.subscriber_id, identity.unique_key_id, domain=domain)
    except RegistryError as error:
        click.echo(f"warning: could not look ourselves up in the registry: {error}", err=True)
        return None
    if entry is None:
        click.echo(f"warning: {identity.subscriber_id}|{identity.unique_key_id} is not in the registry"
                   f"{f' for {domain}' if domain else ''}; the BPP will answer NACK 30016", err=True)
        return None
    if entry.signing_public_key.strip() != identity.key.public_key_b64:
        click.echo("warning: the registry lists another signing key for us; the BPP will answer NACK 30016",
                   err=True)
    return entry.subscriber_url or None


def prepare_body(payload: Any, *, action: str, identity: Identity, bap_uri: str, now: dt.datetime,
                 keep_ids: bool) -> dict[str, Any]:
    """The body to send: our bap_id/bap_uri, a fresh timestamp and (unless keep_ids) a new message_id."""
    if not isinstance(payload, dict) or not isinstance(payload.get("context"), dict):
        raise click.ClickException("the body must be a JSON object with a \"context\" object")
    context = dict(payload["context"])
    context.setdefault("action", action)
    context["bap_id"] = identity.subscriber_id
    context["bap_uri"] = bap_uri
    context["timestamp"] = format_timestamp(now)
    if not keep_ids or not context.get("message_id"):
        context["message_id"] = str(uuid.uuid4())
    if not context.get("transaction_id"):
        context["transaction_id"] = str(uuid.uuid4())
    return {**payload, "context": context}


def build_search(*, domain: str, city: str, category: str | None, item: str | None, identity: Identity,
                 bap_uri: str, now: dt.datetime) -> dict[str, Any]:
    """A search as a retail buyer app sends it (ONDC RET 1.2.5 search example, with our ids)."""
    intent: dict[str, Any] = {
        "fulfillment": {"type": "Delivery"},
        "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent", "@ondc/org/buyer_app_finder_fee_amount": "3"},
    }
    if category:
        intent["category"] = {"id": category}
    if item:
        intent["item"] = {"descriptor": {"name": item}}
    return {
        "context": {
            "domain": domain, "country": "IND", "city": city, "action": "search", "core_version": CORE_VERSION,
            "bap_id": identity.subscriber_id, "bap_uri": bap_uri, "transaction_id": str(uuid.uuid4()),
            "message_id": str(uuid.uuid4()), "timestamp": format_timestamp(now), "ttl": DEFAULT_TTL,
        },
        "message": {"intent": intent},
    }


def signature(settings: Settings, identity: Identity, body: bytes) -> str:
    """The Authorization header for exactly ``body``, signed as the buyer app, valid from now."""
    created = int(_now().timestamp())
    return sign_request(body, subscriber_id=identity.subscriber_id, unique_key_id=identity.unique_key_id,
                        key=identity.key, created=created, expires=created + settings.signature_validity)


def post_signed(settings: Settings, identity: Identity, url: str, body: bytes) -> HttpResult:
    """Sign exactly ``body`` and POST it; unreachable hosts become a clear error."""
    header = signature(settings, identity, body)
    client = HttpClient(connect_timeout=settings.callback_connect_timeout, read_timeout=settings.callback_read_timeout,
                        user_agent="odop-adapter-test-buyer")
    try:
        with client:
            return client.post(url, body, {"Authorization": header})
    except TransportError as error:
        raise click.ClickException(
            f"cannot reach the BPP at {url} ({error}); is the adapter running (`make run`)? "
            "set --bpp-uri otherwise") from None


def report_answer(url: str, result: HttpResult) -> bool:
    """Print the HTTP status and ACK/NACK; True for an ACK."""
    text = result.body.decode("utf-8", errors="replace")
    try:
        answer = orjson.loads(result.body)
        status = answer["message"]["ack"]["status"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        status = None
    click.echo(f"POST {url} -> HTTP {result.status_code} {status or '(no ACK/NACK body)'}")
    click.echo(text)
    return result.status_code == 200 and status == "ACK"


def identity_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--subscriber-id, --key-id, --keys and --bpp-uri on a command."""
    options = [
        click.option("--subscriber-id", default=None, help=f"Act as this buyer app (default {DEMO_BUYER_ID})."),
        click.option("--key-id", default=None, help=f"Its registry ukId (default {DEMO_BUYER_KEY_ID})."),
        click.option("--keys", "keys_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="JSON file with its signing_private_key (default: DATA_DIR/demo-buyer-keys.json)."),
        click.option("--bpp-uri", default=None, help="The BPP's base URL (default: our bpp_uri setting)."),
    ]
    return functools.reduce(lambda cmd, option: option(cmd), reversed(options), command)


@click.group()
def buyer() -> None:
    """A signed test buyer app: receive callbacks, send requests, run a search."""


@buyer.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=DEMO_BUYER_PORT, show_default=True)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where callbacks are saved (default DATA_DIR/buyer-inbox).")
def serve(host: str, port: int, out_dir: Path | None) -> None:
    """Receive callbacks: verify each signature, ACK or NACK it, save it as JSON. Ctrl-C stops."""
    settings = load_cli_settings()
    inbox = Inbox(load_registry(settings), out_dir or settings.data_dir / "buyer-inbox",
                  clock_skew=settings.signature_clock_skew, echo=click.echo)
    server, thread = _start(inbox, host, port)
    click.echo(f"buyer app receiving callbacks on http://{host}:{port}/on_<action> (any base path); "
               f"saving to {inbox.out_dir}; Ctrl-C stops")
    try:
        thread.join()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        server.shutdown()
        server.server_close()


def _start(inbox: Inbox, host: str, port: int) -> Any:
    try:
        return start_server(inbox, host, port)
    except OSError as error:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({error.strerror or error}); is `odop-adapter buyer serve` already "
            "running there? pick another --port") from None


@buyer.command("send")
@click.argument("action")
@click.option("--body", "body_file", type=click.Path(path_type=Path, dir_okay=False), required=True,
              help="JSON file with the request (context and message).")
@click.option("--keep-ids", is_flag=True, help="Keep the file's context.message_id instead of a new one.")
@click.option("--bap-uri", default=None, help="Our callback base URL (default: the registry's, else port 8081).")
@identity_options
def send(action: str, body_file: Path, keep_ids: bool, bap_uri: str | None, subscriber_id: str | None,
         key_id: str | None, keys_file: Path | None, bpp_uri: str | None) -> None:
    """Sign a JSON body and POST it to {bpp_uri}/ACTION; exit 0 on ACK, 1 otherwise."""
    settings = load_cli_settings()
    payload = _read_json(body_file, "body file")
    identity = load_identity(settings, subscriber_id, key_id, keys_file)
    if bap_uri is None:
        bap_uri = _registered_url(settings, identity, payload) or identity.url or _local_url(DEMO_BUYER_PORT)
    body = prepare_body(payload, action=action, identity=identity, bap_uri=bap_uri, now=_now(), keep_ids=keep_ids)
    raw = orjson.dumps(body)  # serialised once: these bytes are signed and sent
    url = join_action_url(bpp_uri or settings.bpp_uri, action)
    context = body["context"]
    click.echo(f"{action} transaction_id={context['transaction_id']} message_id={context['message_id']} "
               f"as {identity.subscriber_id}, callbacks to {bap_uri}")
    if not report_answer(url, post_signed(settings, identity, url, raw)):
        raise SystemExit(1)


def _registered_url(settings: Settings, identity: Identity, payload: Any) -> str | None:
    context = payload.get("context") if isinstance(payload, dict) else None
    domain = context.get("domain") if isinstance(context, dict) else None
    try:
        registry = make_registry(settings, redis_client=None)
    except (RegistryFileError, RegistryConfigError) as error:
        click.echo(f"warning: no registry to check us against: {error}", err=True)
        return None
    return check_listed(registry, identity, domain if isinstance(domain, str) else None)


def _local_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


@buyer.command("search")
@click.option("--domain", default="ONDC:RET16", show_default=True)
@click.option("--city", default="std:080", show_default=True)
@click.option("--category", default=None, help="intent.category.id, e.g. 'Home Decor'.")
@click.option("--item", default=None, help="intent.item.descriptor.name to search for.")
@click.option("--wait", type=click.FloatRange(0), default=15.0, show_default=True,
              help="Seconds to wait for on_search callbacks.")
@click.option("--settle", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Stop waiting once no new on_search arrived for this long.")
@click.option("--no-wait", is_flag=True, help="Only send the search; `buyer serve` receives the callbacks.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the receiver listens.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Receiver port (default: the port of our bap_uri, 8081 for the demo buyer).")
@click.option("--bap-uri", default=None,
              help="Our callback base URL (default: http://127.0.0.1:PORT with --port, else the registry's).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where callbacks are saved (default DATA_DIR/buyer-inbox).")
@identity_options
def search(domain: str, city: str, category: str | None, item: str | None, wait: float, settle: float,
           no_wait: bool, host: str, port: int | None, bap_uri: str | None, out_dir: Path | None,
           subscriber_id: str | None, key_id: str | None, keys_file: Path | None, bpp_uri: str | None) -> None:
    """Send a search and summarise the verified on_search callbacks; exit 0 when at least one arrived."""
    settings = load_cli_settings()
    identity = load_identity(settings, subscriber_id, key_id, keys_file)
    registry = load_registry(settings)
    registered = check_listed(registry, identity, domain)
    if bap_uri is None:
        bap_uri = _local_url(port) if port is not None else registered or identity.url or _local_url(DEMO_BUYER_PORT)
    listen_port = port or urlsplit(bap_uri).port or DEMO_BUYER_PORT
    body = build_search(domain=domain, city=city, category=category, item=item, identity=identity,
                        bap_uri=bap_uri, now=_now())
    message_id = body["context"]["message_id"]
    url = join_action_url(bpp_uri or settings.bpp_uri, "search")
    inbox = Inbox(registry, out_dir or settings.data_dir / "buyer-inbox",
                  clock_skew=settings.signature_clock_skew, echo=click.echo)
    server = None if no_wait else _start(inbox, host, listen_port)[0]
    try:
        click.echo(f"search {domain} {city} transaction_id={body['context']['transaction_id']} "
                   f"message_id={message_id} as {identity.subscriber_id}, callbacks to {bap_uri}")
        if not report_answer(url, post_signed(settings, identity, url, orjson.dumps(body))):
            raise SystemExit(1)
        if server is None:
            return
        click.echo(f"waiting up to {wait:g} s for on_search on port {listen_port} ...")
        inbox.wait(lambda: len(inbox.callbacks(action="on_search", message_id=message_id)),
                   timeout=wait, settle=settle)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
    callbacks = inbox.callbacks(action="on_search", message_id=message_id)
    verified = [c for c in callbacks if c.signature == "ok"]
    _summarise(callbacks, verified)
    if not verified:
        raise click.ClickException(
            f"no verified on_search arrived within {wait:g} s; check that the BPP serves {domain} in {city}, "
            f"that its worker runs, and that it can reach {bap_uri}")


def _summarise(callbacks: list[Callback], verified: list[Callback]) -> None:
    click.echo(f"on_search callbacks: {len(callbacks)} ({len(verified)} verified)")
    for callback in verified:
        catalog = (callback.body.get("message") or {}).get("catalog") or {}
        for provider in catalog.get("bpp/providers") or []:
            items = provider.get("items") or []
            name = (provider.get("descriptor") or {}).get("name", "")
            click.echo(f"provider {provider.get('id')} {name!r}: {len(items)} item(s)")
            for entry in items:
                price = entry.get("price") or {}
                click.echo(f"  {entry.get('id')}  {(entry.get('descriptor') or {}).get('name', '')}  "
                           f"{price.get('currency', '')} {_money(price.get('value'))}")


def _money(value: Any) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError):
        return str(value)

"""``odop-adapter keys | registry | doctor | outbox``: keys, onboarding, self-checks and delivery control."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import orjson
import yaml

from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.cli.demo_network import load_or_create_keys
from adapter.delivery import outbox
from adapter.delivery.http import HttpClient, TransportError
from adapter.errors import AdapterError
from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import EncryptionKey, KeyFormatError, SigningKey, generate_keyset
from adapter.protocol.registry import REGISTRY_URLS, RegistryConfigError, RegistryFileError, make_registry
from adapter.protocol.registry_entry import RegistryError
from adapter.protocol.signing import SignatureError, sign_request, verify_request
from adapter.store.db import transaction
from adapter.store.models import utcnow
from config import Settings
from workers.dispatch import send_deliveries


@click.group()
def keys() -> None:
    """ONDC signing and encryption keys."""


@keys.command("generate")
@click.option("--format", "fmt", type=click.Choice(["env", "json"]), default="env", show_default=True)
def keys_generate(fmt: str) -> None:
    """Print a new key set: private keys for the settings, public keys for the registry."""
    keyset = generate_keyset()
    if fmt == "json":
        click.echo(json.dumps(keyset.as_env(), indent=2))
        return
    click.echo("# Keep the private keys secret (settings / secret store); register the public ones.")
    for name, value in keyset.as_env().items():
        click.echo(f"{name}={value}")


@click.group()
def registry() -> None:
    """ONDC registry onboarding."""


def subscribe_payload(settings: Settings, entity: dict[str, Any], request_id: str) -> dict[str, Any]:
    """The /subscribe body for a seller app (ops_no 2) from settings and the entity document."""
    if not settings.signing_private_key or not settings.encryption_private_key:
        raise click.ClickException("set ONDC_SIGNING_PRIVATE_KEY and ONDC_ENCRYPTION_PRIVATE_KEY first "
                                   "(`odop-adapter keys generate` makes a set)")
    signing = SigningKey.from_base64(settings.signing_private_key)
    encryption = EncryptionKey.from_base64(settings.encryption_private_key)
    now = utcnow()
    missing = [k for k in ("gst", "pan", "name_of_authorised_signatory", "address_of_authorised_signatory",
                           "email_id", "mobile_no", "city_code") if k not in entity]
    if missing:
        raise click.ClickException(f"the entity file lacks: {', '.join(missing)}")
    domains = entity.get("domains") or ["ONDC:RET10", "ONDC:RET12", "ONDC:RET16"]
    return {
        "context": {"operation": {"ops_no": 2}},
        "message": {
            "request_id": request_id,
            "timestamp": format_timestamp(now),
            "entity": {
                "gst": entity["gst"], "pan": entity["pan"],
                "name_of_authorised_signatory": entity["name_of_authorised_signatory"],
                "address_of_authorised_signatory": entity["address_of_authorised_signatory"],
                "email_id": entity["email_id"], "mobile_no": entity["mobile_no"], "country": "IND",
                "subscriber_id": settings.subscriber_id, "unique_key_id": settings.unique_key_id,
                "callback_url": settings.ondc_base_path,
                "key_pair": {
                    "signing_public_key": signing.public_key_b64,
                    "encryption_public_key": encryption.public_key_b64,
                    "valid_from": format_timestamp(now),
                    "valid_until": format_timestamp(now.replace(year=now.year + 1)),
                },
            },
            "network_participant": [
                {"subscriber_url": settings.ondc_base_path, "domain": domain, "type": "sellerApp",
                 "msn": bool(entity.get("msn", True)), "city_code": list(entity["city_code"])}
                for domain in domains
            ],
        },
    }


@registry.command("subscribe")
@click.option("--entity", "entity_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              required=True, help="YAML/JSON with gst, pan, signatory, email_id, mobile_no, city_code, domains.")
@click.option("--dry-run", is_flag=True, help="Print the payload instead of sending it.")
def registry_subscribe(entity_file: Path, dry_run: bool) -> None:
    """Build the /subscribe payload from settings and send it to REGISTRY_ENV's registry."""
    settings = load_cli_settings()
    entity = yaml.safe_load(entity_file.read_text(encoding="utf-8"))
    if not isinstance(entity, dict):
        raise click.ClickException(f"{entity_file} must hold a mapping")
    request_id = str(uuid.uuid4())
    payload = subscribe_payload(settings, entity, request_id)
    if dry_run:
        click.echo(json.dumps(payload, indent=2))
        return
    # The site-verification page signs this request_id; keep it where the web app can read it.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "ondc-request-id").write_text(request_id + "\n")
    url = f"{REGISTRY_URLS[settings.registry_env]}/subscribe"
    with HttpClient(connect_timeout=settings.callback_connect_timeout,
                    read_timeout=max(settings.callback_read_timeout, 30.0)) as http:
        try:
            result = http.post(url, orjson.dumps(payload), {"Content-Type": "application/json"})
        except TransportError as error:
            raise click.ClickException(f"could not reach {url}: {error}") from error
    click.echo(f"{url} answered HTTP {result.status_code}: {result.body.decode(errors='replace')[:2000]}")
    if result.status_code >= 300:
        raise click.exceptions.Exit(1)


@click.command()
def doctor() -> None:
    """Check keys, our registry entry, a self-signed request and the public URL; explain what to fix."""
    settings = load_cli_settings()
    problems = 0

    def report(ok: bool, what: str, fix: str = "") -> None:
        nonlocal problems
        problems += 0 if ok else 1
        click.echo(f"{'ok  ' if ok else 'FAIL'}  {what}" + ("" if ok or not fix else f"\n      fix: {fix}"))

    signing = encryption = None
    demo_keys = settings.data_dir / "ondc-keys.json"
    if not settings.signing_private_key and demo_keys.exists():
        # `odop-adapter up` generated these for local runs and passes them to the processes it starts.
        demo = load_or_create_keys(demo_keys)
        settings = replace(settings, signing_private_key=demo.signing_private_key,
                           encryption_private_key=demo.encryption_private_key)
        click.echo(f"note  using the local demo keys in {demo_keys}")
    try:
        signing = SigningKey.from_base64(settings.signing_private_key or "")
        report(True, f"signing key parses (public key {signing.public_key_b64})")
    except KeyFormatError as error:
        report(False, f"signing key: {error}", "set ONDC_SIGNING_PRIVATE_KEY (see `odop-adapter keys generate`)")
    try:
        encryption = EncryptionKey.from_base64(settings.encryption_private_key or "")
        report(True, "encryption key parses")
    except KeyFormatError as error:
        report(False, f"encryption key: {error}", "set ONDC_ENCRYPTION_PRIVATE_KEY (PKCS#8 DER, base64)")
    entry = None
    try:
        entry = make_registry(settings, redis_client=None).lookup(settings.subscriber_id, settings.unique_key_id,
                                                                   now=utcnow())
        report(entry is not None, f"registry lists {settings.subscriber_id!r} key {settings.unique_key_id!r}",
               "subscribe (`odop-adapter registry subscribe`) or add us to REGISTRY_FILE")
    except (RegistryError, RegistryConfigError, RegistryFileError) as error:
        report(False, f"registry lookup failed: {error}", "check REGISTRY_MODE, REGISTRY_ENV and REGISTRY_FILE")
    if entry is not None and signing is not None:
        report(entry.signing_public_key == signing.public_key_b64, "registered signing key matches ours",
               "the registry has another public key: re-subscribe with the current keys, or restore the old key")
    if entry is not None and encryption is not None:
        report(entry.encr_public_key == encryption.public_key_b64, "registered encryption key matches ours",
               "re-subscribe with the current encryption key")
    if entry is not None and signing is not None:
        body = b'{"context":{},"message":{}}'
        now = int(utcnow().timestamp())
        header = sign_request(body, subscriber_id=settings.subscriber_id, unique_key_id=settings.unique_key_id,
                              key=signing, created=now, expires=now + 60)
        try:
            verify_request(body, header, public_key_b64=entry.signing_public_key, now=now)
            report(True, "a request we sign verifies with our registered key")
        except (SignatureError, KeyFormatError) as error:
            report(False, f"self-signed request does not verify: {error}", "the registered key is not ours")
    with HttpClient(connect_timeout=settings.callback_connect_timeout, read_timeout=5.0) as http:
        url = f"{settings.subscriber_url}/healthz"
        try:
            status = http.get(url).status_code
            report(status == 200, f"{url} answers HTTP {status}", "start the web server, or fix ONDC_SUBSCRIBER_URL")
        except TransportError as error:
            report(False, f"{url} does not answer: {error}",
                   "start the web server (`odop-adapter up`/`web`) or set ONDC_SUBSCRIBER_URL to the public URL")
    click.echo("all checks passed" if not problems else f"{problems} problem(s) found")
    if problems:
        raise click.exceptions.Exit(1)


@click.group("outbox")
def outbox_group() -> None:
    """Callbacks waiting, sent and dead-lettered."""


@outbox_group.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "dead"]))
@click.option("--bap-id")
@click.option("--limit", type=int, default=50, show_default=True)
def outbox_list(status: str | None, bap_id: str | None, limit: int) -> None:
    """List outbox rows, newest first."""
    settings = load_cli_settings()
    with cli_sessions(settings)() as session:
        click.echo("depth: " + ", ".join(f"{k}={v}" for k, v in sorted(outbox.depth(session).items())))
        for row in outbox.list_messages(session, status=status, bap_id=bap_id, limit=limit):
            click.echo(f"{row.id}\t{row.status}\t{row.action}\t{row.bap_id}\tattempts={row.attempts}\t"
                       f"{row.transaction_id}\t{(row.last_error or '')[:80]}")


@outbox_group.command("replay")
@click.argument("outbox_id", type=int, required=False)
@click.option("--all-dead", is_flag=True, help="Replay every dead-lettered row.")
@click.option("--bap-id", help="With --all-dead: only this buyer app's rows.")
@click.option("--force", is_flag=True,
              help="With OUTBOX_ID: send it even though an earlier POST may already have reached the buyer app.")
def outbox_replay(outbox_id: int | None, all_dead: bool, bap_id: str | None, force: bool) -> None:
    """Send a dead-lettered (or pending) row again, or all dead rows that cannot have been delivered."""
    if (outbox_id is None) == (not all_dead):
        raise click.UsageError("give an OUTBOX_ID or --all-dead")
    settings = load_cli_settings()
    from workers.app import make_celery

    celery = make_celery(settings)
    try:
        with transaction(cli_sessions(settings)) as session:
            if outbox_id is not None:
                ids = [outbox.replay(session, outbox_id, utcnow(), settings.unsolicited_delivery_window,
                                     force=force).id]
            else:
                ids = outbox.dead_ids(session, utcnow(), bap_id=bap_id)
                outbox.replay_dead(session, utcnow(), settings.unsolicited_delivery_window, bap_id=bap_id)
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    send_deliveries(celery, ids)
    click.echo(f"replaying {len(ids)} row(s)")

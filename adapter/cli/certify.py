"""``odop-adapter certify``: logs for ONDC's pre-production review, checked with ONDC's own validator.

``certify run`` drives ONDC's flows against the running adapter with the test buyer app and writes the bundle;
``certify export`` writes the messages of stored transactions (a buyer app's, or the test buyer's) as ONDC's review
asks for them, one numbered file per message. Both run the vendored log-validation-utility on what they write.
docs/certification.md.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import orjson
from sqlalchemy.exc import SQLAlchemyError

from adapter.certification import driver
from adapter.certification.bundle import stored_messages, write_bundle
from adapter.certification.validator import Validator, ValidatorUnavailable, Verdict
from adapter.cli.buyer import Identity, identity_options, load_identity, load_registry, signature
from adapter.cli.buyer_inbox import Inbox, start_server
from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.cli.processes import saved_admin_key
from adapter.delivery.http import HttpClient, TransportError
from config import Settings

__all__ = ["certify"]

FLOWS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")
# What to do about a validator error that comes from the adapter's settings rather than its code.
HINTS = (
    ("Pan_id shouldn't be same in tax_number and provider_tax_number",
     "a marketplace (np_type MSN) seller app states its own GSTIN as tax_number: set SELLER_APP_GSTIN on the "
     "adapter (docs/operations.md)"),
)


@click.group()
def certify() -> None:
    """Logs for ONDC's pre-production review, checked with ONDC's validator."""


def _keys(values: tuple[str, ...]) -> dict[int, str]:
    keys: dict[int, str] = {}
    for value in values:
        number, _, key = value.partition("=")
        if not number.isdigit() or not key:
            raise click.BadParameter(f"{value!r}: use NUMBER=KEY, e.g. 9=on_update_part_cancel", param_hint="--key")
        keys[int(number)] = key
    return keys


@certify.command("export")
@click.option("--transaction", "transactions", multiple=True, required=True, metavar="ID",
              help="A transaction_id to include (repeat for flows of several transactions, e.g. flow 1).")
@click.option("--flow", type=click.Choice(FLOWS), required=True, help="The flow these messages show (ONDC 1.2).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write flow-N/ into.")
@click.option("--key", "key_values", multiple=True, metavar="N=KEY",
              help="Name the utility's payload key of message N where its action does not say it "
                   "(e.g. 9=on_update_part_cancel).")
@click.option("--no-validate", is_flag=True, help="Only write the messages; do not run ONDC's validator.")
def export(transactions: tuple[str, ...], flow: str, out: Path, key_values: tuple[str, ...],
           no_validate: bool) -> None:
    """Write stored transactions as a flow's logs and check them with ONDC's validator (exit 1 on a fault)."""
    keys = _keys(key_values)
    folder = out / f"flow-{flow}"
    if folder.exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} is not empty: a bundle for the review must hold one run only; "
                                   "remove it or give another --out")
    settings = load_cli_settings()
    sessions = cli_sessions(settings)
    try:
        with sessions() as session:
            messages = stored_messages(session, transactions)
    except SQLAlchemyError as error:
        raise click.ClickException(f"cannot read the stored transactions: {error.__class__.__name__}: "
                                   f"{str(error).splitlines()[0]}") from error
    finally:
        sessions.kw["bind"].dispose()
    if not messages:
        raise click.ClickException(f"no messages stored for transaction {', '.join(transactions)}")
    unknown = sorted(n for n in keys if not 1 <= n <= len(messages))
    if unknown:
        raise click.BadParameter(f"there are {len(messages)} messages; no message {unknown[0]}", param_hint="--key")
    try:
        request = write_bundle(folder, messages, {id(messages[n - 1]): key for n, key in keys.items()})
    except OSError as error:
        raise click.ClickException(f"cannot write {folder}: {error.strerror or error}") from error
    click.echo(f"{len(messages)} messages written to {folder}/")
    if no_validate:
        return
    try:
        validator = Validator.cached(settings.data_dir / "cache")
        verdict = validator.run(flow, request, case=",".join(transactions))
        report = out / f"flow-{flow}.report.txt"
        report.write_text(verdict.output, encoding="utf-8")
    except (ValidatorUnavailable, OSError, subprocess.SubprocessError) as error:
        raise click.ClickException(f"ONDC's validator cannot run: {error}") from error
    click.echo(f"ONDC's validator, flow {flow} ({verdict.domain}): {len(verdict.seller_errors)} seller-side "
               f"error(s), {len(verdict.defects)} of them the validator's own known defects "
               f"(docs/certification.md); full report: {report}")
    for line in verdict.faults:
        click.echo(f"  {line}")
    if verdict.faults:
        raise SystemExit(1)


class _CliWire:
    """The driver's wire for ``certify run``: the test buyer's keys, its callback server, the operator API."""

    def __init__(self, settings: Settings, identity: Identity, inbox: Inbox, api_url: str, admin_key: str) -> None:
        self.settings, self.identity, self.inbox = settings, identity, inbox
        self.api_url, self.admin_key = api_url.rstrip("/"), admin_key
        self.http = HttpClient(connect_timeout=5, read_timeout=30, user_agent="odop-adapter-certify",
                               max_response_bytes=16 * 1024 * 1024)

    def post(self, url: str, raw: bytes) -> tuple[int, Any]:
        headers = {"Authorization": signature(self.settings, self.identity, raw), "Content-Type": "application/json"}
        return self._call("POST", url, raw, headers)

    def callbacks(self, action: str | None) -> list[dict[str, Any]]:
        # Only callbacks whose signature checked out (the inbox NACKs the others and says why).
        return [c.body for c in self.inbox.callbacks(action=action) if c.acked and isinstance(c.body, dict)]

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.admin_key}"}
        raw = None
        if body is not None:
            raw, headers["Content-Type"] = orjson.dumps(body), "application/json"
        return self._call(method, f"{self.api_url}{path}", raw, headers)

    def _call(self, method: str, url: str, raw: bytes | None, headers: dict[str, str]) -> tuple[int, Any]:
        try:
            result = self.http.send(method, url, raw, headers)
        except TransportError as error:
            raise driver.DriveError(f"cannot reach {url} ({error}); is the adapter running (`make run`)?") from error
        try:
            return result.status_code, orjson.loads(result.body)
        except orjson.JSONDecodeError:
            return result.status_code, {"body": result.body[:300].decode("utf-8", errors="replace")}


def _api_url(settings: Settings) -> str:
    host, _, port = settings.bind.rpartition(":")
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '', '[::]') else host}:{port}"


def _checked_api_url(url: str) -> str:
    """The operator API's URL; the admin key goes there, so only over https unless it is this machine."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--api-url")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter(f"{url}: the admin key is sent there; use https for another machine",
                                 param_hint="--api-url")
    return url


def _cooperative(wire: _CliWire, slug: str, settings: Settings, domain: str | None) -> driver.Cooperative:
    status, answer = wire.api("GET", f"/api/v1/cooperatives/{slug}/profile")
    if status == 404:
        raise click.ClickException(f"no cooperative {slug!r} on the adapter at {wire.api_url}, or it has no "
                                   "profile yet")
    profile = answer.get("profile") if isinstance(answer, dict) else None
    if status != 200 or not isinstance(profile, dict) or not profile.get("domains") or not profile.get("locations"):
        raise click.ClickException(f"cannot read the profile of {slug!r}: HTTP {status} {str(answer)[:300]}")
    domains = profile["domains"]
    if domain is not None and domain not in domains:
        raise click.ClickException(f"{slug} does not sell in {domain}; it sells in {', '.join(domains)}")
    return driver.Cooperative(
        slug=slug, provider_id=slug if profile.get("np_type") == "MSN" else settings.subscriber_id,
        domain=domain or domains[0], city=profile["locations"][0]["city_code"],
        has_creds=bool(profile.get("credentials")), push_wait=settings.sync_debounce_seconds + 60.0)


def _flows(value: str | None, coop: driver.Cooperative) -> list[str]:
    if value is None:
        return [f for f in driver.FLOWS if f != "017" or coop.has_creds]
    chosen = [f.strip() for f in value.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in driver.FLOWS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(driver.FLOWS)} (flows 5 and 6 need a cooperative that "
                                 "accepts orders by hand; see docs/certification.md)", param_hint="--flows")
    return list(dict.fromkeys(chosen))


@certify.command("run")
@click.option("--cooperative", "slug", required=True, help="The cooperative to certify (its slug).")
@click.option("--flows", "flow_list", default=None, metavar="8,1,7,9,2,3,4,017",
              help="Which flows (default: all of these; 017 when the profile has credentials).")
@click.option("--domain", default=None, help="The domain to run in (default: the profile's first).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("certification"),
              show_default=True, help="Folder to write flow-N/ into.")
@click.option("--api-url", default=None, help="The adapter's base URL for the operator API (default: from BIND).")
@click.option("--port", type=click.IntRange(0, 65535), default=0,
              help="Where the test buyer receives callbacks on 127.0.0.1 (default: any free port).")
@click.option("--yes", is_flag=True, help="Do not ask before placing test orders.")
@identity_options
def run(slug: str, flow_list: str | None, domain: str | None, out: Path, api_url: str | None, port: int,
        yes: bool, subscriber_id: str | None, key_id: str | None, keys_file: Path | None,
        bpp_uri: str | None) -> None:
    """Drive ONDC's flows against the running adapter with the test buyer; write and check the bundle.

    Places real test orders with the cooperative (delivered or cancelled by the run: delivered units leave the
    stock), changes a price until its push has gone out to subscribed buyer apps (up to SYNC_DEBOUNCE_SECONDS +
    60 s) and lowers a stock for one select, then puts both back. Use it on a staging or pre-production adapter,
    never in production. A flow that fails midway leaves its order where it stopped (cancel it in the console).
    """
    settings = load_cli_settings()
    if settings.environment == "production":
        raise click.ClickException("certify run places test orders: run it against a staging or pre-production "
                                   "adapter, not one with ENVIRONMENT=production")
    admin_key = saved_admin_key(settings)
    if admin_key is None:
        raise click.ClickException("no admin key: set ADMIN_API_KEY, or start the adapter once with "
                                   "`odop-adapter up` (`make run`), which saves one under DATA_DIR")
    identity = load_identity(settings, subscriber_id, key_id, keys_file)
    with tempfile.TemporaryDirectory(prefix="odop-certify-") as scratch:
        inbox = Inbox(load_registry(settings), Path(scratch), clock_skew=settings.signature_clock_skew,
                      echo=lambda _line: None)
        try:
            server, _thread = start_server(inbox, "127.0.0.1", port)
        except OSError as error:
            raise click.ClickException(f"cannot listen on 127.0.0.1:{port} ({error.strerror or error})") from None
        try:
            wire = _CliWire(settings, identity, inbox, _checked_api_url(api_url or _api_url(settings)), admin_key)
            try:
                coop = _cooperative(wire, slug, settings, domain)
            except driver.DriveError as error:
                raise click.ClickException(str(error)) from None
            flows = _flows(flow_list, coop)
            party = driver.Party(bap_id=identity.subscriber_id, bap_uri=f"http://127.0.0.1:{server.server_port}",
                                 bpp_id=settings.subscriber_id, bpp_uri=(bpp_uri or settings.bpp_uri).rstrip("/"))
            busy = [f"flow-{f}" for f in flows if (out / f"flow-{f}").exists() and any((out / f"flow-{f}").iterdir())]
            if busy:
                raise click.ClickException(f"{out} already holds {', '.join(busy)}: a bundle holds one run; remove "
                                           "them or give another --out")
            click.echo(f"certifying {slug} ({coop.domain}, provider {coop.provider_id}) against {party.bpp_uri}, "
                       f"flows {', '.join(flows)}; logs into {out}/")
            if not yes and any(f in ("2", "3", "4", "017") for f in flows):
                click.confirm("This places test orders with the cooperative (each is delivered or cancelled by "
                              "the run). Go on?", abort=True)
            failed = _run_flows(wire, party, coop, flows, out, settings)
        finally:
            server.shutdown()
            server.server_close()
    if failed:
        raise SystemExit(1)


def _run_flows(wire: _CliWire, party: driver.Party, coop: driver.Cooperative, flows: list[str], out: Path,
               settings: Settings) -> bool:
    try:
        validator = Validator.cached(settings.data_dir / "cache")
    except (ValidatorUnavailable, OSError, subprocess.SubprocessError) as error:
        raise click.ClickException(f"ONDC's validator cannot run: {error}") from error
    failed = False
    for number, flow in enumerate(flows, start=1):
        runner, title = driver.FLOWS[flow]
        click.echo(f"[{number}/{len(flows)}] flow {flow} ({title}) ... ", nl=False)
        try:
            tx = runner(wire, party, coop)
            request = tx.save(out / f"flow-{flow}")
            verdict: Verdict = validator.run(flow, request, case=coop.slug)
        except driver.DriveError as error:
            click.echo(f"FAILED: {error}")
            failed = True
            continue
        except (ValidatorUnavailable, OSError, subprocess.SubprocessError) as error:
            click.echo(f"written, but ONDC's validator cannot run: {error}")
            failed = True
            continue
        (out / f"flow-{flow}.report.txt").write_text(verdict.output, encoding="utf-8")
        click.echo(f"{len(tx.messages)} messages, {len(verdict.seller_errors)} seller-side error(s), "
                   f"{len(verdict.defects)} of them the validator's known defects")
        for line in verdict.faults:
            click.echo(f"    {line}")
        for hint in {hint for line in verdict.faults for needle, hint in HINTS if needle in line}:
            click.echo(f"    hint: {hint}")
        failed = failed or bool(verdict.faults)
    click.echo(f"bundle in {out}/ ({'some flows need attention' if failed else 'every flow passes'})")
    return failed

"""``odop-adapter certify``: logs for ONDC's pre-production review, checked with ONDC's own validator.

``certify export`` writes the messages of stored transactions (a buyer app's, or the test buyer's) as ONDC's review
asks for them, one numbered file per message, and runs the vendored log-validation-utility on them.
docs/certification.md.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from adapter.certification.bundle import stored_messages, write_bundle
from adapter.certification.validator import Validator, ValidatorUnavailable
from adapter.cli.common import load_cli_settings
from adapter.store.db import make_engine, make_sessionmaker

__all__ = ["certify"]

FLOWS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


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
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            messages = stored_messages(session, transactions)
    except SQLAlchemyError as error:
        raise click.ClickException(f"cannot read the stored transactions: {error.__class__.__name__}: "
                                   f"{str(error).splitlines()[0]}") from error
    finally:
        engine.dispose()
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

"""``odop-adapter``: run the service, migrate the database and manage cooperatives."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from adapter.cli.buyer import buyer
from adapter.cli.catalog import catalog, set_profile
from adapter.cli.certify import certify
from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.cli.courier import courier
from adapter.cli.demo_network import COURIER_PORT
from adapter.cli.network import doctor, keys, outbox_group, registry
from adapter.cli.orders import orders
from adapter.cli.processes import run_beat, run_up, run_web, run_worker
from adapter.cli.sync import set_source, sync
from adapter.errors import AdapterError
from adapter.store import migrate
from adapter.store.cooperatives import create_cooperative, list_cooperatives
from adapter.store.db import transaction

# What SQLite and PostgreSQL say when the tables a command reads are not there (yet): a database never migrated,
# or one migrated by an older version.
_NO_SCHEMA = re.compile(r"no such table|no such column|relation \S+ does not exist|column \S+ does not exist",
                        re.IGNORECASE)


class _Cli(click.Group):
    """The command group: every failure is one plain line (a database without our tables is an instruction to
    migrate); ``--debug`` (or ODOP_DEBUG=1) shows the traceback instead."""

    def invoke(self, ctx: click.Context) -> Any:
        debug = bool(ctx.params.get("debug")) or os.environ.get("ODOP_DEBUG") == "1"
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError) as error:
            if debug:
                raise
            detail = str(error.orig if error.orig is not None else error).strip().splitlines()[0]
            if _NO_SCHEMA.search(detail):
                raise click.ClickException(
                    f"the database is not set up for this version ({detail}): run `odop-adapter db upgrade` first "
                    "(`make run` and `odop-adapter up` do it for you)") from None
            raise click.ClickException(f"the database failed: {detail} (check DATABASE_URL and that the "
                                       "database is running; --debug shows the traceback)") from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if debug:
                raise
            detail = (str(error).strip().splitlines() or [""])[0][:300]
            raise click.ClickException(f"{type(error).__name__}: {detail} (run again with --debug for the "
                                       "traceback)") from None


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
def cli(debug: bool) -> None:
    """ONDC seller adapter for ODOP artisan cooperatives."""


@cli.command()
@click.option("--no-demo", is_flag=True, help="Do not seed the demo cooperatives into an empty database.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port to serve on (default 8080); also sets ONDC_SUBSCRIBER_URL unless that is set.")
@click.option("--with-courier", is_flag=True,
              help="Also run the test courier (ONDC:LOG10/LOG11 logistics seller) and list it in the registry.")
@click.option("--courier-port", type=click.IntRange(1, 65535), default=COURIER_PORT, show_default=True,
              help="With --with-courier: the courier's port.")
@click.option("--courier-step", type=click.FloatRange(0), default=5.0, show_default=True,
              help="With --with-courier: seconds between a parcel's states (0: only `courier move`).")
def up(no_demo: bool, port: int | None, with_courier: bool, courier_port: int, courier_step: float) -> None:
    """Migrate, seed demo data and run web, worker and beat together (Ctrl-C stops all)."""
    # Local runs call the demo buyer on 127.0.0.1, which the URL rules refuse unless allowed (never in production).
    if os.environ.get("ENVIRONMENT") != "production":
        os.environ.setdefault("ALLOW_PRIVATE_CALLBACKS", "true")
    if port is not None:
        os.environ["BIND"] = f"127.0.0.1:{port}"
        os.environ.setdefault("ONDC_SUBSCRIBER_URL", f"http://127.0.0.1:{port}")
    sys.exit(run_up(load_cli_settings(), seed_demo=not no_demo,
                    courier_port=courier_port if with_courier else None, courier_step=courier_step))


@cli.command()
def web() -> None:
    """Run the web server (gunicorn)."""
    run_web(load_cli_settings())


@cli.command()
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def worker(celery_args: tuple[str, ...]) -> None:
    """Run a Celery worker (extra arguments go to celery)."""
    run_worker(load_cli_settings(), celery_args)


@cli.command()
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
def beat(celery_args: tuple[str, ...]) -> None:
    """Run the Celery beat scheduler (exactly one per deployment)."""
    run_beat(load_cli_settings(), celery_args)


@cli.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database up (default: to the newest revision)."""
    settings = load_cli_settings()
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.database_revision(settings.database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ('base' removes every table)."""
    settings = load_cli_settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database at {migrate.database_revision(settings.database_url)}")


@db.command("current")
def db_current() -> None:
    """Show the database's revision and the newest one shipped."""
    settings = load_cli_settings()
    current = migrate.database_revision(settings.database_url)
    click.echo(f"current: {current or 'none'}  head: {migrate.head_revision(settings.database_url)}")


@cli.group()
def cooperative() -> None:
    """Manage cooperatives (sellers)."""


@cooperative.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The cooperative's display name.")
def cooperative_create(slug: str, name: str) -> None:
    """Create a cooperative and print its API key (shown once)."""
    sessions = cli_sessions(load_cli_settings())
    try:
        with transaction(sessions) as session:
            created, key = create_cooperative(session, slug, name)
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"created cooperative {created.slug!r} ({created.name})")
    click.echo(f"API key (shown once, store it now): {key.plain}")


@cooperative.command("list")
def cooperative_list() -> None:
    """List cooperatives."""
    sessions = cli_sessions(load_cli_settings())
    with sessions() as session:
        for row in list_cooperatives(session):
            click.echo(f"{row.slug}\t{row.name}\t{'active' if row.active else 'inactive'}")


cli.add_command(catalog)
cli.add_command(keys)
cli.add_command(registry)
cli.add_command(doctor)
cli.add_command(outbox_group)
cli.add_command(buyer)
cooperative.add_command(set_profile)
cooperative.add_command(set_source)
cli.add_command(sync)
cli.add_command(orders)
cli.add_command(certify)
cli.add_command(courier)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="odop-adapter")

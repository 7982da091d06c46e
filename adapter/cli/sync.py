"""``odop-adapter sync ...`` and ``odop-adapter cooperative source``: start and watch catalogue syncs."""

from __future__ import annotations

import sys
import time

import click

from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.delivery.urls import UnsafeUrlError, validate_callback_url
from adapter.errors import AdapterError
from adapter.store import sync as sync_store
from adapter.store.cooperatives import get_cooperative
from adapter.store.db import transaction
from adapter.store.models import utcnow
from catalog_sync.services.progress import progress_line
from config import Settings
from workers.app import make_celery
from workers.sync import queue_sync


@click.group()
def sync() -> None:
    """Catalogue syncs to subscribed buyer apps."""


def watch_job(settings: Settings, job_id: int, *, interval: float = 0.5, timeout: float | None = None) -> str:
    """Show a live progress line until the job finishes; return its final state."""
    sessions = cli_sessions(settings)
    live = sys.stdout.isatty()
    last = ""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        with sessions() as session:
            job = sync_store.get_job(session, job_id)
            line, state = progress_line(job, utcnow()), job.state
            errors = list(job.errors)
        if line != last:
            click.echo(("\r" + line.ljust(100)) if live else line, nl=not live)
            last = line
        if state not in sync_store.ACTIVE:
            if live:
                click.echo()
            for error in errors[:20]:
                click.echo(f"  error: {error}", err=True)
            return state
        if deadline is not None and time.monotonic() > deadline:
            click.echo("\nstill running; watch it with `odop-adapter sync watch " + str(job_id) + "`", err=True)
            return state
        time.sleep(interval)


@sync.command("start")
@click.argument("slug")
@click.option("--full", is_flag=True, help="Send the whole catalogue, not just the changes.")
@click.option("--bap-id", help="With --full: only this buyer app.")
@click.option("--wait", is_flag=True, help="Show progress until the sync finishes.")
def sync_start(slug: str, full: bool, bap_id: str | None, wait: bool) -> None:
    """Start a sync for cooperative SLUG (or join the one already running)."""
    settings = load_cli_settings()
    sessions = cli_sessions(settings)
    try:
        with sessions() as session:
            cooperative_id = get_cooperative(session, slug).id
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    job, created = queue_sync(make_celery(settings), sessions, cooperative_id, kind="full" if full else "incremental",
                              requested_by="cli", bap_id=bap_id)
    click.echo(f"{'started' if created else 'already running:'} sync job {job.id}")
    if wait and watch_job(settings, job.id) != "succeeded":
        raise click.exceptions.Exit(1)


@sync.command("watch")
@click.argument("job_id", type=int)
def sync_watch(job_id: int) -> None:
    """Show a sync's progress until it finishes (exit 1 unless it succeeds)."""
    try:
        state = watch_job(load_cli_settings(), job_id)
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    if state != "succeeded":
        raise click.exceptions.Exit(1)


@sync.command("list")
@click.argument("slug")
def sync_list(slug: str) -> None:
    """A cooperative's recent syncs."""
    settings = load_cli_settings()
    with cli_sessions(settings)() as session:
        try:
            cooperative = get_cooperative(session, slug)
        except AdapterError as error:
            raise click.ClickException(error.message) from error
        for job in sync_store.list_jobs(session, cooperative.id):
            counts = ", ".join(f"{k}={v}" for k, v in sorted(job.counts.items()))
            click.echo(f"{job.id}\t{job.created_at:%Y-%m-%d %H:%M}\t{job.state}\t{job.kind}\t{counts}\t"
                       f"{job.reason or ''}")


@sync.command("cancel")
@click.argument("job_id", type=int)
def sync_cancel(job_id: int) -> None:
    """Cancel a queued or running sync."""
    settings = load_cli_settings()
    try:
        with transaction(cli_sessions(settings)) as session:
            sync_store.cancel_job(session, sync_store.get_job(session, job_id))
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"sync job {job_id} cancelled")


@click.command("source")
@click.argument("slug")
@click.argument("url")
@click.option("--interval-minutes", type=click.IntRange(1, 7 * 24 * 60), default=60, show_default=True)
@click.option("--disable", is_flag=True, help="Keep the URL but stop fetching it.")
def set_source(slug: str, url: str, interval_minutes: int, disable: bool) -> None:
    """Fetch cooperative SLUG's catalogue from URL (CSV, XLSX or JSON) every --interval-minutes."""
    settings = load_cli_settings()
    try:
        validate_callback_url(url, allow_private=settings.allow_private_callbacks,
                              require_https=settings.environment == "production")
        with transaction(cli_sessions(settings)) as session:
            cooperative = get_cooperative(session, slug)
            sync_store.set_source(session, cooperative.id, url=url, interval_seconds=interval_minutes * 60,
                                  enabled=not disable)
    except UnsafeUrlError as error:
        raise click.ClickException(f"{url}: {error}") from error
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"{slug}: catalogue source set to {url}, every {interval_minutes} min"
               + (" (disabled)" if disable else ""))

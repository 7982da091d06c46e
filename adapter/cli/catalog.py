"""``odop-adapter catalog ...`` and ``odop-adapter cooperative profile``."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import yaml

from adapter.cli.common import cli_sessions, load_cli_settings
from adapter.errors import AdapterError
from adapter.protocol.identity import SellerApp
from adapter.store.cooperatives import get_cooperative
from adapter.store.db import transaction
from adapter.store.models import utcnow
from catalog_sync.categories import template_csv
from catalog_sync.errors import CatalogueError, ProfileError
from catalog_sync.model import Profile
from catalog_sync.plan import render_plan_text
from catalog_sync.profile import load_profile
from catalog_sync.report import render_report_text
from catalog_sync.services import catalogue as catalogues
from config import Settings


def _sessions(settings: Settings) -> Any:
    return cli_sessions(settings)


def _limits(settings: Settings) -> catalogues.Limits:
    return catalogues.Limits.from_settings(settings)


def read_document(path: Path) -> dict[str, Any]:
    """A YAML or JSON file that must hold a mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from error
    if not isinstance(data, dict):
        raise click.ClickException(f"{path} must hold a mapping of profile fields")
    return data


@click.group()
def catalog() -> None:
    """Catalogue templates, validation, import and rendering."""


@catalog.command()
@click.option("--category", required=True, help='An ONDC category, e.g. "Home Decor".')
def template(category: str) -> None:
    """Print a CSV template with exactly the columns CATEGORY needs."""
    try:
        click.echo(template_csv(category), nl=False)
    except CatalogueError as error:
        raise click.ClickException(error.message) from error


@catalog.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cooperative", "slug", help="Check location ids against this cooperative's profile.")
@click.option("--profile", "profile_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check against a profile file instead.")
@click.option("--category", help="Only accept rows of this ONDC category.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(file: Path, slug: str | None, profile_file: Path | None, category: str | None, fmt: str) -> None:
    """Validate FILE; exit 0 when it can be imported, 1 when it has errors."""
    settings = load_cli_settings()
    profile: Profile | None = None
    try:
        if profile_file is not None:
            profile = load_profile(read_document(profile_file))
        elif slug:
            with _sessions(settings)() as session:
                profile = catalogues.profile_of(get_cooperative(session, slug))
        report = catalogues.validate_file(file.read_bytes(), file.name, _limits(settings), profile)
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    if category:
        report = catalogues.restrict_to_category(report, category)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(render_report_text(report))
    sys.exit(0 if report.ok else 1)


@catalog.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--cooperative", "slug", required=True)
@click.option("--dry-run", is_flag=True, help="Show what the file would change, and change nothing.")
@click.option("--yes", "confirm", is_flag=True,
              help="Go ahead when the file removes many items or is the unchanged template.")
@click.option("--counted-now", is_flag=True,
              help="New stock figures were counted just now (default: as of each item's last count).")
def import_(file: Path, slug: str, dry_run: bool, confirm: bool, counted_now: bool) -> None:
    """Import FILE as a new catalogue version (nothing is imported when it has errors).

    What would change is shown first; a mass removal or the unchanged template asks before it goes ahead.
    """
    settings = load_cli_settings()
    sessions, data = _sessions(settings), file.read_bytes()

    def run(*, confirmed: bool, dry: bool) -> catalogues.ImportResult:
        with transaction(sessions) as session:
            return catalogues.import_catalogue(session, get_cooperative(session, slug), data, file.name,
                                               _limits(settings), source="cli", dry_run=dry, confirm=confirmed,
                                               counted_now=counted_now)

    try:
        # First the plan, with nothing locked: asking must not hold up the orders of every cooperative.
        result = run(confirmed=confirm, dry=True)
        if result.plan is not None and (dry_run or result.unconfirmed or result.plan.conflicts):
            click.echo(render_plan_text(result.plan))
        if result.plan is not None and not dry_run:
            if result.unconfirmed and (not sys.stdin.isatty()
                                       or not click.confirm("Go ahead?", default=False, err=True)):
                raise click.ClickException("nothing was imported (run again with --yes to go ahead)")
            result = run(confirmed=confirm or bool(result.unconfirmed), dry=False)
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    if result.plan is None:
        click.echo(render_report_text(result.report))
        click.echo("nothing was imported", err=True)
        sys.exit(1)
    if dry_run:
        return
    if result.version is None:  # the catalogue changed between the plan and the import
        raise click.ClickException("nothing was imported: the catalogue changed meanwhile; run the import again")
    if result.created:
        click.echo(f"imported version {result.version.number} ({result.version.item_count} items)")
    else:
        click.echo(f"unchanged: nothing to change from version {result.version.number}; no new version")


@catalog.command()
@click.option("--cooperative", "slug", required=True)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: the suggested file name, in the current folder).")
def download(slug: str, fmt: str, output: Path | None) -> None:
    """Write the current catalogue to a file to edit and import back (sales after the download are kept)."""
    settings = load_cli_settings()
    try:
        with _sessions(settings)() as session:
            body, filename = catalogues.download(session, get_cooperative(session, slug), fmt, utcnow())
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    target = output or Path(filename)
    target.write_bytes(body)
    click.echo(f"wrote {target} ({len(body)} bytes)")


@catalog.command()
@click.option("--cooperative", "slug", required=True)
def undo(slug: str) -> None:
    """Go back to the catalogue before the last import, as a new version (sales since are kept)."""
    settings = load_cli_settings()
    try:
        with transaction(_sessions(settings)) as session:
            result = catalogues.undo_last(session, get_cooperative(session, slug), _limits(settings))
            assert result.version is not None
            number, created = result.version.number, result.created
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    click.echo(f"restored: version {number}" if created else f"nothing to undo: version {number} is the same")


@catalog.command()
@click.option("--cooperative", "slug", required=True)
@click.option("--domain", help="ONDC domain, e.g. ONDC:RET16 (default: every domain the cooperative sells in).")
def render(slug: str, domain: str | None) -> None:
    """Print the full on_search JSON with a fresh context."""
    settings = load_cli_settings()
    try:
        with _sessions(settings)() as session:
            catalogue = catalogues.current_catalogue(session, get_cooperative(session, slug))
        bpp = catalogues.bpp_info(SellerApp.from_settings(settings), catalogue.profile)
        domains = [domain] if domain else sorted({i.domain for i in catalogue.items})
        pages = [
            page
            for d in domains
            for page in catalogues.render_full(catalogue, bpp, domain=d, transaction_id=str(uuid.uuid4()),
                                            message_id=str(uuid.uuid4()), now=utcnow(),
                                            size_budget=settings.on_search_max_bytes)
        ]
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    click.echo(json.dumps(pages[0] if len(pages) == 1 else pages, ensure_ascii=False, indent=2))


@catalog.command()
@click.option("--cooperative", "slug", required=True)
@click.option("--from", "from_version", type=int, required=True)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--domain", help="ONDC domain (default: every domain with changes).")
def diff(slug: str, from_version: int, to_version: int, domain: str | None) -> None:
    """Print the incremental on_search carrying the changes from one version to another."""
    settings = load_cli_settings()
    try:
        with _sessions(settings)() as session:
            cooperative = get_cooperative(session, slug)
            old = catalogues.version_content(session, cooperative, from_version)
            new = catalogues.version_content(session, cooperative, to_version)
            profile = catalogues.profile_of(cooperative)
        bpp = catalogues.bpp_info(SellerApp.from_settings(settings), profile)
        domains = [domain] if domain else sorted({i.domain for i in (*old.items, *new.items)})
        messages = []
        for d in domains:
            _, message = catalogues.render_incremental(old, new, profile, bpp, domain=d,
                                                    transaction_id=str(uuid.uuid4()),
                                                    message_id=str(uuid.uuid4()), now=utcnow())
            if message is not None:
                messages.append(message)
    except (CatalogueError, AdapterError) as error:
        raise click.ClickException(error.message) from error
    if not messages:
        click.echo(f"no changes between version {from_version} and {to_version}", err=True)
        return
    click.echo(json.dumps(messages[0] if len(messages) == 1 else messages, ensure_ascii=False, indent=2))


@click.command("profile")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def set_profile(slug: str, file: Path) -> None:
    """Set a cooperative's profile from a YAML or JSON FILE."""
    settings = load_cli_settings()
    document = read_document(file)
    try:
        with transaction(_sessions(settings)) as session:
            catalogues.set_profile(get_cooperative(session, slug), document)
    except ProfileError as error:
        lines = "\n".join(f"  {path}: {message}" for path, message in error.errors)
        raise click.ClickException(f"{file} has {len(error.errors)} problem(s):\n{lines}") from error
    except AdapterError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"profile of {slug!r} updated")

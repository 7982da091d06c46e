"""Catalogue pages: items with inline edits, templates per category, uploads with the validation report."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from adapter.errors import AdapterError, NotFoundError
from adapter.store import catalogue as store
from adapter.store import rejections as rejection_store
from adapter.store import uploads
from adapter.store.cooperatives import list_cooperatives
from adapter.store.models import Cooperative, utcnow
from adapter.web.console.formats import ist, typed_number
from adapter.web.console.i18n import error_text
from adapter.web.console.pages import bp, coop_arg, login_required, page, scope, user
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.categories import CATEGORIES, template_csv
from catalog_sync.errors import IngestError, UnknownCategoryError
from catalog_sync.export import MIME_TYPES
from catalog_sync.ingest import clean_filename
from catalog_sync.report import ValidationReport
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services import rejections as rejection_service
from catalog_sync.services import uploads as upload_runner
from workers.dispatch import AfterCommit, after_commit, send_upload


def _limits() -> catalogues.Limits:
    settings = runtime().settings
    return catalogues.Limits.from_settings(settings)


def _render(cooperative: Cooperative | None, *, report: ValidationReport | None = None,
            upload_error: str | None = None, status: int = 200) -> tuple[str, int]:
    rows = store.current_items(db(), cooperative.id) if cooperative else []
    choices = list_cooperatives(db()) if user().is_admin else []
    refused = [rejection_service.describe(r, gettext) | {"received_ist": ist(r.received_at)}
               for r in rejection_store.list_rejections(db(), cooperative.id, limit=100)] if cooperative else []
    return page("catalogue.html", status, cooperative=cooperative, items=rows, categories=sorted(CATEGORIES),
                report=report, upload_error=upload_error, choices=choices, rejections=refused,
                extra=coop_arg(cooperative) if cooperative else {})


@bp.get("/catalogue")
@login_required
def catalogue() -> tuple[str, int]:
    """The items, the edit forms, the template links and the upload form."""
    return _render(scope(required=False))


@bp.get("/catalogue/template")
@login_required
def template() -> Response:
    """A CSV template for one category."""
    category = request.args.get("category", "")
    try:
        body = template_csv(category)
    except UnknownCategoryError:
        abort(404)
    filename = category.lower().replace(" ", "-").replace("&", "and").replace(",", "") + "-template.csv"
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/catalogue/download")
@login_required
def download() -> Response:
    """The current catalogue as CSV or XLSX, to edit and upload back."""
    cooperative = scope()
    assert cooperative is not None
    fmt = request.args.get("format", "xlsx")
    if fmt not in catalogues.DOWNLOAD_FORMATS:
        abort(404)
    body, filename = catalogues.download(db(), cooperative, fmt, utcnow())
    return Response(body, mimetype=MIME_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/catalogue/upload")
@login_required
def upload() -> BaseResponse | tuple[str, int]:
    """Check a file and show what it would change: nothing is imported until the member confirms."""
    cooperative = scope()
    assert cooperative is not None
    file = request.files.get("file")
    if file is None or not file.filename:
        return _render(cooperative, upload_error=gettext("Catalogue file (CSV, XLSX or JSON)"), status=400)
    data, filename = file.read(), clean_filename(file.filename)
    if len(data) > runtime().settings.upload_inline_max_bytes:
        return _queue_upload(cooperative, data, filename)
    # Whatever the outcome, it is kept as an upload with a page of its own: the report (or the plan) survives a
    # language switch or a reload, which a page rendered in answer to the POST would not.
    problem: str | None = None
    try:
        with unit_of_work():
            result = catalogues.import_catalogue(db(), cooperative, data, filename, _limits(), source="console",
                                                 dry_run=True)
    except (IngestError, AdapterError) as error:
        problem = str(error)
    with unit_of_work() as session:
        job = uploads.create(session, cooperative_id=cooperative.id, filename=filename,
                             content=data if problem is None and result.plan is not None else b"",
                             source="console", now=utcnow(), confirmed=None)
        if problem is not None:
            uploads.finish(job, "invalid", utcnow(), error=problem)
        elif result.plan is None:
            uploads.finish(job, "invalid", utcnow(), report=result.report.to_dict(),
                           error=f"{len(result.report.errors)} problem(s) found; nothing was imported")
        else:
            uploads.preview(job, utcnow(), plan=result.plan.to_dict(), report=result.report.to_dict())
        session.flush()
        upload_id = job.id
    return redirect(url_for("console.upload_job", upload_id=upload_id, **coop_arg(cooperative)), 303)


def _queue_upload(cooperative: Cooperative, data: bytes, filename: str,
                  confirmed: frozenset[str] | None = None) -> BaseResponse | tuple[str, int]:
    """A large file: a worker checks it (then imports it, once confirmed) while the member watches its page."""
    try:
        with unit_of_work() as session:
            upload_id = upload_runner.queue_upload(
                session, session.get_one(Cooperative, cooperative.id), data, filename, source="console",
                max_bytes=runtime().settings.catalogue_max_bytes, now=utcnow(), confirmed=confirmed).id
    except (IngestError, AdapterError) as error:
        return _render(cooperative, upload_error=error_text(str(error)), status=422)
    send_upload(runtime().celery, upload_id)
    return redirect(url_for("console.upload_job", upload_id=upload_id, **coop_arg(cooperative)), 303)


@bp.post("/catalogue/uploads/<int:upload_id>/confirm")
@login_required
def confirm_upload(upload_id: int) -> BaseResponse | tuple[str, int]:
    """Import a previewed file, with what the member ticked (a mass removal, stock counted just now)."""
    cooperative = scope()
    assert cooperative is not None
    options = frozenset(name for name in uploads.OPTIONS if request.form.get(name) == "on")
    rt = runtime()
    with unit_of_work():
        try:
            job = uploads.get(db(), cooperative.id, upload_id)
        except NotFoundError:
            abort(404)
        if job.status != "preview":
            return redirect(url_for("console.upload_job", upload_id=upload_id, **coop_arg(cooperative)), 303)
        uploads.confirm(job, options)
        inline = job.size_bytes <= rt.settings.upload_inline_max_bytes
    if not inline:
        send_upload(rt.celery, upload_id)
        return redirect(url_for("console.upload_job", upload_id=upload_id, **coop_arg(cooperative)), 303)
    outcome = upload_runner.run_upload(rt.sessions, upload_id, _limits(), utcnow)
    if outcome.status == "done" and outcome.created:
        after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    return redirect(url_for("console.upload_job", upload_id=upload_id, **coop_arg(cooperative)), 303)


@bp.post("/catalogue/uploads/<int:upload_id>/discard")
@login_required
def discard_upload(upload_id: int) -> BaseResponse:
    """Drop a previewed file: nothing is imported."""
    cooperative = scope()
    assert cooperative is not None
    with unit_of_work():
        try:
            job = uploads.get(db(), cooperative.id, upload_id)
        except NotFoundError:
            abort(404)
        if job.status == "preview":
            uploads.finish(job, "discarded", utcnow())
    flash(gettext("The file was not imported; nothing changed."), "ok")
    return redirect(url_for("console.catalogue", **coop_arg(cooperative)), 303)


@bp.post("/catalogue/undo")
@login_required
def undo() -> BaseResponse:
    """Go back to the catalogue before the last upload (a new version; sales since are kept)."""
    cooperative = scope()
    assert cooperative is not None
    rt = runtime()
    try:
        with unit_of_work() as session:
            result = catalogues.undo_last(db(), session.get_one(Cooperative, cooperative.id), _limits())
    except AdapterError as error:
        flash(error_text(error.message), "error")
        return redirect(url_for("console.catalogue", **coop_arg(cooperative)), 303)
    if result.created:
        after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    flash(gettext("The catalogue is back as it was before the last upload."), "ok")
    return redirect(url_for("console.catalogue", **coop_arg(cooperative)), 303)


@bp.get("/catalogue/uploads/<int:upload_id>")
@login_required
def upload_job(upload_id: int) -> tuple[str, int]:
    """An upload: being checked, waiting for the member to confirm what it changes, imported, or refused."""
    cooperative = scope()
    assert cooperative is not None
    try:
        job = uploads.get(db(), cooperative.id, upload_id)
    except NotFoundError:
        abort(404)
    return page("upload_job.html", job=uploads.to_dict(job), extra=coop_arg(cooperative))


def _changes(form: Any) -> dict[str, Any]:
    changes: dict[str, Any] = {"enabled": form.get("enabled") == "on"}
    price = typed_number(form.get("price", ""))  # 1,25,000 and १२५० are what people type
    if price:
        changes["price"] = price
    stock = typed_number(form.get("stock", ""))
    if stock:
        changes["stock"] = int(stock) if stock.isascii() and stock.isdigit() else stock
    return changes


@bp.post("/catalogue/items/<item_id>")
@login_required
def edit(item_id: str) -> BaseResponse:
    """Change one item's price, stock and whether it is on sale."""
    cooperative = scope()
    assert cooperative is not None
    try:
        with unit_of_work():
            catalogues.edit_item(db(), cooperative, item_id, _changes(request.form))
    except NotFoundError:
        abort(404)
    except AdapterError as error:
        flash(f"{item_id}: {error_text(error.message)}", "error")
    else:
        rt = runtime()
        after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
        flash(gettext("Saved %(item)s.", item=item_id), "ok")
    return redirect(url_for("console.catalogue", **coop_arg(cooperative)) + f"#item-{item_id}")


@bp.post("/catalogue/rejections/<int:rejection_id>/dismiss")
@login_required
def dismiss_rejection(rejection_id: int) -> BaseResponse:
    """The member has dealt with what a buyer app refused: it leaves the list."""
    cooperative = scope()
    assert cooperative is not None
    try:
        with unit_of_work():
            rejection_store.dismiss(db(), cooperative.id, rejection_id, utcnow())
    except NotFoundError:
        abort(404)
    flash(gettext("Marked as done."), "ok")
    return redirect(url_for("console.catalogue", **coop_arg(cooperative)) + "#rejections-h")


@bp.get("/catalogue/items/<item_id>")
@login_required
def item(item_id: str) -> tuple[str, int]:
    """How a buyer app would show the item."""
    cooperative = scope()
    assert cooperative is not None
    try:
        row = store.get_item(db(), cooperative.id, item_id)
    except NotFoundError:
        abort(404)
    return page("item.html", cooperative=cooperative, row=row, data=row.data, extra=coop_arg(cooperative))

"""Cooperative profile and catalogue: upload, versions, items, single-item edits and previews."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, url_for
from marshmallow import Schema, fields

from adapter.errors import ConflictError, InvalidRequestError
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import rejections as rejection_store
from adapter.store import stock as ledger
from adapter.store import uploads
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import CatalogueItem, CatalogueVersion, Cooperative, utcnow
from adapter.web.api.bodies import json_object, json_or_yaml_object
from adapter.web.auth import current_principal, require_admin, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.categories import template_csv
from catalog_sync.errors import IngestError, MappingError, ProfileError, UnknownCategoryError
from catalog_sync.export import MIME_TYPES
from catalog_sync.ingest import clean_filename
from catalog_sync.plan import unconfirmed_reason
from catalog_sync.services import catalogue as catalogues
from catalog_sync.services import rejections as rejection_service
from catalog_sync.services import uploads as upload_runner
from workers.dispatch import AfterCommit, after_commit, send_upload

bp = Blueprint("catalogue", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    """Register the blueprint."""
    app.register_blueprint(bp)


class VersionOut(Schema):
    """A catalogue version."""

    number = fields.Integer()
    item_count = fields.Integer()
    content_hash = fields.String()
    source = fields.String()
    filename = fields.String()
    created_at = fields.DateTime()


class ItemOut(Schema):
    """A current item (summary columns plus its full data)."""

    item_id = fields.String(data_key="id")
    name = fields.String()
    domain = fields.String()
    price = fields.String()
    stock = fields.Integer()
    enabled = fields.Boolean()
    item_hash = fields.String(data_key="hash")
    updated_at = fields.DateTime()
    data = fields.Dict()


def _cooperative(slug: str) -> Cooperative:
    current_principal()
    return visible_cooperative(get_cooperative(db(), slug))


def _limits() -> catalogues.Limits:
    settings = runtime().settings
    return catalogues.Limits.from_settings(settings)


def _version(version: CatalogueVersion) -> dict[str, Any]:
    data: dict[str, Any] = VersionOut().dump(version)
    return data


@bp.get("/catalogue/template")
def template() -> Response:
    """A CSV template with exactly the columns a category needs."""
    category = request.args.get("category", "")
    try:
        body = template_csv(category)
    except UnknownCategoryError as error:
        raise InvalidRequestError(str(error), details={"field": "category", "valid": list(error.valid)}) from error
    filename = category.lower().replace(" ", "-").replace("&", "and") + "-template.csv"
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/cooperatives/<slug>/profile")
def get_profile(slug: str) -> Response:
    """The cooperative's profile."""
    cooperative = _cooperative(slug)
    return jsonify({"profile": catalogues.profile_of(cooperative).to_dict()})


@bp.put("/cooperatives/<slug>/profile")
def put_profile(slug: str) -> Response:
    """Set the cooperative's profile (JSON, or YAML with Content-Type application/yaml)."""
    current_principal()  # authenticate before parsing anything
    payload = json_or_yaml_object()
    with unit_of_work() as session:
        cooperative = _cooperative(slug)
        before = catalogues.profile_of(cooperative).opening if cooperative.profile else None
        try:
            profile = catalogues.set_profile(cooperative, payload)
        except ProfileError as error:
            details = [{"field": path, "message": message} for path, message in error.errors]
            raise InvalidRequestError("the profile has errors", details=details) from error
        session.flush()
    if before is not None and (before.closed_from, before.closed_until) != (profile.opening.closed_from,
                                                                           profile.opening.closed_until):
        rt = runtime()  # a closure set or lifted: subscribers hear of it in the next (immediate) sync
        after_commit(rt.celery, rt.sessions, 0, AfterCommit.stock_of(cooperative.id))
    return jsonify({"profile": profile.to_dict()})


@bp.post("/cooperatives/<slug>/catalogue")
def upload(slug: str) -> tuple[Response, int] | Response:
    """Upload a CSV, XLSX or JSON catalogue (multipart field `file`): all rows are imported, or none.

    Options (form fields or query parameters, 1/0): ``dry_run`` answers with the plan (what would change) and
    changes nothing; ``confirm`` allows a plan that removes more than UPLOAD_CONFIRM_REMOVAL_SHARE of the items
    or is the unchanged template; ``counted_now`` takes new stock figures as counted now (docs/stock.md).
    Files up to UPLOAD_INLINE_MAX_BYTES are imported in the request (201 new version, 200 unchanged, 422 with the
    report, 409 with the plan when it needs a confirmation: the file is kept as an upload to confirm). Larger
    ones are imported by a worker: 202 with the upload job, to watch at its `Location`.
    """
    current_principal()  # authenticate before reading the upload
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidRequestError("send the catalogue as a multipart form field named 'file'")
    options = _options((*uploads.OPTIONS, "dry_run"))
    dry_run, options = "dry_run" in options, options - {"dry_run"}
    data, filename = upload.read(), clean_filename(upload.filename)
    if len(data) > runtime().settings.upload_inline_max_bytes:
        return _queue_upload(slug, data, filename, None if dry_run else options)
    with unit_of_work() as session:
        cooperative = _cooperative(slug)
        try:
            result = catalogues.import_catalogue(db(), cooperative, data, filename, _limits(), source="upload",
                                                 dry_run=dry_run, confirm="confirm" in options,
                                                 counted_now="counted_now" in options)
        except IngestError as error:
            raise InvalidRequestError(str(error), details={"file": filename}) from error
        if result.plan is None or result.version is not None or dry_run:
            kept = None
        else:  # needs a confirmation: keep the file, so confirming is one call
            job = uploads.create(session, cooperative_id=cooperative.id, filename=filename, content=data,
                                 source="upload", now=utcnow(), confirmed=None)
            uploads.preview(job, utcnow(), plan=result.plan.to_dict(), report=result.report.to_dict())
            session.flush()
            kept = uploads.to_dict(job)
    if result.plan is None:
        return jsonify({"error": {"code": "invalid_catalogue",
                                  "message": f"{len(result.report.errors)} problem(s) found; nothing was imported",
                                  "report": result.report.to_dict()}}), 422
    plan = result.plan.to_dict()
    if dry_run:
        return jsonify({"dry_run": True, "plan": plan, "report": result.report.to_dict()}), 200
    if result.version is None:
        assert kept is not None
        return jsonify({"error": {
            "code": "confirmation_needed",
            "message": f"nothing was imported: {unconfirmed_reason(result.plan, result.unconfirmed)}; send the "
                       f"file again with confirm=1, or confirm upload {kept['id']}",
            "plan": plan, "upload": kept,
            "confirm_url": url_for("catalogue.confirm_upload", slug=slug, upload_id=kept["id"]),
        }}), 409
    if result.created:
        rt = runtime()
        after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    body = {"created": result.created, "version": _version(result.version), "report": result.report.to_dict(),
            "plan": plan}
    return jsonify(body), 201 if result.created else 200


def _options(names: tuple[str, ...]) -> frozenset[str]:
    """The options sent with an upload as 1/0 (form fields or query parameters) that are on."""
    found = set()
    for name in names:
        value = str(request.form.get(name, request.args.get(name, "0"))).lower()
        if value not in ("0", "1", "true", "false", "yes", "no", ""):
            raise InvalidRequestError(f"{name} must be 1 or 0", details={name: value[:20]})
        if value in ("1", "true", "yes"):
            found.add(name)
    return frozenset(found)


def _queue_upload(slug: str, data: bytes, filename: str, options: frozenset[str] | None) -> Response:
    rt = runtime()
    with unit_of_work() as session:
        try:
            job = upload_runner.queue_upload(session, _cooperative(slug), data, filename, source="upload",
                                             max_bytes=rt.settings.catalogue_max_bytes, now=utcnow(),
                                             confirmed=options)
        except IngestError as error:
            raise InvalidRequestError(str(error), details={"file": filename}) from error
        body = uploads.to_dict(job)
    send_upload(rt.celery, body["id"])
    response = jsonify({"upload": body})
    response.status_code = 202
    response.headers["Location"] = url_for("catalogue.upload_job", slug=slug, upload_id=body["id"])
    return response


@bp.post("/cooperatives/<slug>/catalogue/uploads/<int:upload_id>/confirm")
def confirm_upload(slug: str, upload_id: int) -> tuple[Response, int]:
    """Apply an upload waiting in ``preview`` (a dry run, or one that needed a confirmation). JSON body, both
    optional: ``{"confirm": true}`` to allow a mass removal or the template, ``{"counted_now": true}``.
    A worker imports it: 202 with the job (409 when the upload is not waiting for a confirmation)."""
    body = json_object(required=False)
    unknown = sorted(set(body) - set(uploads.OPTIONS))
    if unknown or any(not isinstance(v, bool) for v in body.values()):
        raise InvalidRequestError("send {\"confirm\": true|false, \"counted_now\": true|false}",
                                  details={"unknown": unknown})
    rt = runtime()
    with unit_of_work():
        cooperative = _cooperative(slug)
        job = uploads.get(db(), cooperative.id, upload_id)
        if job.status != "preview":
            raise ConflictError(f"upload {upload_id} is {job.status}, not waiting for a confirmation")
        chosen = {"counted_now": bool((job.plan or {}).get("counted_now"))} | body  # as previewed, unless said
        uploads.confirm(job, frozenset(name for name, value in chosen.items() if value))
        out = uploads.to_dict(job)
    send_upload(rt.celery, upload_id)
    response = jsonify({"upload": out})
    response.headers["Location"] = url_for("catalogue.upload_job", slug=slug, upload_id=upload_id)
    return response, 202


@bp.post("/cooperatives/<slug>/catalogue/uploads/<int:upload_id>/discard")
def discard_upload(slug: str, upload_id: int) -> Response:
    """Drop an upload waiting in ``preview``: nothing is imported and the file is deleted."""
    with unit_of_work():
        cooperative = _cooperative(slug)
        job = uploads.get(db(), cooperative.id, upload_id)
        if job.status != "preview":
            raise ConflictError(f"upload {upload_id} is {job.status}, not waiting for a confirmation")
        uploads.finish(job, "discarded", utcnow())
        out = uploads.to_dict(job)
    return jsonify({"upload": out})


@bp.post("/cooperatives/<slug>/catalogue/undo")
def undo(slug: str) -> tuple[Response, int]:
    """Go back to the catalogue before the last upload, in one step: a new version with the earlier items (the
    stock ledger keeps every sale since). 409 when there is no earlier version."""
    with unit_of_work():
        cooperative = _cooperative(slug)
        result = catalogues.undo_last(db(), cooperative, _limits())
        assert result.version is not None
        body = {"created": result.created, "version": _version(result.version),
                "plan": result.plan.to_dict() if result.plan else None}
    rt = runtime()
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    return jsonify(body), 201 if body["created"] else 200


@bp.get("/cooperatives/<slug>/catalogue/download")
def download(slug: str) -> Response:
    """The current catalogue as CSV (default) or XLSX (``format=xlsx``), with stock as it is now and the
    ``stock_as_of`` column: edit it and upload it back; sales made after the download are kept."""
    cooperative = _cooperative(slug)
    body, filename = catalogues.download(db(), cooperative, request.args.get("format", "csv"), utcnow())
    return Response(body, mimetype=MIME_TYPES[filename.rsplit(".", 1)[1]],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/cooperatives/<slug>/catalogue/items/<item_id>/stock")
def item_stock(slug: str, item_id: str) -> Response:
    """An item's stock ledger, newest first: counts (sheets and edits) and the moves orders made."""
    cooperative = _cooperative(slug)
    row = store.get_item(db(), cooperative.id, item_id)
    limit = request.args.get("limit", 100, type=int)
    if not 1 <= limit <= 1000:
        raise InvalidRequestError("limit must be between 1 and 1000", details={"limit": limit})
    moves = ledger.ledger(db(), cooperative.id, item_id, limit=limit)
    return jsonify({"id": row.item_id, "stock": row.stock, "last_count": row.count_figure, "moves": [
        {"id": m.id, "kind": m.kind, "delta": m.delta, "available": m.available, "figure": m.figure, "ref": m.ref,
         "at": m.at.isoformat()} for m in moves]})


@bp.get("/cooperatives/<slug>/catalogue/uploads/<int:upload_id>")
def upload_job(slug: str, upload_id: int) -> Response:
    """An upload a worker imports: queued, running, done (with the version), invalid (with the report) or failed."""
    cooperative = _cooperative(slug)
    return jsonify({"upload": uploads.to_dict(uploads.get(db(), cooperative.id, upload_id))})


@bp.get("/cooperatives/<slug>/catalogue/versions")
def versions(slug: str) -> Response:
    """Every catalogue version, newest first."""
    cooperative = _cooperative(slug)
    return jsonify({"versions": [_version(v) for v in store.list_versions(db(), cooperative.id)]})


@bp.get("/cooperatives/<slug>/catalogue/items")
def items(slug: str) -> Response:
    """The current items."""
    cooperative = _cooperative(slug)
    rows: list[CatalogueItem] = store.current_items(db(), cooperative.id)
    return jsonify({"items": ItemOut(many=True).dump(rows)})


@bp.get("/cooperatives/<slug>/catalogue/items/<item_id>")
def item(slug: str, item_id: str) -> Response:
    """One current item."""
    cooperative = _cooperative(slug)
    return jsonify(ItemOut().dump(store.get_item(db(), cooperative.id, item_id)))


@bp.patch("/cooperatives/<slug>/catalogue/items/<item_id>")
def edit(slug: str, item_id: str) -> Response:
    """Change price, mrp, stock or enabled of one item without re-uploading."""
    changes = json_object()
    unknown = sorted(set(changes) - {"price", "mrp", "stock", "enabled"})
    if unknown or not changes:
        raise InvalidRequestError("send one or more of: price, mrp, stock, enabled", details={"unknown": unknown})
    with unit_of_work():
        cooperative = _cooperative(slug)
        row, _, _ = catalogues.edit_item(db(), cooperative, item_id, changes)
    # Buyer apps hear about edits in one debounced push per burst.
    rt = runtime()
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    return jsonify(ItemOut().dump(row))


@bp.get("/cooperatives/<slug>/catalogue/rejections")
def rejections(slug: str) -> Response:
    """What buyer apps refused in this catalogue, newest first: the item, its spreadsheet row and column, what
    the code means and what to do (``lang=hi`` for Hindi, ``all=1`` to include dismissed ones)."""
    cooperative = _cooperative(slug)
    language = _language()
    found = rejection_store.list_rejections(db(), cooperative.id, include_dismissed=_flag("all"))
    return jsonify({"rejections": [rejection_service.describe(r, language) for r in found]})


@bp.post("/cooperatives/<slug>/catalogue/rejections/<int:rejection_id>/dismiss")
def dismiss_rejection(slug: str, rejection_id: int) -> Response:
    """Mark a rejection dealt with (it leaves the open list; ``all=1`` still lists it)."""
    with unit_of_work():
        cooperative = _cooperative(slug)
        rejection = rejection_store.dismiss(db(), cooperative.id, rejection_id, utcnow())
        body = rejection_service.describe(rejection, _language())
    return jsonify(body)


@bp.get("/catalogue-rejections")
def unattributed_rejections() -> Response:
    """Operators: rejections that could not be traced to a cooperative (their on_search was not found)."""
    require_admin()
    found = rejection_store.list_rejections(db(), None, unattributed=True, include_dismissed=_flag("all"))
    return jsonify({"rejections": [rejection_service.describe(r, _language()) for r in found]})


@bp.post("/catalogue-rejections/<int:rejection_id>/dismiss")
def dismiss_unattributed(rejection_id: int) -> Response:
    """Operators: mark any rejection dealt with (those traced to no cooperative have no other way out)."""
    require_admin()
    with unit_of_work():
        body = rejection_service.describe(rejection_store.dismiss(db(), None, rejection_id, utcnow()), _language())
    return jsonify(body)


def _language() -> str:
    language = request.args.get("lang", "en")
    if language not in ("en", "hi"):
        raise InvalidRequestError("lang must be en or hi", details={"lang": language[:20]})
    return language


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise InvalidRequestError(f"{name} must be 1 or 0", details={name: value[:20]})
    return value in ("1", "true", "yes")


@bp.get("/cooperatives/<slug>/catalogue/on_search")
def preview(slug: str) -> Response:
    """The full on_search a buyer app would receive for one domain (a preview with a fresh context)."""
    cooperative = _cooperative(slug)
    settings = runtime().settings
    catalogue = catalogues.current_catalogue(db(), cooperative)
    domain = request.args.get("domain") or (catalogue.items[0].domain if catalogue.items else "")
    bpp = catalogues.bpp_info(SellerApp.from_settings(settings), catalogue.profile)
    try:
        pages = catalogues.render_full(catalogue, bpp, domain=domain, transaction_id=str(uuid.uuid4()),
                                    message_id=str(uuid.uuid4()), now=utcnow(),
                                    size_budget=settings.on_search_max_bytes)
    except MappingError as error:
        raise InvalidRequestError(str(error)) from error
    return jsonify({"domain": domain, "pages": pages})

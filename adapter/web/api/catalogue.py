"""Cooperative profile and catalogue: upload, versions, items, single-item edits and previews."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, url_for
from marshmallow import Schema, fields

from adapter.errors import InvalidRequestError
from adapter.protocol.identity import SellerApp
from adapter.store import catalogue as store
from adapter.store import rejections as rejection_store
from adapter.store import uploads
from adapter.store.cooperatives import get_cooperative
from adapter.store.models import CatalogueItem, CatalogueVersion, Cooperative, utcnow
from adapter.web.api.bodies import json_object, json_or_yaml_object
from adapter.web.auth import current_principal, require_admin, visible_cooperative
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.categories import template_csv
from catalog_sync.errors import IngestError, MappingError, ProfileError, UnknownCategoryError
from catalog_sync.ingest import clean_filename
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
        try:
            profile = catalogues.set_profile(cooperative, payload)
        except ProfileError as error:
            details = [{"field": path, "message": message} for path, message in error.errors]
            raise InvalidRequestError("the profile has errors", details=details) from error
        session.flush()
    return jsonify({"profile": profile.to_dict()})


@bp.post("/cooperatives/<slug>/catalogue")
def upload(slug: str) -> tuple[Response, int] | Response:
    """Upload a CSV, XLSX or JSON catalogue (multipart field `file`): all rows are imported, or none.

    Files up to UPLOAD_INLINE_MAX_BYTES are imported in the request (201 new version, 200 unchanged, 422 with the
    report). Larger ones are imported by a worker: 202 with the upload job, to watch at its `Location`.
    """
    current_principal()  # authenticate before reading the upload
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidRequestError("send the catalogue as a multipart form field named 'file'")
    data, filename = upload.read(), clean_filename(upload.filename)
    if len(data) > runtime().settings.upload_inline_max_bytes:
        return _queue_upload(slug, data, filename)
    with unit_of_work():
        cooperative = _cooperative(slug)
        try:
            result = catalogues.import_catalogue(db(), cooperative, data, filename, _limits(), source="upload")
        except IngestError as error:
            raise InvalidRequestError(str(error), details={"file": filename}) from error
    if result.version is None:
        return jsonify({"error": {"code": "invalid_catalogue",
                                  "message": f"{len(result.report.errors)} problem(s) found; nothing was imported",
                                  "report": result.report.to_dict()}}), 422
    if result.created:
        rt = runtime()
        after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    body = {"created": result.created, "version": _version(result.version), "report": result.report.to_dict()}
    return jsonify(body), 201 if result.created else 200


def _queue_upload(slug: str, data: bytes, filename: str) -> Response:
    rt = runtime()
    with unit_of_work() as session:
        try:
            job = upload_runner.queue_upload(session, _cooperative(slug), data, filename, source="upload",
                                             max_bytes=rt.settings.catalogue_max_bytes, now=utcnow())
        except IngestError as error:
            raise InvalidRequestError(str(error), details={"file": filename}) from error
        body = uploads.to_dict(job)
    send_upload(rt.celery, body["id"])
    response = jsonify({"upload": body})
    response.status_code = 202
    response.headers["Location"] = url_for("catalogue.upload_job", slug=slug, upload_id=body["id"])
    return response


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

"""Cooperative profile and catalogue: upload, versions, items, single-item edits and previews."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request, url_for
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
from adapter.web.api.contract import documented, timestamp
from adapter.web.auth import current_principal, require_admin, visible_cooperative
from adapter.web.languages import available_codes, translations_for
from adapter.web.runtime import db, runtime, unit_of_work
from catalog_sync.categories import template_csv
from catalog_sync.errors import IngestError, MappingError, ProfileError, UnknownCategoryError
from catalog_sync.export import MIME_TYPES
from catalog_sync.ingest import clean_filename
from catalog_sync.plan import unconfirmed_reason
from catalog_sync.profile import ProfileSchema, profile_to_dict
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

    number = fields.Integer(required=True)
    item_count = fields.Integer(required=True)
    content_hash = fields.String(required=True)
    source = fields.String(required=True, metadata={"example": "upload"})
    filename = fields.String(allow_none=True, metadata={"example": "chamba-rumal.xlsx"})
    created_at = fields.DateTime(required=True)


class ItemOut(Schema):
    """A current item (summary columns plus its full data)."""

    item_id = fields.String(data_key="id", required=True, metadata={"example": "RUMAL-001"})
    name = fields.String(required=True)
    domain = fields.String(required=True, metadata={"example": "ONDC:RET12"})
    price = fields.String(required=True, metadata={"example": "2500.00"})
    stock = fields.Integer(required=True)
    enabled = fields.Boolean(required=True)
    item_hash = fields.String(data_key="hash", required=True)
    updated_at = fields.DateTime(required=True)
    data = fields.Dict(required=True, metadata={"description": "every column of the item as imported"})


# What PATCH changes. The item as GET returns it may be sent back: what names the item must then be unchanged
# (a 422 otherwise), and what the adapter derives (hash, updated_at, the full data) is ignored.
EDITABLE = ("price", "mrp", "stock", "enabled")
READ_ONLY = ("id", "name", "domain")
DERIVED = ("hash", "updated_at", "data")


class ItemEdit(Schema):
    """Fields to change on one item: any of price, mrp, stock, enabled. The item as GET returns it is accepted
    too: id, name and domain must then be unchanged; hash, updated_at and data are ignored."""

    price = fields.String(metadata={"example": "2750", "description": "rupees; 2,750 and ₹2750 are accepted"})
    mrp = fields.String(metadata={"example": "3000"})
    stock = fields.Integer(metadata={"example": 4})
    enabled = fields.Boolean()
    id = fields.String()
    name = fields.String()
    domain = fields.String()
    hash = fields.String()
    updated_at = fields.String()
    data = fields.Dict()


# The documented example of a profile (tests/web/test_openapi.py sends it and expects it taken as it is).
PROFILE_EXAMPLE: dict[str, Any] = {
    "slug": "chamba-rumal", "name": "Chamba Rumal Kala Sangh",
    "legal_name": "Chamba Rumal Kala Sangh Cooperative Society Ltd", "gstin": "02AAAAA0001A1ZD", "pan": "AAAAA0001A",
    "fssai_license_no": None, "np_type": "MSN", "domains": ["ONDC:RET16"],
    "symbol": "https://demo.odop-adapter.example/images/chamba-rumal/logo.png",
    "images": ["https://demo.odop-adapter.example/images/chamba-rumal/workshop.jpg"],
    "short_desc": "Hand-embroidered Chamba Rumals from Chamba district",
    "long_desc": "Women artisans of Chamba stitch the double-sided dorukha embroidery on hand-spun silk.",
    "min_order_value": "500", "fulfillment_types": ["Delivery"],
    "consumer_care": {"name": "Chamba Rumal Care", "email": "care@chamba-rumal.demo.example", "phone": "9000000101"},
    "locations": [{"id": "chamba-workshop", "name": "Chowgan workshop", "street": "Near Chowgan",
                   "locality": "Chowgan", "city": "Chamba", "state": "Himachal Pradesh", "area_code": "176310",
                   "gps": "32.5534,76.1258", "city_code": "std:01376"}],
    "serviceability": {"type": "pan_india", "pincodes": [], "radius_km": None},
    "opening": {"days": [1, 2, 3, 4, 5, 6], "open": "1000", "close": "1800", "holidays": ["2030-10-21"],
                "take_orders": "always", "closed": None},
    "settlement": {"bank": {"account_no": "000000000101", "ifsc": "SBIN0000000", "bank_name": "State Bank of India",
                            "branch": "Chamba", "beneficiary": "Chamba Rumal Kala Sangh"}},
    "credentials": [], "cooperative_share_percent": "10",
}


class ProfileOut(Schema):
    """The cooperative's profile, in the shape PUT accepts."""

    profile = fields.Nested(ProfileSchema, required=True)


class UploadOut(Schema):
    """An upload a worker imports, or one waiting for a confirmation."""

    id = fields.Integer(required=True)
    filename = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    status = fields.String(required=True, metadata={
        "enum": ["queued", "running", "preview", "done", "invalid", "failed", "discarded"]})
    created = fields.Boolean(allow_none=True)
    version = fields.Integer(allow_none=True)
    report = fields.Dict(allow_none=True)
    error = fields.String(allow_none=True)
    plan = fields.Dict(allow_none=True)
    confirmed = fields.List(fields.String(), required=True)
    created_at = timestamp(required=True)
    started_at = timestamp()
    finished_at = timestamp()


class UploadJob(Schema):
    """An upload and where it stands."""

    upload = fields.Nested(UploadOut, required=True)


class Imported(Schema):
    """The file was imported (201: a new version) or matched the catalogue (200)."""

    created = fields.Boolean(required=True)
    version = fields.Nested(VersionOut, required=True)
    report = fields.Dict(required=True, metadata={"description": "warnings by row and column"})
    plan = fields.Dict(required=True, metadata={"description": "what changed"})


class DryRun(Schema):
    """What the file would change; nothing was changed."""

    dry_run = fields.Boolean(required=True)
    plan = fields.Dict(required=True)
    report = fields.Dict(required=True)


class Undone(Schema):
    """The catalogue as it was before the last upload."""

    created = fields.Boolean(required=True)
    version = fields.Nested(VersionOut, required=True)
    plan = fields.Dict(allow_none=True)


FLAG = {"enum": ["0", "1", "true", "false", "yes", "no"]}
LANG = {"description": "the language of meanings and fixes: en (default), hi, or any language the console has a "
                       "catalogue for (422 names them)", "example": "hi"}


class UploadForm(Schema):
    """A catalogue file and the upload's options (the options may also be query parameters)."""

    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "CSV, XLSX or JSON"})
    dry_run = fields.String(metadata=FLAG | {"description": "1: answer with the plan, change nothing"})
    confirm = fields.String(metadata=FLAG | {"description": "1: allow a mass removal or the unchanged template"})
    counted_now = fields.String(metadata=FLAG | {"description": "1: the file's stock was counted just now"})


class UploadQuery(Schema):
    """Upload options as query parameters."""

    dry_run = fields.String(metadata=FLAG)
    confirm = fields.String(metadata=FLAG)
    counted_now = fields.String(metadata=FLAG)


class ConfirmIn(Schema):
    """How to apply a previewed upload (both optional)."""

    confirm = fields.Boolean(metadata={"description": "allow a mass removal or the unchanged template"})
    counted_now = fields.Boolean(metadata={"description": "take the file's stock as counted now"})


class TemplateQuery(Schema):
    """Which category's template."""

    category = fields.String(required=True, metadata={"example": "Handicrafts"})


class DownloadQuery(Schema):
    """The file format."""

    format = fields.String(metadata={"enum": ["csv", "xlsx"]})


class Move(Schema):
    """One line of the stock ledger."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    delta = fields.Integer(allow_none=True)
    available = fields.Integer(allow_none=True)
    figure = fields.Integer(allow_none=True)
    ref = fields.String(allow_none=True)
    at = timestamp(required=True)


class StockOut(Schema):
    """An item's stock and its ledger, newest first."""

    id = fields.String(required=True)
    stock = fields.Integer(required=True)
    last_count = fields.Integer(allow_none=True)
    moves = fields.List(fields.Nested(Move), required=True)


class StockQuery(Schema):
    """How many ledger lines."""

    limit = fields.Integer(metadata={"minimum": 1, "maximum": 1000})


class VersionList(Schema):
    """Catalogue versions, newest first."""

    versions = fields.List(fields.Nested(VersionOut), required=True)


class ItemList(Schema):
    """The current items."""

    items = fields.List(fields.Nested(ItemOut), required=True)


class RejectionOut(Schema):
    """Something a buyer app refused in the catalogue, where it is in the sheet, and what to do."""

    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"example": "40002"})
    kind = fields.String(required=True)
    meaning = fields.String(required=True)
    fix = fields.String(required=True)
    buyer_app = fields.String(required=True)
    buyer_app_message = fields.String(allow_none=True)
    path = fields.String(allow_none=True)
    item_id = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True)
    column = fields.String(allow_none=True)
    version = fields.Integer(allow_none=True)
    transaction_id = fields.String(allow_none=True)
    received_at = timestamp(required=True)
    dismissed_at = timestamp()


class RejectionList(Schema):
    """Rejections, newest first."""

    rejections = fields.List(fields.Nested(RejectionOut), required=True)


class RejectionQuery(Schema):
    """Language and whether dismissed ones are included."""

    lang = fields.String(metadata=LANG)
    all = fields.String(metadata=FLAG)


class LanguageQuery(Schema):
    """The language of meanings and fixes."""

    lang = fields.String(metadata=LANG)


class PreviewQuery(Schema):
    """Which domain's catalogue."""

    domain = fields.String(metadata={"example": "ONDC:RET12"})


class Preview(Schema):
    """The on_search pages a buyer app would receive."""

    domain = fields.String(required=True)
    pages = fields.List(fields.Dict(), required=True)


def _cooperative(slug: str) -> Cooperative:
    current_principal()
    return visible_cooperative(get_cooperative(db(), slug))


def _limits() -> catalogues.Limits:
    settings = runtime().settings
    return catalogues.Limits.from_settings(settings)


def _version(version: CatalogueVersion) -> dict[str, Any]:
    data: dict[str, Any] = VersionOut().dump(version)
    return data


@documented("A catalogue template", auth="public", query=TemplateQuery, responses={200: "csv"})
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


@documented("The profile", errors=(409,), responses={200: ProfileOut})
@bp.get("/cooperatives/<slug>/profile")
def get_profile(slug: str) -> Response:
    """The cooperative's profile, in the shape PUT accepts (send it back with changes)."""
    cooperative = _cooperative(slug)
    return jsonify({"profile": profile_to_dict(catalogues.profile_of(cooperative))})


@documented("Set the profile", body=ProfileSchema, body_yaml=True, body_example=PROFILE_EXAMPLE,
            responses={200: ProfileOut})
@bp.put("/cooperatives/<slug>/profile")
def put_profile(slug: str) -> Response:
    """Set the cooperative's profile (JSON, or YAML with Content-Type application/yaml). The body is the
    profile, or ``{"profile": {...}}`` as GET answers."""
    current_principal()  # authenticate before parsing anything
    payload = json_or_yaml_object()
    if set(payload) == {"profile"} and isinstance(payload["profile"], dict):
        payload = payload["profile"]  # what GET answers, sent back as it is
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
    return jsonify({"profile": profile_to_dict(profile)})


@documented("Upload a catalogue", multipart=UploadForm, query=UploadQuery, responses={
    200: ("the file matched the catalogue, or (dry_run) what it would change", [Imported, DryRun]),
    201: ("a new catalogue version", Imported),
    202: ("a large file, imported (or with dry_run, checked) by a worker: watch the upload", UploadJob),
    409: "confirmation_needed: the plan, and the upload kept to confirm", 422: "invalid_catalogue: the report"})
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


@documented("Apply a previewed upload", body=ConfirmIn, body_optional=True, errors=(409,), responses={202: UploadJob})
@bp.post("/cooperatives/<slug>/catalogue/uploads/<int:upload_id>/confirm")
def confirm_upload(slug: str, upload_id: int) -> tuple[Response, int]:
    """Apply an upload waiting in ``preview`` (a dry run, or one that needed a confirmation). JSON body, both
    optional: ``{"confirm": true}`` to allow a mass removal or the template, ``{"counted_now": true}``.
    A worker imports it: 202 with the job (409 when the upload is not waiting for a confirmation)."""
    current_principal()  # authenticate before reading the body
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


@documented("Discard a previewed upload", errors=(409,), responses={200: UploadJob})
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


@documented("Undo the last upload", errors=(409,), responses={200: Undone, 201: Undone})
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


@documented("Download the catalogue", query=DownloadQuery, errors=(409,), responses={200: "csv|xlsx"})
@bp.get("/cooperatives/<slug>/catalogue/download")
def download(slug: str) -> Response:
    """The current catalogue as CSV (default) or XLSX (``format=xlsx``), with stock as it is now and the
    ``stock_as_of`` column: edit it and upload it back; sales made after the download are kept."""
    cooperative = _cooperative(slug)
    body, filename = catalogues.download(db(), cooperative, request.args.get("format", "csv"), utcnow())
    return Response(body, mimetype=MIME_TYPES[filename.rsplit(".", 1)[1]],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@documented("An item's stock ledger", query=StockQuery, responses={200: StockOut})
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


@documented("An upload job", responses={200: UploadJob})
@bp.get("/cooperatives/<slug>/catalogue/uploads/<int:upload_id>")
def upload_job(slug: str, upload_id: int) -> Response:
    """An upload a worker imports: queued, running, done (with the version), invalid (with the report) or failed."""
    cooperative = _cooperative(slug)
    return jsonify({"upload": uploads.to_dict(uploads.get(db(), cooperative.id, upload_id))})


@documented("Catalogue versions", responses={200: VersionList})
@bp.get("/cooperatives/<slug>/catalogue/versions")
def versions(slug: str) -> Response:
    """Every catalogue version, newest first."""
    cooperative = _cooperative(slug)
    return jsonify({"versions": [_version(v) for v in store.list_versions(db(), cooperative.id)]})


@documented("The current items", responses={200: ItemList})
@bp.get("/cooperatives/<slug>/catalogue/items")
def items(slug: str) -> Response:
    """The current items."""
    cooperative = _cooperative(slug)
    rows: list[CatalogueItem] = store.current_items(db(), cooperative.id)
    return jsonify({"items": ItemOut(many=True).dump(rows)})


@documented("One item", responses={200: ItemOut})
@bp.get("/cooperatives/<slug>/catalogue/items/<item_id>")
def item(slug: str, item_id: str) -> Response:
    """One current item."""
    cooperative = _cooperative(slug)
    return jsonify(ItemOut().dump(store.get_item(db(), cooperative.id, item_id)))


@documented("Edit one item", body=ItemEdit, responses={200: ItemOut})
@bp.patch("/cooperatives/<slug>/catalogue/items/<item_id>")
def edit(slug: str, item_id: str) -> Response:
    """Change price, mrp, stock or enabled of one item without re-uploading. The item as GET returns it may be
    sent back with changes: id, name and domain must be unchanged (they change by upload); hash, updated_at and
    data are ignored."""
    current_principal()  # authenticate before reading the body
    body = json_object()
    unknown = sorted(set(body) - {*EDITABLE, *READ_ONLY, *DERIVED})
    changes = {name: value for name, value in body.items() if name in EDITABLE}
    if unknown or not changes:
        raise InvalidRequestError(f"send one or more of: {', '.join(EDITABLE)}", details={"unknown": unknown})
    with unit_of_work():
        cooperative = _cooperative(slug)
        current = ItemOut().dump(store.get_item(db(), cooperative.id, item_id))
        changed = sorted(name for name in set(body) & set(READ_ONLY) if body[name] != current[name])
        if changed:
            raise InvalidRequestError(f"{', '.join(changed)} cannot be changed here (upload the catalogue to change "
                                      "them)", details={"read_only": changed})
        row, _, _ = catalogues.edit_item(db(), cooperative, item_id, changes)
    # Buyer apps hear about edits in one debounced push per burst.
    rt = runtime()
    after_commit(rt.celery, rt.sessions, rt.settings.sync_debounce_seconds, AfterCommit.stock_of(cooperative.id))
    return jsonify(ItemOut().dump(row))


@documented("Rejections by buyer apps", query=RejectionQuery, responses={200: RejectionList})
@bp.get("/cooperatives/<slug>/catalogue/rejections")
def rejections(slug: str) -> Response:
    """What buyer apps refused in this catalogue, newest first: the item, its spreadsheet row and column, what
    the code means and what to do (``lang=hi`` for Hindi, ``all=1`` to include dismissed ones)."""
    cooperative = _cooperative(slug)
    gettext = _language()
    found = rejection_store.list_rejections(db(), cooperative.id, include_dismissed=_flag("all"))
    return jsonify({"rejections": [rejection_service.describe(r, gettext) for r in found]})


@documented("Dismiss a rejection", query=LanguageQuery, responses={200: RejectionOut})
@bp.post("/cooperatives/<slug>/catalogue/rejections/<int:rejection_id>/dismiss")
def dismiss_rejection(slug: str, rejection_id: int) -> Response:
    """Mark a rejection dealt with (it leaves the open list; ``all=1`` still lists it)."""
    with unit_of_work():
        cooperative = _cooperative(slug)
        rejection = rejection_store.dismiss(db(), cooperative.id, rejection_id, utcnow())
        body = rejection_service.describe(rejection, _language())
    return jsonify(body)


@documented("Rejections traced to no cooperative", auth="admin", query=RejectionQuery, responses={200: RejectionList})
@bp.get("/catalogue-rejections")
def unattributed_rejections() -> Response:
    """Operators: rejections that could not be traced to a cooperative (their on_search was not found)."""
    require_admin()
    found = rejection_store.list_rejections(db(), None, unattributed=True, include_dismissed=_flag("all"))
    return jsonify({"rejections": [rejection_service.describe(r, _language()) for r in found]})


@documented("Dismiss any rejection", auth="admin", query=LanguageQuery, responses={200: RejectionOut})
@bp.post("/catalogue-rejections/<int:rejection_id>/dismiss")
def dismiss_unattributed(rejection_id: int) -> Response:
    """Operators: mark any rejection dealt with (those traced to no cooperative have no other way out)."""
    require_admin()
    with unit_of_work():
        body = rejection_service.describe(rejection_store.dismiss(db(), None, rejection_id, utcnow()), _language())
    return jsonify(body)


def _language() -> Callable[[str], str]:
    """The ``lang`` parameter's translator: English, or any language the console has a catalogue for."""
    language = request.args.get("lang", "en")
    codes = available_codes(current_app)
    if language not in codes:
        raise InvalidRequestError(f"lang must be one of: {', '.join(codes)}", details={"lang": language[:20]})
    return translations_for(language).gettext


def _flag(name: str) -> bool:
    value = request.args.get(name, "0").lower()
    if value not in ("0", "1", "true", "false", "yes", "no"):
        raise InvalidRequestError(f"{name} must be 1 or 0", details={name: value[:20]})
    return value in ("1", "true", "yes")


@documented("Preview the on_search", query=PreviewQuery, errors=(409,), responses={200: Preview})
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

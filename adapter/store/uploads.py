"""Repository for catalogue uploads that a worker imports: create, claim, finish, find, and the stuck ones.

Every function takes a Session and never commits: the caller's transaction decides. docs/catalogue-api.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapter.errors import NotFoundError
from adapter.store.models import CatalogueUpload

__all__ = ["FINISHED", "MAX_STORED_ERRORS", "OPTIONS", "PREVIEW_KEPT", "claim", "confirm", "create",
           "expire_previews", "finish", "get", "options",
           "preview", "stuck", "to_dict"]

FINISHED: Final = ("done", "invalid", "failed", "discarded")
# How long a preview waits for its uploader before the sweeper drops it (and its file).
PREVIEW_KEPT: Final = dt.timedelta(hours=24)
# Options an uploader confirms (kept in ``confirmed``, comma-separated; "" confirms nothing).
OPTIONS: Final = ("confirm", "counted_now")
# A report is kept with the job; past this many problems only the count is kept beyond the first ones.
MAX_STORED_ERRORS: Final = 1000


def create(session: Session, *, cooperative_id: int, filename: str, content: bytes, source: str,
           now: dt.datetime, confirmed: frozenset[str] | None = frozenset()) -> CatalogueUpload:
    """A queued upload holding the file: to import with the ``confirmed`` options, or (None) to preview only."""
    upload = CatalogueUpload(cooperative_id=cooperative_id, filename=filename[:255], source=source,
                             size_bytes=len(content), content=content, status="queued", created_at=now,
                             confirmed=None if confirmed is None else ",".join(sorted(confirmed)))
    session.add(upload)
    session.flush()
    return upload


def claim(session: Session, upload_id: int, now: dt.datetime, *, resume: bool = False) -> CatalogueUpload | None:
    """Move a queued upload to running; None when it is not queued (another worker has it, or it is done).

    ``resume`` also takes a running one: the retry of a task that lost the database while it held the job.
    """
    statuses = ("queued", "running") if resume else ("queued",)
    result = session.execute(
        update(CatalogueUpload)
        .where(CatalogueUpload.id == upload_id, CatalogueUpload.status.in_(statuses))
        .values(status="running", started_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return session.get(CatalogueUpload, upload_id, populate_existing=True)


def options(upload: CatalogueUpload) -> frozenset[str] | None:
    """What the uploader confirmed (None: a preview, nothing confirmed yet)."""
    if upload.confirmed is None:
        return None
    return frozenset(o for o in upload.confirmed.split(",") if o in OPTIONS)


def preview(upload: CatalogueUpload, now: dt.datetime, *, plan: dict[str, Any], report: dict[str, Any],
            waiting_for: str = "") -> None:
    """Keep the file and its plan until the uploader confirms or discards it (``waiting_for``: what the
    uploader must confirm, shown with it)."""
    upload.status, upload.finished_at, upload.plan = "preview", now, plan
    upload.report, upload.error = _bounded(report), waiting_for or None


def confirm(upload: CatalogueUpload, confirmed: frozenset[str]) -> None:
    """Queue a previewed upload for import with what the uploader confirmed."""
    upload.status, upload.started_at, upload.finished_at = "queued", None, None
    upload.confirmed = ",".join(sorted(o for o in confirmed if o in OPTIONS))


def _bounded(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is not None and len(report.get("errors", ())) > MAX_STORED_ERRORS:
        return report | {"errors": report["errors"][:MAX_STORED_ERRORS], "errors_truncated": True}
    return report


def finish(upload: CatalogueUpload, status: str, now: dt.datetime, *, created: bool | None = None,
           version_number: int | None = None, report: dict[str, Any] | None = None, error: str | None = None,
           plan: dict[str, Any] | None = None) -> None:
    """Record how the import ended and drop the file (a new version keeps the items)."""
    if status not in FINISHED:
        raise ValueError(f"status must be one of {', '.join(FINISHED)}")
    upload.status, upload.finished_at = status, now
    upload.created, upload.version_number, upload.report = created, version_number, _bounded(report)
    if plan is not None:
        upload.plan = plan
    upload.error = error[:2000] if error else None
    upload.content = b""


def expire_previews(session: Session, before: dt.datetime, now: dt.datetime) -> int:
    """Discard previews made before ``before`` (their files are dropped); how many."""
    result = session.execute(
        update(CatalogueUpload)
        .where(CatalogueUpload.status == "preview", CatalogueUpload.finished_at < before)
        .values(status="discarded", finished_at=now, content=b"",
                error="not confirmed within a day; upload the file again")
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def get(session: Session, cooperative_id: int, upload_id: int) -> CatalogueUpload:
    """One of the cooperative's uploads (NotFoundError for another cooperative's, as for a missing one)."""
    upload = session.get(CatalogueUpload, upload_id)
    if upload is None or upload.cooperative_id != cooperative_id:
        raise NotFoundError(f"no upload {upload_id}")
    return upload


def stuck(session: Session, *, queued_before: dt.datetime, running_before: dt.datetime) -> tuple[list[int], list[int]]:
    """Uploads whose task was lost (queued too long) and uploads whose worker died (running too long)."""
    queued = list(session.scalars(select(CatalogueUpload.id).where(
        CatalogueUpload.status == "queued", CatalogueUpload.created_at < queued_before).order_by(CatalogueUpload.id)))
    running = list(session.scalars(select(CatalogueUpload.id).where(
        CatalogueUpload.status == "running", CatalogueUpload.started_at < running_before).order_by(CatalogueUpload.id)))
    return queued, running


def to_dict(upload: CatalogueUpload) -> dict[str, Any]:
    """The upload as the API shows it (without the file)."""
    return {
        "id": upload.id, "filename": upload.filename, "size_bytes": upload.size_bytes, "status": upload.status,
        "created": upload.created, "version": upload.version_number, "report": upload.report, "error": upload.error,
        "plan": upload.plan, "confirmed": sorted(options(upload) or ()),
        "created_at": upload.created_at.isoformat(),
        "started_at": upload.started_at.isoformat() if upload.started_at else None,
        "finished_at": upload.finished_at.isoformat() if upload.finished_at else None,
    }

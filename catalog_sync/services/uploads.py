"""Import an uploaded catalogue file in a worker: the same import as in the request, recorded on the upload job.

Large uploads are not imported by the web process (a 10 MB sheet takes seconds of CPU, a hostile XLSX more):
the request stores the file as a queued `CatalogueUpload` and answers 202; a worker runs `run_upload`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from adapter.errors import AdapterError
from adapter.store import uploads as upload_store
from adapter.store.db import transaction
from adapter.store.models import CatalogueUpload, Cooperative
from catalog_sync.errors import IngestError
from catalog_sync.ingest import check_file
from catalog_sync.plan import unconfirmed_reason
from catalog_sync.services.catalogue import Limits, import_catalogue, profile_of

__all__ = ["UploadOutcome", "fail", "queue_upload", "requeue", "run_upload"]


@dataclass(frozen=True)
class UploadOutcome:
    """How one run ended: ``skipped`` when the upload was not queued (already taken or finished)."""

    status: str
    cooperative_id: int | None = None
    created: bool = False


def queue_upload(session: Session, cooperative: Cooperative, data: bytes, filename: str, *, source: str,
                 max_bytes: int, now: dt.datetime, confirmed: frozenset[str] | None = frozenset()) -> CatalogueUpload:
    """Store a file for a worker to import with the ``confirmed`` options (None: to preview only), after the
    checks that need no parsing (IngestError: size, emptiness, type; ConflictError: no profile yet), so what
    can be told at once is told at once."""
    check_file(data, filename, max_bytes=max_bytes)
    profile_of(cooperative)
    return upload_store.create(session, cooperative_id=cooperative.id, filename=filename, content=data,
                               source=source, now=now, confirmed=confirmed)


def run_upload(sessions: sessionmaker[Session], upload_id: int, limits: Limits,
               now: Callable[[], dt.datetime], *, resume: bool = False) -> UploadOutcome:
    """Claim a queued upload and import it: done (a version, new or the same), invalid (a report), preview (the
    plan, waiting for the uploader: a preview-only upload, or one that needs a confirmation), or raise.

    ``resume`` also takes a job left running by this same task's earlier try (a database outage).
    """
    with transaction(sessions) as session:
        if upload_store.claim(session, upload_id, now(), resume=resume) is None:
            return UploadOutcome("skipped")
    with transaction(sessions) as session:
        upload = session.get_one(CatalogueUpload, upload_id)
        cooperative = session.get_one(Cooperative, upload.cooperative_id)
        options = upload_store.options(upload)
        # A confirmed preview applies to the version it was made against, not to whatever came since.
        expect = (upload.plan or {}).get("base_version", -1) if options is not None and upload.plan else None
        try:
            result = import_catalogue(session, cooperative, upload.content, upload.filename, limits,
                                      source=upload.source, dry_run=options is None,
                                      confirm="confirm" in (options or ()),
                                      counted_now="counted_now" in (options or ()), expect_version=expect)
        except (IngestError, AdapterError) as error:
            upload_store.finish(upload, "invalid", now(), error=str(error))
            return UploadOutcome("invalid", cooperative.id)
        if result.plan is not None and (options is None or result.unconfirmed):
            # A preview (or an import that needs a confirmation it lacks): the file waits for the uploader.
            upload_store.preview(upload, now(), plan=result.plan.to_dict() | {"unconfirmed": list(result.unconfirmed)},
                                 report=result.report.to_dict(),
                                 waiting_for=unconfirmed_reason(result.plan, result.unconfirmed))
            return UploadOutcome("preview", cooperative.id)
        if result.version is None:
            upload_store.finish(upload, "invalid", now(), report=result.report.to_dict(),
                                error=f"{len(result.report.errors)} problem(s) found; nothing was imported")
            return UploadOutcome("invalid", cooperative.id)
        upload_store.finish(upload, "done", now(), created=result.created, version_number=result.version.number,
                            report=result.report.to_dict(),
                            plan=result.plan.to_dict() if result.plan is not None else None)
        return UploadOutcome("done", cooperative.id, result.created)


def requeue(sessions: sessionmaker[Session], upload_id: int) -> bool:
    """Put a running upload back in the queue with its file (after a database outage); False if that failed too."""
    try:
        with transaction(sessions) as session:
            upload = session.get(CatalogueUpload, upload_id)
            if upload is not None and upload.status == "running":
                upload.status, upload.started_at = "queued", None
    except (SQLAlchemyError, OSError):  # the database is still away; the retry resumes the job as it is
        return False
    return True


def fail(sessions: sessionmaker[Session], upload_id: int, reason: str, now: dt.datetime) -> None:
    """Record that the import could not finish (time limit, worker lost, a bug); nothing was imported."""
    with transaction(sessions) as session:
        upload = session.get(CatalogueUpload, upload_id)
        if upload is not None and upload.status not in upload_store.FINISHED:
            upload_store.finish(upload, "failed", now, error=reason)

"""How far a sync job has got, for the API and the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

from adapter.store.models import SyncJob


def eta_seconds(job: SyncJob, now: dt.datetime) -> float | None:
    """Seconds left at the current rate, or None when there is no rate to go by yet."""
    if job.state != "running" or not job.started_at or job.progress_done <= 0 or job.progress_total <= 0:
        return None
    elapsed = (now - job.started_at).total_seconds()
    remaining = job.progress_total - job.progress_done
    return round(max(0.0, elapsed / job.progress_done * remaining), 1)


def job_to_dict(job: SyncJob, now: dt.datetime) -> dict[str, Any]:
    """A job as the API shows it."""
    total = job.progress_total
    return {
        "id": job.id, "state": job.state, "kind": job.kind, "requested_by": job.requested_by, "bap_id": job.bap_id,
        "step": job.step, "reason": job.reason,
        "progress": {"done": job.progress_done, "total": total,
                     "percent": round(100 * job.progress_done / total, 1) if total else None,
                     "eta_seconds": eta_seconds(job, now)},
        "counts": job.counts, "errors": job.errors, "resumes": job.resumes,
        "created_at": job.created_at.isoformat(),
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def progress_line(job: SyncJob, now: dt.datetime, width: int = 24) -> str:
    """One line: a bar, the counts, the step and the ETA."""
    total, done = job.progress_total, job.progress_done
    filled = int(width * done / total) if total else (width if job.state == "succeeded" else 0)
    bar = "#" * filled + "." * (width - filled)
    eta = eta_seconds(job, now)
    parts = [f"[{bar}]", f"{done}/{total}" if total else "", job.state, job.step or ""]
    if eta is not None:
        parts.append(f"ETA {eta:.0f}s")
    if job.reason:
        parts.append(f"- {job.reason}")
    return " ".join(p for p in parts if p)

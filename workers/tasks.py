"""Tasks. Later issues add catalogue syncs, callbacks and order pulls here."""

from __future__ import annotations

import socket
from typing import Any

from celery import shared_task
from sqlalchemy import func, select

from adapter.store.models import Cooperative


@shared_task(bind=True, name="odop.ping")
def ping(self: Any, payload: str = "ping") -> dict[str, Any]:
    """Round-trip check: echoes the payload and reports which worker ran it and what it sees in the DB."""
    with self.app.sessions() as session:
        cooperatives = session.scalar(select(func.count(Cooperative.id)))
    return {"pong": payload, "hostname": socket.gethostname(), "cooperatives": cooperatives}

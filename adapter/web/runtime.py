"""What a request needs: settings, the database and the Celery app, stored in ``app.extensions``."""

from __future__ import annotations

import atexit
import re
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.receive import Receiver
from adapter.store.search_buffer import SearchBuffer
from adapter.web.publisher import Publisher
from adapter.web.throttle import FailureThrottle
from config import Settings
from workers.app import OdopCelery

EXTENSION = "odop"
REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")


def request_id(incoming: str) -> str:
    """The id of this request: the caller's X-Request-ID when it is a sane one, a new one otherwise."""
    return incoming if REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


@dataclass(eq=False)
class Runtime:
    """Long-lived objects of one app instance."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    celery: OdopCelery
    receiver: Receiver
    publisher: Publisher
    redis: Redis | None
    throttle: FailureThrottle
    searches: SearchBuffer | None = None

    def __post_init__(self) -> None:
        _LIVE.add(self)

    def drain(self, retry_for: float = 2.0) -> None:
        """Store the searches still buffered and send the tasks still queued (the process is going away)."""
        if self.searches is not None:
            self.searches.close(retry_for)
        self.publisher.flush(retry_for)

    def dispose(self) -> None:
        """Store what is buffered, then close every pooled database connection (the app's and the ACK path's)."""
        self.drain(retry_for=0.0)
        self.engine.dispose()
        self.receiver.writer.dispose()


_LIVE: weakref.WeakSet[Runtime] = weakref.WeakSet()


def drain_all(retry_for: float = 2.0) -> None:
    """`Runtime.drain` for every app of this process (gunicorn's ``worker_exit``, and at exit)."""
    for rt in list(_LIVE):
        rt.drain(retry_for)


atexit.register(drain_all)


def runtime() -> Runtime:
    """The runtime of the current app."""
    value: Runtime = current_app.extensions[EXTENSION]
    return value


def db() -> Session:
    """The request's session (read-mostly; writes go through `unit_of_work`)."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    session: Session = g.db_session
    return session


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """The request's session inside one transaction: committed on success, rolled back on error."""
    session = db()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def close_session(_exc: BaseException | None = None) -> None:
    """Teardown: close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()

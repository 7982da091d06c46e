"""What a request needs: settings, the database and the Celery app, stored in ``app.extensions``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, g
from redis import Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.receive import Receiver
from adapter.web.publisher import Publisher
from adapter.web.throttle import FailureThrottle
from config import Settings
from workers.app import OdopCelery

EXTENSION = "odop"


@dataclass
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

    def dispose(self) -> None:
        """Close every pooled database connection (the app's and the ACK path's)."""
        self.engine.dispose()
        self.receiver.writer.dispose()


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

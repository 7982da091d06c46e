"""Fixtures the console's tests share: a test client of the app with the console, and two cooperatives."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

from tests.console.support import ensure_console, make_coop_with_key


@pytest.fixture
def web(app: Flask) -> FlaskClient:
    """A browser-like client of the app (console registered), signed out."""
    return ensure_console(app).test_client()


@pytest.fixture
def coops(sessions: sessionmaker[Session]) -> dict[str, tuple[int, str]]:
    """Two cooperatives with the RET16 catalogue, by slug: (id, plain API key)."""
    return {slug: make_coop_with_key(sessions, slug) for slug in ("test-coop", "other-coop")}

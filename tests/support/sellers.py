"""A cooperative with the test profile and, optionally, the RET16 fixture catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from catalog_sync.services import catalogue as catalogues

FIXTURES = Path(__file__).resolve().parents[1] / "catalog_sync" / "fixtures"
PROFILE = json.loads((FIXTURES / "profile.json").read_text())
RET16_CSV = (FIXTURES / "items_ret16.csv").read_bytes()


# Open every day, all day: order tests must not depend on the time they run at.
ALWAYS_OPEN = {"opening": {"days": "1-7", "open": "00:00", "close": "23:59", "holidays": []}}


def make_seller(sessions: sessionmaker[Session], slug: str = "test-coop", *,
                catalogue: bytes | None = RET16_CSV, profile: dict[str, object] | None = None) -> int:
    """Create the cooperative (with its profile and catalogue) and return its id."""
    with transaction(sessions) as session:
        cooperative, _ = create_cooperative(session, slug, slug.replace("-", " ").title())
        catalogues.set_profile(cooperative, {**PROFILE, **(profile or {}), "slug": slug})
        if catalogue is not None:
            limits = catalogues.Limits(max_bytes=10_000_000, max_rows=10_000)
            result = catalogues.import_catalogue(session, cooperative, catalogue, "items.csv", limits, source="test")
            assert result.created, result.report.errors[:3]
        return cooperative.id

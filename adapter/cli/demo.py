"""Demo data for local runs: ODOP cooperatives seeded into an empty database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.store.models import Cooperative
from config import Settings

DEMO_COOPERATIVES = (
    ("chamba-rumal", "Chamba Rumal Embroiderers' Cooperative (demo)"),
    ("kinnaur-shawls", "Kinnaur Handloom Weavers' Cooperative (demo)"),
    ("kangra-tea", "Kangra Valley Tea Growers' Cooperative (demo)"),
    ("apricot-oil", "Kinnaur Apricot Oil Producers' Cooperative (demo)"),
)


def seed_demo_data(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Create the demo cooperatives when the database has none; return their keys (saved under DATA_DIR)."""
    keys_file = settings.data_dir / "demo-keys.json"
    with sessions() as session:
        existing = session.scalar(select(func.count(Cooperative.id))) or 0
    if existing:
        return {"keys": _load_keys(keys_file), "seeded": False}
    keys: dict[str, str] = {}
    with transaction(sessions) as session:
        for slug, name in DEMO_COOPERATIVES:
            _, key = create_cooperative(session, slug, name)
            keys[slug] = key.plain
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")
    keys_file.chmod(0o600)
    return {"keys": keys, "seeded": True}


def _load_keys(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text())
    return data

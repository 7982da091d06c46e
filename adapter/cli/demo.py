"""Demo data for local runs: the ODOP cooperatives in examples/catalogues, seeded into an empty database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from adapter.store.models import Cooperative
from catalog_sync.services import catalogue as catalogues
from config import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalogues"
# The demo seller app's own GSTIN (fictional, valid check character). The demo cooperatives are hosted as a
# marketplace (MSN), whose order messages state the seller app's GSTIN beside the cooperative's PAN; without one
# ONDC's review refuses them (tax_number and provider_tax_number may not name the same PAN).
DEMO_SELLER_APP_GSTIN = "02AAACO1234F1Z8"


def seed_demo_data(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Create the demo cooperatives with profiles and catalogues when the database has none.

    Their keys are saved to DATA_DIR/demo-keys.json (local use only) so later runs can print them again.
    """
    keys_file = settings.data_dir / "demo-keys.json"
    with sessions() as session:
        existing = session.scalar(select(func.count(Cooperative.id))) or 0
    if existing:
        return {"keys": _load_keys(keys_file), "seeded": False}
    limits = catalogues.Limits.from_settings(settings)
    keys: dict[str, str] = {}
    with transaction(sessions) as session:
        for folder in sorted(p for p in EXAMPLES.iterdir() if (p / "profile.yaml").exists()):
            profile = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
            cooperative, key = create_cooperative(session, folder.name, profile["name"])
            catalogues.set_profile(cooperative, profile)
            catalogue = folder / "catalogue.csv"
            result = catalogues.import_catalogue(session, cooperative, catalogue.read_bytes(), catalogue.name, limits,
                                                 source="demo", confirm=True)
            if result.version is None:
                raise RuntimeError(f"demo catalogue {catalogue} does not validate: {result.report.to_dict()}")
            keys[folder.name] = key.plain
    keys_file.write_text(json.dumps(keys, indent=2) + "\n")
    keys_file.chmod(0o600)
    return {"keys": keys, "seeded": True}


def _load_keys(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data: dict[str, str] = json.loads(path.read_text())
    return data

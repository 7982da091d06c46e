#!/usr/bin/env python3
"""Run ONDC's log-validation-utility on what the demo cooperatives send, and print the seller-side error counts.

    scripts/conformance.py [--validator ../shared/ondc/validator/ondc-validate] [--keep DIR]

Flow 8 (search and the full on_search) for each demo cooperative in examples/catalogues: the demo data is
seeded into a throwaway embedded database, each cooperative's on_search is rendered as a search answer would be,
and the utility checks it. Only the local-address artefacts its README names are neutralised: bpp_uri and
bap_uri become https URLs on the subscriber ids. Exit status 1 when any seller-side error remains.
docs/certification.md explains the figures and the known disagreements.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_VALIDATOR = ROOT.parent / "shared" / "ondc" / "validator" / "ondc-validate"
BUYER = "buyer.conformance.example"
SELLER = "seller.conformance.example"


def render(work: Path) -> dict[str, dict[str, object]]:
    """Seed the demo data into an embedded database under ``work`` and render every cooperative's on_search."""
    os.environ.update({"DATA_DIR": str(work / "var"), "ONDC_SUBSCRIBER_ID": SELLER})
    sys.path.insert(0, str(ROOT))
    from adapter.cli.demo import seed_demo_data
    from adapter.store import migrate
    from adapter.store.db import make_engine, make_sessionmaker
    from config import load_settings

    settings = load_settings(dict(os.environ))
    migrate.upgrade(settings.database_url)
    seed_demo_data(settings, make_sessionmaker(make_engine(settings.database_url)))
    bodies = {}
    for folder in sorted((ROOT / "examples" / "catalogues").iterdir()):
        if not (folder / "profile.yaml").is_file():
            continue
        out = subprocess.run([sys.executable, "-m", "adapter.cli", "catalog", "render", "--cooperative",
                              folder.name], capture_output=True, text=True, env=dict(os.environ), cwd=ROOT)
        if out.returncode != 0:
            raise SystemExit(f"rendering {folder.name} failed:\n{out.stderr}")
        bodies[folder.name] = json.loads(out.stdout)
    return bodies


def flow8(name: str, on_search: dict[str, object], work: Path, validator: Path) -> tuple[str, int, list[str]]:
    """Write search + on_search for one cooperative and run the utility; the domain, count and error lines."""
    context = on_search["context"]
    assert isinstance(context, dict)
    context.update(bpp_id=SELLER, bpp_uri=f"https://{SELLER}/ondc", bap_id=BUYER, bap_uri=f"https://{BUYER}/ondc")
    search = {"context": {key: context[key] for key in ("domain", "country", "city", "core_version", "bap_id",
                                                           "bap_uri", "transaction_id", "message_id", "timestamp",
                                                           "ttl")} | {"action": "search"},
              "message": {"intent": {"fulfillment": {"type": "Delivery"},
                                     "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                                 "@ondc/org/buyer_app_finder_fee_amount": "3"}}}}
    folder = work / "flow8" / name
    folder.mkdir(parents=True)
    (folder / "search.json").write_text(json.dumps(search, indent=1))
    (folder / "on_search.json").write_text(json.dumps(on_search, indent=1))
    out = subprocess.run([str(validator), "--flow", "8", "--seller-only", str(folder)], capture_output=True, text=True)
    text = out.stdout + out.stderr
    found = re.search(r"seller-side errors: (\d+)", text)
    if found is None:
        raise SystemExit(f"the validator gave no verdict for {name}:\n{text}")
    errors = [line.strip() for line in text.splitlines() if line.startswith("  [")]
    return str(context["domain"]), int(found.group(1)), errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validator", type=Path, default=DEFAULT_VALIDATOR)
    parser.add_argument("--keep", type=Path, help="write the captured messages here instead of a temporary folder")
    args = parser.parse_args()
    if not args.validator.is_file():
        print(f"ONDC's validator is not at {args.validator}; give --validator PATH (see docs/certification.md)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="odop-conformance-") as scratch:
        work = args.keep or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        total = 0
        print(f"{'flow':<5} {'cooperative':<22} {'domain':<11} seller-side errors")
        for name, body in render(work).items():
            domain, count, errors = flow8(name, body, work, args.validator)
            total += count
            print(f"{'8':<5} {name:<22} {domain:<11} {count}")
            for line in errors:
                print(f"{'':<5} {line}")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())

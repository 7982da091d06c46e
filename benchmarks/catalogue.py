"""Benchmark the pure catalogue core on a generated 10,000-item catalogue.

Figures (targets from the design brief):
  * validate: rows per second through ``validate_rows``;
  * import: rows per second from CSV bytes to a stored catalogue version (parse, validate, write), on a
    temporary SQLite file or ``--database-url``; and the time to re-import the file with 1% of prices changed;
  * full render: ``to_on_search`` time as a multiple of ``orjson.dumps`` of its output (target <= 8x);
  * incremental: ``diff_items`` + ``to_on_search_incremental`` for 1% changed items, as a share of a
    full render (target <= 5%). Reported twice: when unchanged items are the same objects (a worker that
    keeps the previous version in memory) and when both versions were parsed separately (loaded from the DB).

Usage: python benchmarks/catalogue.py [--items N] [--json] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from adapter.protocol.identity import SellerApp
from catalog_sync.diff import diff_items, to_on_search_incremental
from catalog_sync.ingest import RawRow
from catalog_sync.model import Catalogue, Item, item_hash
from catalog_sync.on_search import BppInfo, to_on_search
from catalog_sync.profile import load_profile
from catalog_sync.validate import validate_rows

PROFILE = {
    "slug": "bench-coop",
    "name": "Benchmark Cooperative",
    "legal_name": "Benchmark Cooperative Society Ltd",
    "gstin": "02AAAAA0000A1ZE",
    "pan": "AAAAA0000A",
    "np_type": "MSN",
    "domains": ["ONDC:RET16"],
    "symbol": "https://bench.odop-adapter.example/logo.png",
    "short_desc": "Benchmark",
    "long_desc": "Benchmark",
    "consumer_care": {"name": "Care", "email": "care@bench.example", "phone": "9000000001"},
    "locations": [
        {
            "id": "main",
            "street": "1 Lane",
            "locality": "Chowgan",
            "city": "Chamba",
            "state": "Himachal Pradesh",
            "area_code": "176310",
            "gps": "32.5534,76.1258",
            "city_code": "std:01899",
        }
    ],
    "settlement": {"upi": "bench@upi"},
}
BPP = BppInfo(
    SellerApp("bench.odop-adapter.example", "https://bench.odop-adapter.example/ondc", "Bench", 2_000_000, 3600),
    "https://b.example/l.png",
    "s",
    "l",
    ("https://b.example/l.png",),
)
NOW = datetime(2030, 1, 1, tzinfo=UTC)
CONTEXT = {
    "domain": "ONDC:RET16",
    "action": "on_search",
    "country": "IND",
    "city": "std:01899",
    "core_version": "1.2.5",
    "bap_id": "b",
    "bap_uri": "https://b.example",
    "bpp_id": BPP.app.bpp_id,
    "bpp_uri": BPP.app.bpp_uri,
    "transaction_id": "t",
    "message_id": "m",
    "timestamp": "2030-01-01T00:00:01.000Z",
    "ttl": "PT30S",
}


def make_rows(n: int) -> list[RawRow]:
    rows = []
    for i in range(n):
        group = f"G{i // 4}" if i % 8 < 4 else ""
        rows.append(
            RawRow(
                i + 2,
                {
                    "id": f"ITEM-{i:05d}",
                    "name": f"Chamba Rumal design {i} size {i % 4}",
                    "category_id": "Home Decor",
                    "price": f"{1000 + i % 500}.50",
                    "mrp": f"{1600 + i % 500}",
                    "stock": str(i % 50),
                    "images": f"https://bench.odop-adapter.example/images/{i}.jpg",
                    "colour": "#8B0000",
                    "colour_name": "maroon",
                    "material": "silk",
                    "size": f"{30 + i % 4 * 10} cm",
                    "short_desc": "Hand-embroidered rumal",
                    "long_desc": "Double-sided dorukha embroidery on silk " * 3,
                    "returnable": "yes",
                    "return_window": "7 days",
                    "code_type": "hsn",
                    "code": "58109100",
                    "parent_item_id": group,
                    "variant_attributes": "size" if group else "",
                    "district": "Chamba",
                    "artisan": f"Artisan {i % 40}",
                    "craft": "Chamba Rumal embroidery",
                },
            )
        )
    return rows


def sheet(rows: list[RawRow], changed_every: int | None = None) -> bytes:
    """The rows as a CSV upload; ``changed_every``: every Nth item's price up by 1 (a re-import with changes)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0].values))
    writer.writeheader()
    for number, row in enumerate(rows):
        values = dict(row.values)
        if changed_every and number % changed_every == 0:
            values["price"] = str(Decimal(values["price"]) + 1)
        writer.writerow(values)
    return out.getvalue().encode()


def best(fn: Callable[[], Any], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(n: int) -> dict[str, float]:
    profile = load_profile(PROFILE)
    rows = make_rows(n)
    t_validate = best(lambda: validate_rows(rows, profile), repeat=2)
    report = validate_rows(rows, profile)
    assert report.ok, report.errors[:3]
    cat = Catalogue(profile, report.items)
    pages = to_on_search(cat, bpp=BPP, context=CONTEXT, now=NOW)
    t_render = best(lambda: to_on_search(cat, bpp=BPP, context=CONTEXT, now=NOW))
    t_dumps = best(lambda: [orjson.dumps(p) for p in pages])

    step = 100  # 1% of items change price or stock
    new_items = tuple(
        dataclasses.replace(it, price=it.price + Decimal(1)) if k % step == 0 else it
        for k, it in enumerate(cat.items)
    )
    new_cat = Catalogue(profile, new_items)

    def incremental(
        old: tuple[Item, ...], hashes: tuple[dict[str, str], dict[str, str]] | None = None
    ) -> None:
        if hashes is None:
            changes = diff_items(old, new_items)
        else:
            changes = diff_items(old, new_items, old_hashes=hashes[0], new_hashes=hashes[1])
        assert len(changes.changed) == n // step
        to_on_search_incremental(changes, new_cat, context={**CONTEXT, "city": "*"}, now=NOW)

    t_inc_shared = best(lambda: incremental(cat.items))
    reparsed = tuple(Item.from_dict(i.to_dict()) for i in cat.items)
    t_inc_reparsed = best(lambda: incremental(reparsed))
    # A version store keeps item_hash per item (DESIGN.md "catalogue_versions"), so diff can compare hashes.
    hashes = ({i.id: item_hash(i) for i in reparsed}, {i.id: item_hash(i) for i in new_items})
    t_inc_hashed = best(lambda: incremental(reparsed, hashes))
    return {
        "items": n,
        "pages": len(pages),
        "bytes": sum(len(orjson.dumps(p)) for p in pages),
        "validate_rows_per_s": n / t_validate,
        "render_s": t_render,
        "dumps_s": t_dumps,
        "render_vs_dumps": t_render / t_dumps,
        "incremental_shared_pct": 100 * t_inc_shared / t_render,
        "incremental_reparsed_pct": 100 * t_inc_reparsed / t_render,
        "incremental_hashed_pct": 100 * t_inc_hashed / t_render,
    }


def run_import(n: int, database_url: str | None) -> dict[str, float]:
    """End to end through the store: parse + validate + write a version, then a 1%-changed re-import."""
    import tempfile

    from adapter.store import migrate
    from adapter.store.cooperatives import create_cooperative, get_cooperative
    from adapter.store.db import make_engine, make_sessionmaker, transaction
    from catalog_sync.services import catalogue as service

    rows = make_rows(n)
    first, second = sheet(rows), sheet(rows, changed_every=100)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate.downgrade(url, "base")
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        limits = service.Limits(max_bytes=64 * 1024 * 1024, max_rows=n + 1)
        with transaction(sessions) as session:
            cooperative, _ = create_cooperative(session, "bench-coop", "Bench")
            service.set_profile(cooperative, {**PROFILE, "slug": "bench-coop"})
        timings = []
        for data in (first, second):
            start = time.perf_counter()
            with transaction(sessions) as session:
                cooperative = get_cooperative(session, "bench-coop")
                result = service.import_catalogue(session, cooperative, data, "bench.csv", limits, source="bench")
                assert result.created, result.report.errors[:3]
            timings.append(time.perf_counter() - start)
        engine.dispose()
        if database_url:
            migrate.downgrade(url, "base")
    return {"import_rows_per_s": n / timings[0], "reimport_1pct_s": timings[1]}


TARGETS = {"render_vs_dumps": 8.0, "incremental_shared_pct": 5.0, "incremental_hashed_pct": 5.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--database-url", help="import into this database (default: a temporary SQLite file); "
                        "it is migrated down to empty afterwards, so never point it at real data")
    parser.add_argument("--no-import", action="store_true", help="skip the database import figures")
    parser.add_argument(
        "--baseline", type=pathlib.Path, help="JSON from an earlier --json run to compare with"
    )
    args = parser.parse_args()
    figures: dict[str, float] = run(args.items)
    if not args.no_import:
        figures |= run_import(args.items, args.database_url)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            target = f"   (target <= {TARGETS[key]})" if key in TARGETS else ""
            print(f"{key:28} {value:14.3f}{target}")
    failed = [k for k, limit in TARGETS.items() if figures[k] > limit]
    if args.baseline:
        base = json.loads(args.baseline.read_text(encoding="utf-8"))
        for key in (
            "validate_rows_per_s",
            "import_rows_per_s",
            "render_vs_dumps",
            "incremental_shared_pct",
            "incremental_hashed_pct",
        ):
            if key in base:
                change = 100 * (figures[key] - base[key]) / base[key] if base[key] else 0.0
                print(
                    f"vs baseline {key:28} {base[key]:12.3f} -> {figures[key]:12.3f} ({change:+.1f}%)",
                    file=sys.stderr,
                )
    if failed:
        print(f"targets missed: {', '.join(failed)}", file=sys.stderr)
    print(f"best-of-N timings; python {sys.version.split()[0]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

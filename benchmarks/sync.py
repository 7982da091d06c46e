"""Benchmark catalogue pushes: a full sync against an incremental one after 1% of the items changed.

A cooperative with ``--items`` items (10,000 by default) and one buyer app subscribed to incremental pushes
(catalog_inc), on a temporary SQLite file or ``--database-url``. Then:

  1. a full sync (`odop.run_sync` with kind=full, run in this process): the whole catalogue pushed;
  2. a re-import with 1% of the prices changed (timed apart: rows written, seconds);
  3. an incremental sync: only what changed pushed.

Each push goes through the real outbox: every row is delivered with `adapter.delivery.sender.deliver` to a local
buyer app, which counts the bytes it received. Figures: bytes pushed (incremental as a share of full; target
<= 2%), CPU of each sync run (process time; incremental as a share of full, target <= 10%), and how many item
rows the re-import wrote.

Usage: python benchmarks/sync.py [--items N] [--database-url URL] [--json] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pathlib
import pstats
import random
import sys
import tempfile
import time
from typing import Any

from sqlalchemy import event, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from ack_path import compare
from catalogue import PROFILE, make_rows, sheet
from outbox import Receiver

from adapter.delivery.http import HttpClient
from adapter.delivery.sender import Signer, deliver
from adapter.protocol.identity import SellerApp
from adapter.protocol.keys import generate_keyset
from adapter.store import migrate
from adapter.store import sync as sync_store
from adapter.store.cooperatives import create_cooperative, get_cooperative
from adapter.store.db import make_engine, make_sessionmaker, transaction
from adapter.store.models import OutboxMessage, Subscription
from catalog_sync.services import catalogue as service
from catalog_sync.services import sync as sync_runner
from catalog_sync.services.sync import SyncDeps

BUYER = "buyer.bench.example"


def run_sync(deps: SyncDeps, cooperative_id: int, kind: str, profile: bool = False) -> tuple[float, list[int]]:
    job, _ = sync_store.start_job(deps.sessions, cooperative_id, kind=kind, requested_by="bench")
    profiler = cProfile.Profile() if profile else None
    started = time.process_time()
    if profiler is not None:
        profiler.enable()
    result = sync_runner.run(deps, job.id, stale_after=dt.timedelta(minutes=5))
    spent = time.process_time() - started
    if profiler is not None:
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("cumulative").print_stats(30)
        print(f"--- {kind} sync, cProfile ---\n{out.getvalue()}", file=sys.stderr)
    assert result.state == "succeeded", result
    return spent, result.outbox_ids


def deliver_all(deps: SyncDeps, signer: Signer, ids: list[int], receiver: Receiver) -> tuple[int, int]:
    """Deliver the rows; (bytes the buyer app received, rows sent)."""
    before = receiver.bytes
    sent = 0
    with HttpClient(connect_timeout=3, read_timeout=30) as http:
        for outbox_id in ids:
            result = deliver(deps.sessions, outbox_id, signer=signer, http=http, now=deps.now, rng=random.random,
                             base_delay=1, max_delay=60, allow_private=True, require_https=False)
            sent += result.outcome == "sent"
    return receiver.bytes - before, sent


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000, help="items in the catalogue (default 10,000)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each sync run on stderr")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline", type=pathlib.Path, default=None, help="a previous --json output to compare")
    args = parser.parse_args(argv)

    rows = make_rows(args.items)
    receiver = Receiver()
    app = SellerApp("seller.bench.example", "https://seller.bench.example/ondc", "Bench", 1_000_000, 3600)
    signer = Signer(app.bpp_id, "k1", generate_keyset().signing_key(), validity=300)
    with tempfile.TemporaryDirectory(prefix="odop-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate.downgrade(url, "base")
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        limits = service.Limits(max_bytes=256 * 1024 * 1024, max_rows=args.items + 1)
        now = dt.datetime.now(dt.UTC)
        with transaction(sessions) as session:
            cooperative, _ = create_cooperative(session, "bench-coop", "Bench")
            service.set_profile(cooperative, {**PROFILE, "slug": "bench-coop"})
            assert service.import_catalogue(session, cooperative, sheet(rows), "items.csv", limits,
                                            source="bench").created
            session.add(Subscription(bap_id=BUYER, bap_uri=receiver.url, domain="ONDC:RET16", transaction_id="t-bench",
                                     active=True, started_at=now))
            cooperative_id = cooperative.id
        deps = SyncDeps(sessions=sessions, http=HttpClient(connect_timeout=3, read_timeout=30), app=app,
                        limits=limits, allow_private=True, now=lambda: dt.datetime.now(dt.UTC))

        full_cpu, full_ids = run_sync(deps, cooperative_id, "full", args.profile)
        full_bytes, full_sent = deliver_all(deps, signer, full_ids, receiver)

        written: list[int] = []

        def note(_conn: Any, cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
            verb, _, rest = statement.partition(" ")
            table = rest.replace("INTO ", "").replace("FROM ", "").split()[0] if rest else ""
            if verb in ("INSERT", "UPDATE", "DELETE") and table == "items":
                written.append(max(cursor.rowcount, 0))  # rows the statement wrote

        event.listen(engine, "after_cursor_execute", note)
        started = time.perf_counter()
        with transaction(sessions) as session:
            result = service.import_catalogue(session, get_cooperative(session, "bench-coop"),
                                              sheet(rows, changed_every=100), "items.csv", limits, source="bench")
            assert result.created
        reimport_s = time.perf_counter() - started
        event.remove(engine, "after_cursor_execute", note)
        rows_written = sum(written)

        inc_cpu, inc_ids = run_sync(deps, cooperative_id, "incremental", args.profile)
        inc_bytes, inc_sent = deliver_all(deps, signer, inc_ids, receiver)
        with sessions() as session:
            statuses = list(session.scalars(select(OutboxMessage.status)))
        engine.dispose()
        if args.database_url:
            migrate.downgrade(url, "base")
    receiver.close()
    figures = {
        "config": {"items": args.items, "changed": args.items // 100,
                   "mode": "postgresql" if args.database_url else "sqlite", "cpus": os.cpu_count()},
        "full": {"cpu_s": round(full_cpu, 3), "bytes": full_bytes, "messages": len(full_ids), "sent": full_sent},
        "incremental": {"cpu_s": round(inc_cpu, 3), "bytes": inc_bytes, "messages": len(inc_ids), "sent": inc_sent},
        "bytes_pct": round(100 * inc_bytes / full_bytes, 2) if full_bytes else 0.0,
        "cpu_pct": round(100 * inc_cpu / full_cpu, 2) if full_cpu else 0.0,
        "reimport": {"seconds": round(reimport_s, 2), "item_rows_written": rows_written},
        "outbox": {status: statuses.count(status) for status in set(statuses)},
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        full, inc = figures["full"], figures["incremental"]
        print(f"Catalogue pushes ({args.items:,} items, {args.items // 100} changed, {figures['config']['mode']}):")
        print(f"  full sync          {full['cpu_s']:>7.3f} s CPU   {full['bytes']:>12,} bytes received "
              f"({full['messages']} message(s))")
        print(f"  incremental sync   {inc['cpu_s']:>7.3f} s CPU   {inc['bytes']:>12,} bytes received "
              f"({inc['messages']} message(s))")
        print(f"  incremental / full: bytes {figures['bytes_pct']:.2f}% (target <= 2%: "
              f"{'met' if figures['bytes_pct'] <= 2 else 'NOT met'}), CPU {figures['cpu_pct']:.2f}% "
              f"(target <= 10%: {'met' if figures['cpu_pct'] <= 10 else 'NOT met'})")
        print(f"  re-import with 1% changed: {figures['reimport']['seconds']} s, "
              f"{figures['reimport']['item_rows_written']:,} item rows written")
    if args.baseline is not None:
        compare(figures, args.baseline)


if __name__ == "__main__":
    main()

"""Benchmark what one search costs a worker for a large catalogue: answered from the rendering kept per revision.

A cooperative with ``--items`` items (10,000 by default) is imported into a temporary SQLite file (or
``--database-url``). Then, in this process:

  * Floor: for the same answer, ``orjson.dumps`` of its pages + the Authorization header of each (BLAKE2b-512
    of the bytes, ed25519 signature): what any seller app must spend to send that catalogue once.
  * Ours, per search (warm: the answer was rendered by an earlier search of this revision): `answer_search` in
    its transaction (revision, context, pages looked up, outbox rows written), then, for each page, what the
    sender does with it: splice the context and the page, digest and sign the exact bytes. CPU time (process
    time), median of ``--searches``.
  * Cold: the first search after a change (render + store the pages once).
  * Before this cache: `to_on_search` per search + the floor, as every search paid until now.
  * Storage: bytes written to the outbox per search, against the bytes of the answer (stored once).

Usage: python benchmarks/search_cpu.py [--items N] [--searches N] [--database-url URL] [--json] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from sqlalchemy import func, select

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from ack_path import compare
from catalogue import PROFILE, make_rows, sheet

from adapter.delivery.sender import Signer
from adapter.protocol.identity import SellerApp
from adapter.protocol.keys import generate_keyset
from adapter.protocol.request import NetworkRequest
from adapter.store import migrate
from adapter.store import pages as page_store
from adapter.store.cooperatives import create_cooperative
from adapter.store.db import make_engine, make_sessionmaker, transaction
from adapter.store.models import InboundMessage, OutboxMessage
from catalog_sync.on_search import to_on_search
from catalog_sync.search_intent import intent_from_search
from catalog_sync.services import catalogue as service
from catalog_sync.services import rendered
from catalog_sync.services.answer import answer_search

BUYER = "buyer.bench.example"


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    result = fn()
    return time.process_time() - started, result


def search_payload(now: dt.datetime) -> bytes:
    return orjson.dumps({
        "context": {"domain": "ONDC:RET16", "country": "IND", "city": "std:01899", "action": "search",
                    "core_version": "1.2.5", "bap_id": BUYER, "bap_uri": "https://buyer.bench.example/ondc",
                    "transaction_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
                    "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "ttl": "PT30S"},
        "message": {"intent": {"fulfillment": {"type": "Delivery"},
                               "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                           "@ondc/org/buyer_app_finder_fee_amount": "3"}}},
    })


def stored_search(sessions: Any, now: dt.datetime) -> NetworkRequest:
    body = search_payload(now)
    with transaction(sessions) as session:
        row = InboundMessage(action="search", bap_id=BUYER, message_id=orjson.loads(body)["context"]["message_id"],
                             transaction_id=orjson.loads(body)["context"]["transaction_id"], body=body, headers={},
                             status="processing")
        session.add(row)
        session.flush()
        return NetworkRequest.parse(row.id, "search", body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=10_000, help="items in the catalogue (default 10,000)")
    parser.add_argument("--searches", type=int, default=15, help="warm searches measured (default 15)")
    parser.add_argument("--page-bytes", type=int, default=1_000_000, help="on_search page budget (default 1 MB)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline", type=pathlib.Path, default=None, help="a previous --json output to compare")
    args = parser.parse_args(argv)

    upload = sheet(make_rows(args.items))
    app = SellerApp("seller.bench.example", "https://seller.bench.example/ondc", "Bench", args.page_bytes, 3600)
    signer = Signer(app.bpp_id, "k1", generate_keyset().signing_key(), validity=300)
    with tempfile.TemporaryDirectory(prefix="odop-bench-") as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        migrate.downgrade(url, "base")
        migrate.upgrade(url)
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        limits = service.Limits(max_bytes=256 * 1024 * 1024, max_rows=args.items + 1)
        with transaction(sessions) as session:
            cooperative, _ = create_cooperative(session, "bench-coop", "Bench")
            service.set_profile(cooperative, {**PROFILE, "slug": "bench-coop"})
            result = service.import_catalogue(session, cooperative, upload, "bench.csv", limits,
                                              source="bench")
            assert result.created, result.report.errors[:3]
        now = dt.datetime.now(dt.UTC)

        def one_search() -> tuple[int, int]:
            request = stored_search(sessions, now)
            with transaction(sessions) as session:
                queued = answer_search(session, request, app, now)
                sent = [page_store.wire_of(session, row.body, row.page_digest) for row in queued]
                outbox_bytes = sum(len(row.body) for row in queued)
            for body in sent:  # what the sender does with each page: the exact bytes, signed
                signer.authorization(body, now)
            return outbox_bytes, sum(len(body) for body in sent)

        rendered.CACHE.clear()
        cold, (_, answer_bytes) = cpu(one_search)
        warm = []
        for _ in range(args.searches):
            spent, (outbox_bytes, _) = cpu(one_search)
            warm.append(spent)

        # The floor and the old way, on the same answer.
        with sessions() as session:
            from adapter.store.cooperatives import get_cooperative

            catalogue = service.current_catalogue(session, get_cooperative(session, "bench-coop"))
            pages_stored = session.scalar(select(func.count()).select_from(page_store.RenderedPage))
            rows_queued = session.scalar(select(func.count()).select_from(OutboxMessage))
        intent = intent_from_search(orjson.loads(search_payload(now))["message"])
        context = {"domain": "ONDC:RET16", "action": "on_search", "message_id": "m", "transaction_id": "t"}
        page_dicts = to_on_search(catalogue, bpp=service.bpp_info(app, catalogue.profile), context=context, now=now,
                                  intent=intent, size_budget=args.page_bytes)

        def floor() -> None:
            for page in page_dicts:
                signer.authorization(orjson.dumps(page), now)  # the header holds the BLAKE2b-512 digest, signed

        def before() -> None:
            for page in to_on_search(catalogue, bpp=service.bpp_info(app, catalogue.profile), context=context,
                                     now=now, intent=intent, size_budget=args.page_bytes):
                signer.authorization(orjson.dumps(page), now)

        floors = [cpu(floor)[0] for _ in range(5)]
        befores = [cpu(before)[0] for _ in range(3)]
        engine.dispose()
        if args.database_url:
            migrate.downgrade(url, "base")

    floor_s, warm_s, before_s = min(floors), statistics.median(warm), min(befores)
    figures = {
        "config": {"items": args.items, "searches": args.searches, "page_bytes": args.page_bytes,
                   "mode": "postgresql" if args.database_url else "sqlite", "cpus": os.cpu_count()},
        "answer": {"pages": len(page_dicts), "bytes": answer_bytes},
        "floor_ms": round(floor_s * 1000, 1),
        "warm_search_ms": round(warm_s * 1000, 1),
        "cold_search_ms": round(cold * 1000, 1),
        "before_ms": round(before_s * 1000, 1),
        "warm_vs_floor": round(warm_s / floor_s, 2),
        "before_vs_floor": round(before_s / floor_s, 2),
        "outbox_bytes_per_search": outbox_bytes,
        "pages_stored": pages_stored,
        "outbox_rows": rows_queued,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"Search CPU ({args.items:,} items, {len(page_dicts)} pages, {answer_bytes:,} bytes per answer, "
              f"{figures['config']['mode']}):")
        print(f"  floor (orjson.dumps + BLAKE2b + ed25519 of the answer)  {figures['floor_ms']:>8.1f} ms")
        print(f"  a search, rendering kept (median of {args.searches})         {figures['warm_search_ms']:>8.1f} ms"
              f"   = {figures['warm_vs_floor']:.2f}x the floor (target <= 2: "
              f"{'met' if figures['warm_vs_floor'] <= 2 else 'NOT met'})")
        print(f"  the first search after a change (renders, stores)      {figures['cold_search_ms']:>8.1f} ms")
        print(f"  a search before this cache (render every time)         {figures['before_ms']:>8.1f} ms"
              f"   = {figures['before_vs_floor']:.2f}x the floor")
        print(f"  outbox bytes written per search: {outbox_bytes:,} (the answer's {answer_bytes:,} bytes are stored "
              f"once: {pages_stored} pages for {rows_queued} outbox rows)")
    if args.baseline is not None:
        compare(figures, args.baseline)


if __name__ == "__main__":
    main()

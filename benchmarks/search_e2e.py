"""Benchmark a burst of searches end to end: signed /search in, signed on_search out, as a buyer app sees it.

Starts the whole service the way a user does (``odop-adapter up``: web, worker and beat, with the demo
cooperatives), then plays a buyer app: ``--searches`` distinct signed searches sent as fast as ``--threads``
connections can send them, and a callback receiver on 127.0.0.1 that notes when each on_search arrives.

Figures: searches ACKed; searches answered (at least one on_search) and answered within their ttl; searches/s
end to end (answered searches over the time from the first send to the last first answer); p50, p99 and max
from sending a search to its first on_search; and what the adapter recorded (inbound statuses, outbox statuses).

Embedded mode by default (SQLite and the SQLite broker, nothing to install); ``--database-url`` and
``--redis-url`` for production mode (PostgreSQL and Redis). The buyer shares the machine's CPUs with the service.

Usage: python benchmarks/search_e2e.py [--searches N] [--threads T] [--items 100] [--ttl PT30S] [--json]
       [--baseline FILE]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import http.client
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
from sqlalchemy import func, select

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from ack_path import compare, free_port, percentile, stop  # noqa: E402  # the ACK-path benchmark beside this one

from adapter.cli.demo_network import DEMO_BUYER_ID, DEMO_BUYER_KEY_ID, load_or_create_keys  # noqa: E402
from adapter.protocol.context import format_timestamp, parse_duration  # noqa: E402
from adapter.protocol.signing import sign_request  # noqa: E402
from adapter.store.db import make_engine  # noqa: E402
from adapter.store.models import InboundMessage, OutboxMessage  # noqa: E402

# --- the buyer app's receiver ---------------------------------------------------------------------------


class Arrivals:
    """When each message_id's first on_search arrived, and how many arrived in all."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[str, float] = {}
        self.count = 0

    def note(self, message_id: str) -> None:
        now = time.monotonic()
        with self.lock:
            self.count += 1
            self.first.setdefault(message_id, now)


def start_receiver(arrivals: Arrivals) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body back
        # until the client's delayed ACK (about 40 ms per callback).
        disable_nagle_algorithm = True
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                context = orjson.loads(body).get("context") or {}
            except orjson.JSONDecodeError:
                context = {}
            if self.path.rstrip("/").endswith("/on_search") and context.get("message_id"):
                arrivals.note(str(context["message_id"]))
            answer = b'{"message":{"ack":{"status":"ACK"}}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_: Any) -> None:
            return

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/buyer"


# --- the service ----------------------------------------------------------------------------------------


def start_service(work: pathlib.Path, args: argparse.Namespace, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "RESULT_BACKEND"):
        env.pop(name, None)
    env.update({"DATA_DIR": str(work / "var"), "BIND": f"127.0.0.1:{port}",
                "ONDC_SUBSCRIBER_URL": f"http://127.0.0.1:{port}", "LOG_LEVEL": args.log_level,
                "ALLOW_PRIVATE_CALLBACKS": "true"})
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    log = (work / "service.log").open("ab")
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "up"], env=env, cwd=ROOT, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"odop-adapter up exited with {proc.returncode}; see {work / 'service.log'}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise SystemExit(f"the service did not become ready; see {work / 'service.log'}")


# --- the burst ------------------------------------------------------------------------------------------


def searches(work: pathlib.Path, count: int, bap_uri: str, args: argparse.Namespace) -> list[tuple[str, bytes, str]]:
    """Distinct signed searches (message_id, body, Authorization), as the demo buyer app."""
    keys = load_or_create_keys(work / "var" / "demo-buyer-keys.json")
    key = keys.signing_key()
    now = dt.datetime.now(dt.UTC)
    created = int(now.timestamp())
    out = []
    for _ in range(count):
        message_id = str(uuid.uuid4())
        body = orjson.dumps({
            "context": {"domain": args.domain, "country": "IND", "city": args.city, "action": "search",
                        "core_version": "1.2.5", "bap_id": DEMO_BUYER_ID, "bap_uri": bap_uri,
                        "transaction_id": str(uuid.uuid4()), "message_id": message_id,
                        "timestamp": format_timestamp(dt.datetime.now(dt.UTC)), "ttl": args.ttl},
            "message": {"intent": {"fulfillment": {"type": "Delivery"},
                                   "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                               "@ondc/org/buyer_app_finder_fee_amount": "3"}}},
        })
        header = sign_request(body, subscriber_id=DEMO_BUYER_ID, unique_key_id=DEMO_BUYER_KEY_ID, key=key,
                              created=created, expires=created + 600)
        out.append((message_id, body, header))
    return out


def send_all(port: int, prepared: list[tuple[str, bytes, str]],
             threads: int) -> tuple[dict[str, float], dict[str, int]]:
    """POST every search from ``threads`` connections at once; the send time of each ACKed one, and outcomes."""
    sent: dict[str, float] = {}
    outcomes: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    cursor = iter(prepared)

    def run() -> None:
        while True:
            with lock:
                item = next(cursor, None)
            if item is None:
                return
            message_id, body, header = item
            started = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("POST", "/ondc/search", body, {"Content-Type": "application/json",
                                                             "Authorization": header})
                response = conn.getresponse()
                text = response.read()
                conn.close()
            except OSError:
                with lock:
                    outcomes["error"] += 1
                continue
            acked = response.status == 200 and b'"ACK"' in text
            with lock:
                outcomes["ack" if acked else f"http {response.status}"] += 1
                if acked:
                    sent[message_id] = started

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sent, dict(outcomes)


def recorded(database_url: str) -> dict[str, dict[str, int]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            inbound = dict(conn.execute(select(InboundMessage.status, func.count()).where(
                InboundMessage.action == "search").group_by(InboundMessage.status)).all())
            outbox = dict(conn.execute(select(OutboxMessage.status, func.count()).where(
                OutboxMessage.action == "on_search").group_by(OutboxMessage.status)).all())
    finally:
        engine.dispose()
    return {"inbound": {str(k): int(v) for k, v in inbound.items()},
            "outbox": {str(k): int(v) for k, v in outbox.items()}}


def replace_catalogue(database_url: str, items: int) -> None:
    """Give the demo's RET16 cooperative (chamba-rumal) a generated catalogue of ``items`` items."""
    from catalogue import make_rows, sheet

    from adapter.store.cooperatives import get_cooperative
    from adapter.store.db import make_sessionmaker, transaction
    from catalog_sync.services import catalogue as service

    engine = make_engine(database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            result = service.import_catalogue(session, get_cooperative(session, "chamba-rumal"),
                                              sheet(make_rows(items)), "bench.csv",
                                              service.Limits(max_bytes=64 * 1024 * 1024, max_rows=items + 1),
                                              source="bench", confirm=True)
            if not result.created:
                raise SystemExit(f"the generated catalogue did not import: {result.report.errors[:3]}")
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    arrivals = Arrivals()
    receiver, bap_uri = start_receiver(arrivals)
    with tempfile.TemporaryDirectory(prefix="odop-search-e2e-") as tmp:
        work = pathlib.Path(tmp)
        port = free_port()
        service = start_service(work, args, port)
        database_url = args.database_url or f"sqlite:///{work / 'var' / 'odop.sqlite3'}"
        try:
            if args.items:
                replace_catalogue(database_url, args.items)
            prepared = searches(work, args.searches, bap_uri, args)
            first_send = time.monotonic()
            sent, outcomes = send_all(port, prepared, args.threads)
            send_seconds = time.monotonic() - first_send
            ttl = parse_duration(args.ttl).total_seconds()
            deadline = first_send + ttl + args.grace
            while time.monotonic() < deadline and len(set(sent) & set(arrivals.first)) < len(sent):
                time.sleep(0.2)
            time.sleep(1.0)  # late pages of answers already on their way
            state = recorded(database_url)
        finally:
            stop(service)
            receiver.shutdown()
    latencies = [arrivals.first[m] - t for m, t in sent.items() if m in arrivals.first]
    answered = len(latencies)
    within = sum(1 for value in latencies if value <= ttl)
    last = max((arrivals.first[m] for m in sent if m in arrivals.first), default=first_send)
    span = max(last - first_send, 1e-9)
    return {
        "config": {"mode": "production" if args.redis_url else "embedded", "searches": args.searches,
                   "items": args.items,
                   "threads": args.threads, "ttl": args.ttl, "domain": args.domain, "city": args.city},
        "sent_per_s": round(len(sent) / max(send_seconds, 1e-9), 1),
        "acked": outcomes.get("ack", 0), "not_acked": {k: v for k, v in outcomes.items() if k != "ack"},
        "answered": answered, "answered_within_ttl": within,
        "searches_per_s": round(answered / span, 1),
        "p50_s": round(percentile(sorted(latencies), 0.50), 3), "p99_s": round(percentile(sorted(latencies), 0.99), 3),
        "max_s": round(max(latencies, default=float("nan")), 3),
        "on_search_received": arrivals.count, "recorded": state,
    }


# --- report ---------------------------------------------------------------------------------------------


def show(f: dict[str, Any]) -> None:
    c = f["config"]
    print(f"Search burst end to end ({c['mode']} mode, {c['searches']} searches from {c['threads']} connections, "
          f"ttl {c['ttl']}, {c['domain']} {c['city']}, {c.get('items') or 'the demo'} items):")
    print(f"  sent     {f['sent_per_s']:.1f} searches/s; ACKed {f['acked']}"
          + (f", not ACKed {f['not_acked']}" if f["not_acked"] else ""))
    print(f"  answered {f['answered']} ({f['answered_within_ttl']} within the ttl); "
          f"{f['searches_per_s']:.1f} searches/s end to end")
    print(f"  search -> first on_search: p50 {f['p50_s']:.2f} s   p99 {f['p99_s']:.2f} s   max {f['max_s']:.2f} s")
    print(f"  on_search received {f['on_search_received']}; recorded: inbound {f['recorded']['inbound']}, "
          f"outbox {f['recorded']['outbox']}")
    met = f["answered_within_ttl"] == f["acked"] == c["searches"]
    print(f"  every search answered within its ttl: {'yes' if met else 'NO'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--searches", type=int, default=200, help="searches in the burst (default 200)")
    parser.add_argument("--threads", type=int, default=8, help="connections sending at once (default 8)")
    parser.add_argument("--ttl", default="PT30S", help="the searches' ttl (default PT30S)")
    parser.add_argument("--items", type=int, default=100,
                        help="items the RET16 demo cooperative lists (generated; 0 keeps the demo's own 8)")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds to wait past the ttl (default 5)")
    parser.add_argument("--domain", default="ONDC:RET16", help="searched domain (default ONDC:RET16)")
    parser.add_argument("--city", default="std:080", help="searched city (default std:080)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="broker (default: the embedded SQLite broker)")
    parser.add_argument("--log-level", default="WARNING", help="the service's LOG_LEVEL (default WARNING)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline", type=pathlib.Path, default=None, help="a previous --json output to compare")
    args = parser.parse_args(argv)
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        show(figures)
    if args.baseline is not None:
        compare(figures, args.baseline)


if __name__ == "__main__":
    main()

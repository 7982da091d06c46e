"""Benchmark the outbox as production runs it: signed callbacks delivered per second by real Celery workers.

Starts one Celery worker (``celery -A workers.main worker``) with the default concurrency (WORKER_CONCURRENCY,
2 processes) against the broker and database under test, and a local buyer app (a threaded HTTP server that
ACKs). Then, in the same run:

  * Baseline: ``--count`` no-op tasks through the same broker and worker: Celery's own task rate here.
  * Ours: ``--count`` on_search rows enqueued in the outbox, then their ``odop.deliver_outbox`` tasks sent, as
    the worker that answers a search sends them. Each delivery claims its row (lease), signs the stored bytes,
    POSTs, records the attempt and the outcome: callbacks/s from the first task sent to the last POST recorded,
    and the ratio to the baseline (target >= 0.3).

Embedded mode by default (SQLite file and the SQLite broker); ``--database-url`` and ``--redis-url`` for
PostgreSQL and Redis. The buyer shares the machine's CPUs with the worker.

Usage: python benchmarks/outbox.py [--count N] [--body-kb K] [--database-url URL] [--redis-url URL] [--json]
       [--baseline FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from ack_path import BUYER_ID, SELLER_ID, SELLER_KEY, app_env, compare, entries, stop  # noqa: E402

from adapter.delivery import outbox  # noqa: E402
from adapter.protocol.keys import generate_keyset  # noqa: E402
from adapter.protocol.registry import write_registry_file  # noqa: E402
from adapter.store import migrate  # noqa: E402
from adapter.store.db import make_engine, make_sessionmaker, transaction  # noqa: E402
from adapter.store.models import OutboxMessage  # noqa: E402
from config import load_settings  # noqa: E402
from workers.app import make_celery  # noqa: E402
from workers.task_names import DELIVER_OUTBOX  # noqa: E402

NOOP_TASKS = '''
import pathlib

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def noop(index, last, marker):
    """Nothing at all; the last one leaves a file so the benchmark knows the queue is done."""
    if index == last:
        pathlib.Path(marker).write_text("done")
'''


class Receiver:
    """The buyer app: ACKs every POST and counts them."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0
        self.lock = threading.Lock()
        self.last_at = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body back
            # until the client's delayed ACK (about 40 ms per callback).
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                size = len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                answer = b'{"message":{"ack":{"status":"ACK"}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                with receiver.lock:
                    receiver.count += 1
                    receiver.bytes += size
                    receiver.last_at = time.monotonic()

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/buyer"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_worker(env: dict[str, str], log: pathlib.Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.main", "worker", "--loglevel", "WARNING",
             "--without-gossip", "--without-mingle", "--include", "odop_bench_tasks",
             "--concurrency", env.get("WORKER_CONCURRENCY", "2"), "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.02)
    raise SystemExit(f"timed out waiting for {what}")


def bench_noop(celery: Any, count: int, work: pathlib.Path) -> dict[str, Any]:
    marker = work / f"noop-{uuid.uuid4().hex}"
    started = time.monotonic()
    for index in range(count):
        celery.send_task("bench.noop", args=[index, count - 1, str(marker)], ignore_result=True)
    sent = time.monotonic()
    wait_for(marker.exists, 600, "the no-op tasks")
    elapsed = time.monotonic() - started
    return {"tasks_per_s": round(count / elapsed, 1), "seconds": round(elapsed, 2),
            "publish_s": round(sent - started, 2)}


def bench_deliveries(celery: Any, sessions: Any, receiver: Receiver, count: int, body_kb: int) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    body = orjson.dumps({"context": {"action": "on_search", "bpp_id": SELLER_ID},
                         "message": {"catalog": {"items": ["x" * 100] * (body_kb * 10)}}})
    with transaction(sessions) as session:
        ids = [outbox.enqueue(session, action="on_search", target_url=receiver.url + "/on_search", body=body,
                              transaction_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()), bap_id=BUYER_ID,
                              solicited=True, deadline_at=now + dt.timedelta(hours=1), now=now).id
               for _ in range(count)]
    before = receiver.count
    started = time.monotonic()
    for outbox_id in ids:
        celery.send_task(DELIVER_OUTBOX, args=[outbox_id], ignore_result=True)
    sent = time.monotonic()

    def all_sent() -> bool:
        if receiver.count - before < count:
            return False
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.id.in_(ids), OutboxMessage.status == "sent")) == count

    wait_for(all_sent, 900, "the deliveries")
    elapsed = time.monotonic() - started
    with sessions() as session:
        attempts = session.scalar(select(func.sum(OutboxMessage.attempts)).where(OutboxMessage.id.in_(ids)))
    return {"callbacks_per_s": round(count / elapsed, 1), "seconds": round(elapsed, 2),
            "publish_s": round(sent - started, 2), "posts": receiver.count - before, "attempts": attempts,
            "body_bytes": len(body)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=2000, help="tasks and callbacks per measurement (default 2000)")
    parser.add_argument("--body-kb", type=int, default=4, help="size of each callback body in KB (default 4)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="broker (default: the SQLite broker)")
    parser.add_argument("--log-level", default="WARNING", help="the worker's LOG_LEVEL (default WARNING)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline", type=pathlib.Path, default=None, help="a previous --json output to compare")
    args = parser.parse_args(argv)

    seller, buyer = generate_keyset(), generate_keyset()
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="odop-bench-") as tmp:
        work = pathlib.Path(tmp)
        (work / "var").mkdir()
        (work / "odop_bench_tasks.py").write_text(NOOP_TASKS)
        env = app_env(work, args, seller, 9)
        write_registry_file(work / "registry.json", [
            *entries(SELLER_ID, SELLER_KEY, seller, "sellerApp", "http://127.0.0.1:9/ondc"),
            *entries(BUYER_ID, "buyer-key-1", buyer, "buyerApp", receiver.url),
        ])
        settings = load_settings(env)
        if args.database_url:
            migrate.downgrade(settings.database_url, "base")
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        sessions = make_sessionmaker(engine)
        celery = make_celery(settings)
        child_env = dict(os.environ) | env | {"PYTHONPATH": os.pathsep.join([str(work), str(ROOT)])}
        worker = start_worker(child_env, work / "worker.log")
        try:
            bench_noop(celery, 50, work)  # the worker is up and warm
            noop_before = bench_noop(celery, args.count, work)
            ours = bench_deliveries(celery, sessions, receiver, args.count, args.body_kb)
            noop_after = bench_noop(celery, args.count, work)
        finally:
            stop(worker)
            engine.dispose()
            receiver.close()
    baseline = round((noop_before["tasks_per_s"] + noop_after["tasks_per_s"]) / 2, 1)
    figures = {
        "config": {"count": args.count, "body_kb": args.body_kb, "worker_concurrency": settings.worker_concurrency,
                   "mode": ("postgresql" if args.database_url else "sqlite") + (" + redis" if args.redis_url
                                                                               else " + sqlite broker"),
                   "cpus": os.cpu_count()},
        "noop": {"tasks_per_s": baseline, "runs_per_s": [noop_before["tasks_per_s"], noop_after["tasks_per_s"]]},
        "delivery": ours,
        "ratio": round(ours["callbacks_per_s"] / baseline, 3) if baseline else 0.0,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(f"Outbox ({figures['config']['mode']}, worker concurrency {settings.worker_concurrency}, "
              f"{args.count} each, {ours['body_bytes']} B bodies):")
        print(f"  Celery no-op tasks      {baseline:>8.1f} tasks/s   (runs before and after: "
              f"{noop_before['tasks_per_s']:.0f} and {noop_after['tasks_per_s']:.0f})")
        print(f"  callbacks delivered     {ours['callbacks_per_s']:>8.1f} /s        ({ours['posts']} POSTs, "
              f"{ours['attempts']} attempts recorded, {ours['seconds']} s)")
        print(f"  ratio: {figures['ratio']:.2f}  (target >= 0.3: {'met' if figures['ratio'] >= 0.3 else 'NOT met'})")
    if args.baseline is not None:
        compare(figures, args.baseline)


if __name__ == "__main__":
    main()

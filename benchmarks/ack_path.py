"""Benchmark the network's hot paths: the signed /search ACK, and callbacks delivered through the outbox.

Figures:
  * ACK path: the real app (``adapter.web.wsgi:app``) and a bare Flask app that returns a constant ACK, each
    under gunicorn with the same worker count and config, driven in turn by the same load generator for
    ``--duration`` seconds: requests/s, p50 and p99 latency, and the ratio real / bare (target >= 0.5). The bare
    app runs before and after the real one; the ratio is against the mean of its two runs.
    The real app gets distinct, pre-signed searches (unique message_ids, signed before the timed window), so
    every one is verified, checked, stored and queued for processing like a new search from a buyer app.
  * Delivery: N rows enqueued with ``adapter.delivery.outbox.enqueue``, then ``adapter.delivery.sender.deliver``
    over them from K threads to a local ThreadingHTTPServer that ACKs: callbacks/s, p50 and p99 per deliver().

The load generator is pure Python (client processes x threads, http.client keep-alive connections; gunicorn's
sync workers close each connection, so this measures a connection per request, as buyer apps mostly do).
Embedded mode by default (SQLite file and the SQLite broker); ``--database-url`` and ``--redis-url`` for
PostgreSQL and Redis. Figures depend on the machine: the client shares the CPUs with the servers.

Usage: python benchmarks/ack_path.py [--duration S] [--workers N] [--json] [--baseline FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing as mp
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from adapter.cli.demo import seed_demo_data
from adapter.delivery import outbox
from adapter.delivery.http import HttpClient
from adapter.delivery.sender import Signer, deliver
from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import KeySet, generate_keyset
from adapter.protocol.registry import write_registry_file
from adapter.protocol.registry_entry import RegistryEntry
from adapter.protocol.signing import sign_request
from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker, transaction
from config import load_settings

ROOT = pathlib.Path(__file__).resolve().parents[1]
SELLER_ID, SELLER_KEY = "seller.bench.local", "seller-key-1"
BUYER_ID, BUYER_KEY = "buyer.bench.local", "buyer-key-1"
ACK = b'{"message":{"ack":{"status":"ACK"}}}'
BARE_APP = '''
from flask import Flask, Response, request

app = Flask(__name__)
ACK = b'{"message":{"ack":{"status":"ACK"}}}'


@app.post("/ondc/<action>")
def webhook(action):
    request.get_data()
    return Response(ACK, status=200, content_type="application/json")


@app.get("/healthz")
def healthz():
    return "ok"
'''


# --- set-up ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def entries(subscriber_id: str, key_id: str, keys: KeySet, kind: str, url: str) -> list[RegistryEntry]:
    now = dt.datetime.now(dt.UTC)
    return [
        RegistryEntry(subscriber_id=subscriber_id, unique_key_id=key_id, signing_public_key=keys.signing_public_key,
                      encr_public_key=keys.encryption_public_key, valid_from=now - dt.timedelta(days=1),
                      valid_until=now + dt.timedelta(days=30), type=kind, domain=domain, city="*",
                      subscriber_url=url)
        for domain in ("ONDC:RET10", "ONDC:RET12", "ONDC:RET16")
    ]


def app_env(work: pathlib.Path, args: argparse.Namespace, seller: KeySet, port: int) -> dict[str, str]:
    env = {
        "DATA_DIR": str(work / "var"),
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'var' / 'odop.sqlite3'}",
        "LOG_LEVEL": args.log_level,
        "ONDC_SUBSCRIBER_URL": f"http://127.0.0.1:{port}",
        "ONDC_SUBSCRIBER_ID": SELLER_ID,
        "ONDC_UNIQUE_KEY_ID": SELLER_KEY,
        "ONDC_SIGNING_PRIVATE_KEY": seller.signing_private_key,
        "ONDC_ENCRYPTION_PRIVATE_KEY": seller.encryption_private_key,
        "REGISTRY_MODE": "static",
        "REGISTRY_FILE": str(work / "registry.json"),
        "ALLOW_PRIVATE_CALLBACKS": "true",
    }
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    return env


def start_gunicorn(app: str, port: int, workers: int, env: dict[str, str],
                   log: pathlib.Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:adapter.web.gunicorn_conf", "--bind",
             f"127.0.0.1:{port}", "--workers", str(workers), app],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise SystemExit(f"gunicorn {app} did not start; see {log}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def server_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a gunicorn master and its workers (Linux /proc; else None)."""
    tick = os.sysconf("SC_CLK_TCK")
    total, found = 0.0, False
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total, found = total + (int(fields[11]) + int(fields[12])) / tick, True
    return total if found else None


# --- load generator -------------------------------------------------------------------------------------


def presign(buyer: KeySet, count: int, bap_uri: str, ttl: str) -> list[tuple[bytes, str]]:
    """Distinct search bodies and their Authorization headers (unique message_ids), made before timing."""
    key = buyer.signing_key()
    now = dt.datetime.now(dt.UTC)
    created = int(now.timestamp())
    requests = []
    for _ in range(count):
        body = orjson.dumps({
            "context": {"domain": "ONDC:RET16", "country": "IND", "city": "std:080", "action": "search",
                        "core_version": "1.2.5", "bap_id": BUYER_ID, "bap_uri": bap_uri,
                        "transaction_id": str(uuid.uuid4()), "message_id": str(uuid.uuid4()),
                        "timestamp": format_timestamp(now), "ttl": ttl},
            "message": {"intent": {"fulfillment": {"type": "Delivery"},
                                   "payment": {"@ondc/org/buyer_app_finder_fee_type": "percent",
                                               "@ondc/org/buyer_app_finder_fee_amount": "3"}}},
        })
        header = sign_request(body, subscriber_id=BUYER_ID, unique_key_id=BUYER_KEY, key=key, created=created,
                              expires=created + 3600)
        requests.append((body, header))
    return requests


def _client(port: int, job: dict[str, Any], ready: Any, start: Any, results: Any) -> None:
    """One load-generator process: pre-sign its share, wait for the start, then run its threads."""
    prepared = presign(KeySet(**job["buyer"]), job["count"], job["bap_uri"], job["ttl"]) if job["signed"] else []
    ready.put(len(prepared))
    start.wait()
    deadline = time.monotonic() + job["duration"]
    lock = threading.Lock()
    latencies: list[float] = []
    counts = {"ok": 0, "bad": 0, "errors": 0, "exhausted": 0}
    cursor = iter(prepared)

    def next_request() -> tuple[bytes, dict[str, str]] | None:
        if not job["signed"]:
            return b'{"context":{"action":"search"},"message":{}}', {"Content-Type": "application/json"}
        with lock:
            item = next(cursor, None)
        if item is None:
            return None
        return item[0], {"Content-Type": "application/json", "Authorization": item[1]}

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        ok = bad = errors = 0
        while time.monotonic() < deadline:
            request = next_request()
            if request is None:
                with lock:
                    counts["exhausted"] += 1
                break
            started = time.perf_counter()
            try:
                conn.request("POST", "/ondc/search", body=request[0], headers=request[1])
                response = conn.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - started)
            if response.status == 200 and b'"ACK"' in answer:
                ok += 1
            else:
                bad += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            counts["ok"] += ok
            counts["bad"] += bad
            counts["errors"] += errors

    threads = [threading.Thread(target=run) for _ in range(job["threads"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put({"latencies": latencies, **counts})


def drive(port: int, args: argparse.Namespace, *, signed: bool, buyer: KeySet | None,
          server: int | None = None) -> dict[str, Any]:
    """Run the load generator against one server for the duration; requests/s, p50, p99, and the CPU the server
    (gunicorn master pid ``server`` and its workers) spent per request, which other load on the machine moves
    far less than requests/s."""
    ctx = mp.get_context("fork")
    ready, results, start = ctx.Queue(), ctx.Queue(), ctx.Event()
    # Searches must still be fresh at the end: the adapter refuses a timestamp older than its ttl (+ skew).
    job = {"signed": signed, "buyer": buyer.__dict__ if buyer else None, "duration": args.duration,
           "threads": args.threads, "count": args.presign // args.clients, "bap_uri": "http://127.0.0.1:9/buyer",
           "ttl": f"PT{max(30, int(args.duration) + 60)}S"}
    procs = [ctx.Process(target=_client, args=(port, job, ready, start, results)) for _ in range(args.clients)]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=600)
    cpu_before = server_cpu(server) if server else None
    started = time.monotonic()
    start.set()
    collected = [results.get(timeout=args.duration + 120) for _ in procs]
    elapsed = time.monotonic() - started
    cpu_after = server_cpu(server) if server else None
    for proc in procs:
        proc.join()
    latencies = sorted(x for c in collected for x in c["latencies"])
    total = {key: sum(c[key] for c in collected) for key in ("ok", "bad", "errors", "exhausted")}
    if total["exhausted"]:
        print(f"  warning: ran out of pre-signed requests; raise --presign (now {args.presign})", file=sys.stderr)
    return {
        "requests_per_s": round(total["ok"] / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "acks": total["ok"], "not_ack": total["bad"], "errors": total["errors"],
        "cpu_ms_per_request": (round((cpu_after - cpu_before) * 1000 / total["ok"], 3)
                               if cpu_before is not None and cpu_after is not None and total["ok"] else None),
    }


def run_bare(args: argparse.Namespace, env: dict[str, str], work: pathlib.Path) -> dict[str, Any]:
    """One run of the baseline: the bare Flask app under the same gunicorn config and load."""
    port = free_port()
    proc = start_gunicorn("bare_ack:app", port, args.workers, env, work / "bare.log")
    try:
        return drive(port, args, signed=False, buyer=None, server=proc.pid)
    finally:
        stop(proc)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


# --- delivery -------------------------------------------------------------------------------------------


def ack_server() -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        # Headers and body go out in separate writes: without this, Nagle's algorithm holds the body back
        # until the client's delayed ACK (about 40 ms per callback).
        disable_nagle_algorithm = True
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(ACK)))
            self.end_headers()
            self.wfile.write(ACK)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_delivery(database_url: str, seller: KeySet, count: int, threads: int) -> dict[str, Any]:
    """Enqueue ``count`` on_search rows, then deliver them from ``threads`` threads; callbacks/s, p50, p99."""
    server = ack_server()
    target = f"http://127.0.0.1:{server.server_address[1]}/buyer/on_search"
    engine = make_engine(database_url, pool_size=threads + 2)
    sessions = make_sessionmaker(engine)
    body = orjson.dumps({"context": {"action": "on_search"}, "message": {"catalog": {"items": ["x" * 40] * 50}}})
    now = dt.datetime.now(dt.UTC)
    with transaction(sessions) as session:
        ids = [outbox.enqueue(session, action="on_search", target_url=target, body=body,
                              transaction_id=str(uuid.uuid4()), message_id=str(uuid.uuid4()), bap_id=BUYER_ID,
                              solicited=True, deadline_at=now + dt.timedelta(hours=1), now=now).id
               for _ in range(count)]
    signer = Signer(SELLER_ID, SELLER_KEY, seller.signing_key(), validity=300)
    pending = iter(ids)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    def run() -> None:
        with HttpClient(connect_timeout=3, read_timeout=10) as client:
            while True:
                with lock:
                    outbox_id = next(pending, None)
                if outbox_id is None:
                    return
                started = time.perf_counter()
                result = deliver(sessions, outbox_id, signer=signer, http=client,
                                 now=lambda: dt.datetime.now(dt.UTC), rng=random.random, base_delay=1.0,
                                 max_delay=300.0, allow_private=True, require_https=False)
                spent = time.perf_counter() - started
                with lock:
                    latencies.append(spent)
                    outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1

    workers = [threading.Thread(target=run) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    server.shutdown()
    server.server_close()
    engine.dispose()
    latencies.sort()
    return {
        "callbacks_per_s": round(outcomes.get("sent", 0) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "sent": outcomes.get("sent", 0), "other": {k: v for k, v in outcomes.items() if k != "sent"},
    }


# --- report ---------------------------------------------------------------------------------------------


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[f"{prefix}{key}"] = float(value)
    return out


def compare(current: dict[str, Any], baseline_file: pathlib.Path) -> None:
    before = flatten(json.loads(baseline_file.read_text()))
    now = flatten(current)
    print(f"\nchange vs {baseline_file}:")
    for key, value in now.items():
        if before.get(key):
            print(f"  {key:<34} {before[key]:>10.2f} -> {value:>10.2f}  ({(value - before[key]) / before[key]:+.1%})")


def show(figures: dict[str, Any]) -> None:
    real, bare, ratio = figures["ack_real"], figures["ack_bare"], figures["ack_ratio"]
    print(f"ACK path ({figures['config']['workers']} gunicorn workers, {figures['config']['duration']} s each, "
          f"{figures['config']['mode']}):")
    for name, row in (("signed /search (real app)", real), ("constant ACK (bare Flask)", bare)):
        print(f"  {name:<27} {row['requests_per_s']:>8.1f} req/s   p50 {row['p50_ms']:>7.2f} ms   "
              f"p99 {row['p99_ms']:>7.2f} ms   (non-ACK {row['not_ack']}, errors {row['errors']})")
    print(f"  baseline runs before and after: {' and '.join(f'{r:.0f}' for r in bare['runs_per_s'])} req/s")
    print(f"  ratio real/bare: {ratio:.2f}  (target >= 0.5: {'met' if ratio >= 0.5 else 'NOT met'})")
    real_cpu, bare_cpu = real["cpu_ms_per_request"], bare["cpu_ms_per_request"]
    if real_cpu and bare_cpu:
        print(f"  server CPU per request: real {real_cpu:.3f} ms, bare {bare_cpu:.3f} ms; ratio bare/real "
              f"{bare_cpu / real_cpu:.2f} (other load on the machine moves it less than req/s)")
    d = figures["delivery"]
    print(f"Outbox delivery ({figures['config']['callbacks']} callbacks, {figures['config']['delivery_threads']} "
          f"threads): {d['callbacks_per_s']:.1f} callbacks/s   p50 {d['p50_ms']:.2f} ms   p99 {d['p99_ms']:.2f} ms"
          f"   (sent {d['sent']}, other {d['other'] or 'none'})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per server (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both apps (default 2)")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="broker for the real app (default: the SQLite broker)")
    parser.add_argument("--clients", type=int, default=2, help="load-generator processes (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="connections per client process (default 4)")
    parser.add_argument("--presign", type=int, default=None, help="signed requests to prepare (default 3000/s)")
    parser.add_argument("--callbacks", type=int, default=2000, help="outbox rows to deliver (default 2000)")
    parser.add_argument("--delivery-threads", type=int, default=8, help="threads calling deliver() (default 8)")
    parser.add_argument("--log-level", default="INFO", help="the real app's LOG_LEVEL (default INFO)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--baseline", type=pathlib.Path, default=None, help="a previous --json output to compare")
    args = parser.parse_args(argv)
    args.presign = args.presign or int(3000 * args.duration)

    seller, buyer = generate_keyset(), generate_keyset()
    with tempfile.TemporaryDirectory(prefix="odop-bench-") as tmp:
        work = pathlib.Path(tmp)
        (work / "var").mkdir()
        (work / "metrics").mkdir()
        (work / "bare_ack.py").write_text(BARE_APP)
        port = free_port()
        env = app_env(work, args, seller, port)
        write_registry_file(work / "registry.json", [
            *entries(SELLER_ID, SELLER_KEY, seller, "sellerApp", f"http://127.0.0.1:{port}/ondc"),
            *entries(BUYER_ID, BUYER_KEY, buyer, "buyerApp", "http://127.0.0.1:9/buyer"),
        ])
        settings = load_settings(env)
        if args.database_url:
            migrate.downgrade(settings.database_url, "base")
        migrate.upgrade(settings.database_url)
        seed_engine = make_engine(settings.database_url)
        seed_demo_data(settings, make_sessionmaker(seed_engine))  # cooperatives that serve RET16: searches are kept
        seed_engine.dispose()
        child_env = dict(os.environ) | env | {"PROMETHEUS_MULTIPROC_DIR": str(work / "metrics"),
                                              "PYTHONPATH": os.pathsep.join([str(work), str(ROOT)])}

        # The baseline runs before and after the real app: this machine's speed drifts (shared cores), and the
        # ratio is against the mean of the two, with both printed so a drifting run shows.
        bare_runs = [run_bare(args, child_env, work)]
        proc = start_gunicorn("adapter.web.wsgi:app", port, args.workers, child_env, work / "app.log")
        try:
            real = drive(port, args, signed=True, buyer=buyer, server=proc.pid)
        finally:
            stop(proc)
        bare_runs.append(run_bare(args, child_env, work))
        bare = {key: round(sum(run[key] for run in bare_runs) / len(bare_runs), 3) if all(
            run[key] is not None for run in bare_runs) else None for key in bare_runs[0]}
        bare["runs_per_s"] = [run["requests_per_s"] for run in bare_runs]
        delivery = bench_delivery(settings.database_url, seller, args.callbacks, args.delivery_threads)

    figures = {
        "config": {"duration": args.duration, "workers": args.workers, "clients": args.clients,
                   "threads": args.threads, "callbacks": args.callbacks, "delivery_threads": args.delivery_threads,
                   "mode": ("postgresql" if args.database_url else "sqlite") + (" + redis" if args.redis_url
                                                                               else " + sqlite broker"),
                   "cpus": os.cpu_count()},
        "ack_real": real, "ack_bare": bare,
        "ack_ratio": round(real["requests_per_s"] / bare["requests_per_s"], 3) if bare["requests_per_s"] else 0.0,
        "delivery": delivery,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        show(figures)
    if args.baseline is not None:
        compare(figures, args.baseline)


if __name__ == "__main__":
    main()

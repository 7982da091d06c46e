"""Profile the signed /search ACK in one process: time per ACK, then where it goes (cProfile).

Builds the real app (``adapter.web.create_app``) with the demo cooperatives and a static registry, as
``benchmarks/ack_path.py`` does, and calls it as a WSGI server would, with no HTTP in between: so the figure is
our share of an ACK alone. ``--count`` distinct pre-signed searches are timed without the profiler (the search
buffer's thread storing them as in production, and what it still holds stored before the clock stops), then as
many again under cProfile. cProfile only sees the request thread, so in the profiled pass the buffer's thread is
held back and the request thread stores the buffer every ``--flush-every`` searches itself: the profile shows
the group commit's share. The publisher thread runs as in production (it competes for the GIL, and its cost
shows up inside whatever C call released the GIL); ``--no-publish`` leaves the broker out, to tell the two apart.

Usage: python benchmarks/profile_ack.py [--database-url URL] [--redis-url URL] [--count N] [--top N]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pathlib
import pstats
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import ack_path as bench

from adapter.cli.demo import seed_demo_data
from adapter.protocol.keys import generate_keyset
from adapter.protocol.registry import write_registry_file
from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker
from config import load_settings
from config.logging import configure_logging


def environ(body: bytes, header: str) -> dict[str, Any]:
    """The WSGI environ of one POST /ondc/search, as gunicorn builds it."""
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/ondc/search", "SCRIPT_NAME": "", "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "HTTP_AUTHORIZATION": header,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=None, help="broker and registry cache (default: the SQLite broker)")
    parser.add_argument("--count", type=int, default=2000, help="ACKs timed, and as many profiled (default 2000)")
    parser.add_argument("--top", type=int, default=30, help="functions listed per table (default 30)")
    parser.add_argument("--no-publish", action="store_true", help="do not hand searches to the broker")
    parser.add_argument("--flush-every", type=int, default=8,
                        help="profiled pass: searches per group commit, stored by the request thread (default 8)")
    args = parser.parse_args(argv)

    seller, buyer = generate_keyset(), generate_keyset()
    with tempfile.TemporaryDirectory(prefix="odop-profile-") as tmp:
        work = pathlib.Path(tmp)
        (work / "var").mkdir()
        options = argparse.Namespace(database_url=args.database_url, redis_url=args.redis_url, log_level="INFO")
        env = bench.app_env(work, options, seller, 8080)
        write_registry_file(work / "registry.json", [
            *bench.entries(bench.SELLER_ID, bench.SELLER_KEY, seller, "sellerApp", "http://127.0.0.1:8080/ondc"),
            *bench.entries(bench.BUYER_ID, bench.BUYER_KEY, buyer, "buyerApp", "http://127.0.0.1:9/buyer"),
        ])
        settings = load_settings(env)
        if args.database_url:
            migrate.downgrade(settings.database_url, "base")
        migrate.upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        seed_demo_data(settings, make_sessionmaker(engine))
        engine.dispose()
        configure_logging(settings.log_level, settings.log_format)
        log_file = (work / "app.log").open("w")
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(log_file)  # a log line per ACK is part of the cost; the terminal is not

        from adapter.web import create_app

        app = create_app(settings)
        if args.no_publish:
            app.extensions["odop"].publisher.submit = lambda *_args, **_kwargs: None
        warm = 200
        searches = bench.presign(buyer, warm + 2 * args.count, "http://127.0.0.1:9/buyer", "PT600S")
        statuses: dict[str, int] = {}

        def answer(status: str, _headers: Any, _exc: Any = None) -> None:
            statuses[status] = statuses.get(status, 0) + 1

        buffer = app.extensions["odop"].searches

        def run(batch: list[tuple[bytes, str]], flush_every: int = 0) -> None:
            for at, (body, header) in enumerate(batch, 1):
                b"".join(app(environ(body, header), answer))
                if buffer is not None and flush_every and at % flush_every == 0:
                    buffer.flush()
            if buffer is not None:
                buffer.flush()

        run(searches[:warm])
        started = time.perf_counter()
        run(searches[warm:warm + args.count])
        per_ack = (time.perf_counter() - started) / args.count
        if buffer is not None:
            buffer.linger = 3600.0  # its thread waits; the request thread stores every --flush-every searches
        profile = cProfile.Profile()
        profile.enable()
        run(searches[warm + args.count:], args.flush_every)
        profile.disable()
        app.extensions["odop"].dispose()
        log_file.close()

    mode = ("postgresql" if args.database_url else "sqlite") + (" + redis" if args.redis_url else " + sqlite broker")
    print(f"{mode}{' (no publishing)' if args.no_publish else ''}: {per_ack * 1000:.3f} ms per ACK "
          f"over {args.count} signed searches, in one thread; answers {statuses}")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
        print(out.getvalue().split("\n", 4)[-1] if order == "cumulative" else out.getvalue())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

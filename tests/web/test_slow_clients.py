"""Slow clients hold a thread, not the web tier: the real gunicorn config, under two slowloris connections."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.servers import ROOT, free_port, stop_process, wait_until


def test_two_slow_clients_do_not_take_the_web_tier_offline(test_env: dict[str, str], engine: object,
                                                             tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "WEB_THREADS"} | test_env | {
        "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    with (tmp_path / "web.log").open("ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "python:adapter.web.gunicorn_conf",
                                 "adapter.web.wsgi:app"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    slow: list[socket.socket] = []
    try:
        def healthy() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except requests.RequestException:
                return False

        assert wait_until(healthy, timeout=60), (tmp_path / "web.log").read_text()[-2000:]
        for _ in range(2):  # slowloris: a request line and one header, then nothing
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /ondc/search HTTP/1.1\r\nHost: x\r\n")
            slow.append(conn)
        time.sleep(0.5)
        started = time.monotonic()
        assert healthy()
        assert time.monotonic() - started < 2  # answered at once, not after the 30 s worker timeout
    finally:
        for conn in slow:
            conn.close()
        stop_process(proc)

"""Slow clients hold a thread, not the web tier: the real gunicorn config, under slowloris connections."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from tests.support.network import Network, search_body
from tests.support.servers import ROOT, free_port, stop_process, wait_until


def test_slow_clients_do_not_take_the_web_tier_offline(test_env: dict[str, str], engine: object, tmp_path: Path,
                                                        network: Network, fault_report: Any) -> None:
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
        for _ in range(4):  # slowloris: a request line and one header, then nothing (two were enough before)
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"POST /ondc/search HTTP/1.1\r\nHost: x\r\n")
            slow.append(conn)
        time.sleep(0.5)
        started = time.monotonic()
        assert healthy()
        health_s = time.monotonic() - started
        assert health_s < 2  # answered at once, not after the 30 s worker timeout
        timings, codes = [], []
        with requests.Session() as http:
            for _ in range(20):
                body = search_body()
                begun = time.monotonic()
                response = http.post(f"http://127.0.0.1:{port}/ondc/search", data=body, timeout=5,
                                     headers={"Authorization": network.buyer.sign(body),
                                              "Content-Type": "application/json"})
                timings.append(time.monotonic() - begun)
                codes.append(response.status_code)
        assert codes == [200] * 20
        fault_report(slow_connections=4, healthz_s=health_s, searches_sent=20, searches_acked=codes.count(200),
                     max_ack_s=max(timings), offline_s=0.0)
    finally:
        for conn in slow:
            conn.close()
        stop_process(proc)

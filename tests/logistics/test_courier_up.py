"""`odop-adapter up --with-courier`: the test courier runs beside the adapter and is listed in the registry."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from adapter.cli.demo_network import prepare_demo_network
from config import load_settings
from tests.support.servers import ROOT, free_port, wait_until


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_up_with_courier_starts_and_lists_it(tmp_path: Path) -> None:
    port, courier_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "RESULT_BACKEND", "ADMIN_API_KEY")}
    env |= {"DATA_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING", "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "up", "--with-courier", "--courier-port",
                             str(courier_port), "--courier-step", "0"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert wait_until(lambda: _answers(f"http://127.0.0.1:{port}/readyz"), timeout=60)
        assert wait_until(lambda: _answers(f"http://127.0.0.1:{courier_port}/healthz"), timeout=30)
        registry = json.loads((tmp_path / "var" / "registry.json").read_text())
        courier = {(e["domain"], e["subscriber_url"]) for e in registry if e["subscriber_id"] == "courier.odop.local"}
        assert courier == {("ONDC:LOG10", f"http://127.0.0.1:{courier_port}"),
                           ("ONDC:LOG11", f"http://127.0.0.1:{courier_port}")}
        buyer = {(e["domain"], e["type"]) for e in registry if e["domain"].startswith("ONDC:LOG")
                 and e["subscriber_id"] != "courier.odop.local"}
        assert buyer == {("ONDC:LOG10", "buyerApp"), ("ONDC:LOG11", "buyerApp")}  # us, as the courier's buyer
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"courier    http://127.0.0.1:{courier_port}" in out
    assert not _answers(f"http://127.0.0.1:{courier_port}/healthz")
    # Without the flag the courier is taken out of the registry again.
    prepare_demo_network(load_settings({"DATA_DIR": str(tmp_path / "var")}), dt.datetime.now(dt.UTC))
    registry = json.loads((tmp_path / "var" / "registry.json").read_text())
    assert not [e for e in registry if e["domain"].startswith("ONDC:LOG")]


def test_with_the_courier_the_adapter_asks_it_for_quotes(tmp_path: Path) -> None:
    """`up --with-courier` used to start and list the courier without telling the adapter to ask it: every
    network-shipping select was quoted from the slabs ("no courier network is configured")."""
    now = dt.datetime.now(dt.UTC)
    env = prepare_demo_network(load_settings({"DATA_DIR": str(tmp_path)}), now, courier_port=18092)
    assert env["LOGISTICS_COURIER_URLS"] == "http://127.0.0.1:18092"
    assert load_settings({"DATA_DIR": str(tmp_path), **env}).logistics_courier_urls == ("http://127.0.0.1:18092",)
    # Couriers or a gateway named in the settings are left as they are; without the courier nothing is set.
    named = load_settings({"DATA_DIR": str(tmp_path), "LOGISTICS_GATEWAY_URL": "https://gateway.example/log"})
    assert "LOGISTICS_COURIER_URLS" not in prepare_demo_network(named, now, courier_port=18092)
    assert "LOGISTICS_COURIER_URLS" not in prepare_demo_network(load_settings({"DATA_DIR": str(tmp_path)}), now)

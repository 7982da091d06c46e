"""/metrics under gunicorn with several worker processes (prometheus multiprocess mode)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.servers import ROOT, descendants, free_port, stop_process, wait_until


def _count(text: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(prefix))


def test_counts_from_every_gunicorn_worker_are_summed(tmp_path: Path, test_env: dict[str, str], engine) -> None:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = dict(os.environ) | test_env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "python:adapter.web.gunicorn_conf", "--bind",
         f"127.0.0.1:{port}", "--workers", "3", "adapter.web.wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            try:
                return requests.get(f"{base}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_until(up, timeout=30)
        first = descendants(proc.pid)
        for _ in range(20):
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        # Replace every worker: the new processes must add to, not reset, what the old ones counted.
        for pid in first:
            os.kill(pid, signal.SIGTERM)
        assert wait_until(lambda: len(descendants(proc.pid) - first) == 3, timeout=30)
        assert wait_until(up, timeout=30)
        for _ in range(20):
            assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        pids = {p.stem.split("_")[-1] for p in metrics_dir.glob("counter_*.db")}
        text = requests.get(f"{base}/metrics", timeout=5).text
    finally:
        stop_process(proc)
    assert len(pids) >= 2, "metrics files should exist for the old and the new worker processes"
    # 40 health checks plus the start-up polls, whichever worker answered them.
    assert _count(text, 'odop_http_requests_total{endpoint="/healthz",method="GET",status="200"}') >= 42

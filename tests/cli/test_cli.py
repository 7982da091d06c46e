"""The odop-adapter command line, run as a real subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import text

from adapter.store import migrate
from adapter.store.db import make_engine
from tests.support.servers import ROOT, descendants, free_port, wait_until


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "BROKER_URL", "RESULT_BACKEND", "ADMIN_API_KEY")}
    return env | {"DATA_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING"} | extra


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_bad_setting_fails_with_a_clear_message(tmp_path: Path) -> None:
    result = _cli(["db", "upgrade"], _env(tmp_path, WEB_CONCURRENCY="many"))
    assert result.returncode == 1
    assert "WEB_CONCURRENCY='many': expected a positive number of gunicorn workers" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_database_without_our_tables_says_to_migrate(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/empty.sqlite3")
    for args in (["catalog", "render", "--cooperative", "chamba-rumal"], ["cooperative", "list"]):
        result = _cli(args, env)
        assert result.returncode == 1
        assert result.stderr.strip() == ("Error: the database has no tables yet: run `odop-adapter db upgrade` "
                                         "first (`make run` and `odop-adapter up` do it for you)")


def test_a_database_behind_or_ahead_of_this_version_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.sqlite3"
    env = _env(tmp_path, DATABASE_URL=url)
    migrate.upgrade(url, "0010")
    head = migrate.head_revision(url)
    for args in (["cooperative", "list"], ["orders", "list"], ["catalog", "render", "--cooperative", "x"]):
        result = _cli(args, env)
        assert result.returncode == 1, result.stdout
        assert result.stderr.strip() == (f"Error: the database is at revision 0010 and this version needs {head}: "
                                         "run `odop-adapter db upgrade` (back it up first in production; "
                                         "docs/operations.md)")
    migrate.upgrade(url)
    assert _cli(["cooperative", "list"], env).returncode == 0
    engine = make_engine(url)
    with engine.begin() as conn:  # as a newer version would leave it
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = _cli(["cooperative", "list"], env)
    assert result.returncode == 1
    assert "at revision 9999, which this version does not know" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failing_command_says_one_line_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path, DATABASE_URL="postgresql://nobody@127.0.0.1:1/nothing")  # nothing listens on port 1
    plain = _cli(["cooperative", "list"], env)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    lines = [line for line in plain.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, plain.stderr
    assert lines[0].startswith("Error: the database failed: ")
    assert "check DATABASE_URL and that the database is running" in lines[0]
    debug = _cli(["--debug", "cooperative", "list"], env)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr


def test_db_upgrade_and_cooperative_create_print_the_key_once(tmp_path: Path, database_url: str) -> None:
    env = _env(tmp_path)
    upgraded = _cli(["db", "upgrade"], env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at {migrate.head_revision(database_url)}" in upgraded.stdout
    created = _cli(["cooperative", "create", "kullu-handloom", "--name", "Kullu Handloom Weavers"], env)
    assert created.returncode == 0, created.stderr
    assert re.search(r"API key \(shown once, store it now\): odop_[0-9a-f]{12}_\S+", created.stdout)
    duplicate = _cli(["cooperative", "create", "kullu-handloom", "--name", "Again"], env)
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr
    listed = _cli(["cooperative", "list"], env)
    assert listed.stdout.startswith("kullu-handloom\tKullu Handloom Weavers\tactive")
    assert "odop_" not in listed.stdout


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


def test_up_serves_ready_and_stops_cleanly_on_sigint(tmp_path: Path) -> None:
    port = free_port()
    env = _env(tmp_path, BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="1", WORKER_CONCURRENCY="1")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "up"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        def ready() -> bool:
            try:
                return requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200
            except requests.ConnectionError:
                return False

        assert wait_until(ready, timeout=60), "odop-adapter up never became ready"
        startup = time.monotonic() - started
        children = descendants(proc.pid)
        assert len(children) >= 3  # gunicorn (+ its workers), celery worker (+ pool), beat
        admin_key = (tmp_path / "var" / "admin_api_key").read_text().strip()
        listed = requests.get(f"http://127.0.0.1:{port}/api/v1/cooperatives",
                              headers={"Authorization": f"Bearer {admin_key}"}, timeout=5)
        assert {c["slug"] for c in listed.json()["cooperatives"]} >= {"chamba-rumal", "kangra-tea"}
        # A worker that dies is started again, and the web server stays up meanwhile.
        def is_worker(pid: int) -> bool:
            return "celery" in _cmdline(pid) and " worker " in _cmdline(pid) and _parent(pid) == proc.pid

        worker = next(pid for pid in children if is_worker(pid))
        os.kill(worker, signal.SIGKILL)
        assert wait_until(lambda: any(is_worker(pid) and pid != worker for pid in descendants(proc.pid)),
                          timeout=30)
        assert ready()
        children = descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=40)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert admin_key in out
    assert "demo key   chamba-rumal: odop_" in out
    assert re.search(r"  console    http://127\.0\.0\.1:\d+/console ", out)  # where a member signs in
    assert "odop-adapter: stopped" in out
    assert wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in children), timeout=10), \
        "child processes outlived odop-adapter up"
    print(f"odop-adapter up ready in {startup:.2f}s")  # reported by -s / in the issue note

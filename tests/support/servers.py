"""Helpers to start real local servers and processes for integration tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def worker_answers(celery: Any) -> bool:
    """Whether a Celery worker answers a ping; a broker connection dropped meanwhile counts as "not yet"."""
    from kombu.exceptions import OperationalError
    from redis.exceptions import ConnectionError as RedisConnectionError

    try:
        return bool(celery.control.ping(timeout=0.5))
    except (OSError, OperationalError, RedisConnectionError):
        return False


def wait_until(predicate: Callable[[], bool], timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


class RedisServer:
    """A throwaway redis-server on a free port, which a test can stop and start again."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; run the suite with `make test`")
        self.binary = binary
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not wait_until(self._accepts, timeout=10):
            raise RuntimeError("redis-server did not start")

    def _accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None


def start_web(env: dict[str, str], port: int, logfile: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    """The app under gunicorn with the production config on 127.0.0.1:``port``, answering /healthz (or fail with
    its log). Stop it with ``stop_process``."""
    import urllib.error
    import urllib.request

    with logfile.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:adapter.web.gunicorn_conf", "--bind",
             f"127.0.0.1:{port}", "--workers", str(workers), "adapter.web.wsgi:app"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )

    def up() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    if not wait_until(up, timeout=30):
        stop_process(proc)
        raise AssertionError(f"gunicorn did not start:\n{logfile.read_text()[-3000:]}")
    return proc


def start_worker(env: dict[str, str], logfile: Path, extra: list[str] | None = None) -> subprocess.Popen[bytes]:
    """A real Celery worker process running our app."""
    cmd = [sys.executable, "-m", "celery", "-A", "workers.main", "worker", "--loglevel", "INFO",
           "--concurrency", "1", "--without-gossip", "--without-mingle", "--hostname", f"test-{os.getpid()}@%h",
           *(extra or [])]
    with logfile.open("ab") as log:
        return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def descendants(pid: int) -> set[int]:
    """Every live process below `pid`, read from /proc."""
    found: set[int] = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found |= {child} | descendants(child)
    return found


class PostgresServer:
    """A throwaway PostgreSQL cluster on a free port, which a test can stop (as in a restart) and start again."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            raise RuntimeError("PostgreSQL is not installed; run the suite with `make test`")
        self.bin = bins[-1]
        self.port = free_port()
        # Its own directory outside pytest's (which only its owner may enter), removed by cleanup().
        self.root = Path(tempfile.mkdtemp(prefix="odop-test-pg-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        # initdb and postgres refuse to run as root: run them as the postgres user then.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def init(self) -> None:
        for directory in (self.data, self.socket_dir):
            directory.mkdir()
            if self.as_user:
                shutil.chown(directory, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.socket_dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off -c full_page_writes=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def cleanup(self) -> None:
        subprocess.run([*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def store_searches(app: Any) -> None:
    """Write the searches the app has ACKed and not stored yet (plain searches are stored just after their ACK,
    with others: adapter/store/search_buffer.py), so that a test can read them."""
    buffer = app.extensions["odop"].searches
    if buffer is not None:
        buffer.flush()

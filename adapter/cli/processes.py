"""Starting the service's processes: web, worker, beat, and all three under ``up``."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

import click

from adapter.cli.demo import DEMO_SELLER_APP_GSTIN, seed_demo_data
from adapter.cli.demo_network import COURIER_ID, prepare_demo_network
from adapter.observability.metrics import MULTIPROC_ENV, reset_multiprocess_dir
from adapter.security import generate_admin_key
from adapter.store import migrate
from adapter.store.db import make_engine, make_sessionmaker
from adapter.store.models import utcnow
from config import Settings

PR_SET_PDEATHSIG = 1
# A worker or beat that dies is restarted, unless it died this many times within the window (then `up` stops).
MAX_RESTARTS = 5
RESTART_WINDOW = 60.0


def _child_env(settings: Settings, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[MULTIPROC_ENV] = str(settings.metrics_dir.resolve())
    env.setdefault("DATA_DIR", str(settings.data_dir))
    env.update(extra or {})
    return env


def _web_cmd(settings: Settings) -> list[str]:
    return [sys.executable, "-m", "gunicorn", "--config", "python:adapter.web.gunicorn_conf",
            "--bind", settings.bind, "--workers", str(settings.web_concurrency), "adapter.web.wsgi:app"]


def _worker_cmd(settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "workers.main", "worker", "--loglevel", settings.log_level,
            "--concurrency", str(settings.worker_concurrency), "--hostname", "worker@%h", *extra]


def _beat_cmd(settings: Settings, extra: Sequence[str] = ()) -> list[str]:
    schedule = settings.data_dir / "celerybeat-schedule"
    return [sys.executable, "-m", "celery", "-A", "workers.main", "beat", "--loglevel", settings.log_level,
            "--schedule", str(schedule), *extra]


def _exec(cmd: list[str], env: dict[str, str]) -> None:
    os.execvpe(cmd[0], cmd, env)


def run_web(settings: Settings) -> None:
    """Replace this process with gunicorn."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    reset_multiprocess_dir(settings.metrics_dir)
    _exec(_web_cmd(settings), _child_env(settings))


def run_worker(settings: Settings, extra: Sequence[str]) -> None:
    """Replace this process with a Celery worker."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.metrics_dir.mkdir(parents=True, exist_ok=True)
    _exec(_worker_cmd(settings, extra), _child_env(settings))


def run_beat(settings: Settings, extra: Sequence[str]) -> None:
    """Replace this process with Celery beat."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.metrics_dir.mkdir(parents=True, exist_ok=True)
    _exec(_beat_cmd(settings, extra), _child_env(settings))


def _die_with_parent() -> None:
    # Linux: the child gets SIGTERM if `up` itself is killed, so nothing is orphaned.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def saved_admin_key(settings: Settings) -> str | None:
    """The admin key from settings, else the one `up` saved under DATA_DIR; None when there is neither."""
    if settings.admin_api_key:
        return settings.admin_api_key
    path = settings.data_dir / "admin_api_key"
    return path.read_text().strip() or None if path.exists() else None


def _admin_key(settings: Settings) -> tuple[str, bool]:
    """The admin key from settings, else the one saved under DATA_DIR, else a new one saved there."""
    if settings.admin_api_key:
        return settings.admin_api_key, False
    path = settings.data_dir / "admin_api_key"
    if path.exists():
        return path.read_text().strip(), False
    key = generate_admin_key()
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key, True


def _stop(children: dict[str, subprocess.Popen[bytes]], grace: float = 20.0) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in children.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _courier_cmd(port: int, step: float) -> list[str]:
    return [sys.executable, "-m", "adapter.cli", "courier", "serve", "--port", str(port), "--step", f"{step:g}"]


def run_up(settings: Settings, *, seed_demo: bool = True, courier_port: int | None = None,
           courier_step: float = 5.0) -> int:
    """Run web, worker and beat in one process tree until Ctrl-C/SIGTERM; return the exit code.

    With ``courier_port`` the test courier runs too (a parcel state every ``courier_step`` s; 0: on command only).
    """
    started = time.monotonic()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    reset_multiprocess_dir(settings.metrics_dir)
    admin_key, generated = _admin_key(settings)
    migrate.upgrade(settings.database_url)
    demo: dict[str, Any] = {}
    if seed_demo:
        demo = seed_demo_data(settings, make_sessionmaker(make_engine(settings.database_url)))
    network_env = prepare_demo_network(settings, utcnow(), courier_port=courier_port)
    if seed_demo and not settings.seller_app_gstin:
        network_env["SELLER_APP_GSTIN"] = DEMO_SELLER_APP_GSTIN
    env = _child_env(settings, {"ADMIN_API_KEY": admin_key, **network_env})
    stopping = {"signal": 0}

    def _on_signal(signum: int, _frame: Any) -> None:
        stopping["signal"] = signum

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    commands = {"web": _web_cmd(settings), "worker": _worker_cmd(settings), "beat": _beat_cmd(settings)}
    if courier_port is not None:
        commands["courier"] = _courier_cmd(courier_port, courier_step)
    children = {name: subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent) for name, cmd in commands.items()}
    _print_banner(settings, admin_key, generated, demo, time.monotonic() - started,
                  gstin=env.get("SELLER_APP_GSTIN"), courier_port=courier_port)
    code = 0
    restarts: dict[str, list[float]] = {"worker": [], "beat": [], "courier": []}
    try:
        while not stopping["signal"]:
            for name, proc in list(children.items()):
                if proc.poll() is None:
                    continue
                # The web server is what the network sees: without it there is nothing to keep up.
                recent = [t for t in restarts.get(name, []) if time.monotonic() - t < RESTART_WINDOW]
                if name == "web" or len(recent) >= MAX_RESTARTS:
                    click.echo(f"odop-adapter: {name} exited with code {proc.returncode}; stopping", err=True)
                    stopping["signal"], code = -1, 1
                    break
                # A dead worker or beat is started again; the database holds everything it was doing.
                click.echo(f"odop-adapter: {name} exited with code {proc.returncode}; starting it again", err=True)
                restarts[name] = [*recent, time.monotonic()]
                children[name] = subprocess.Popen(commands[name], env=env, preexec_fn=_die_with_parent)
            time.sleep(0.2)
    finally:
        _stop(children)
    click.echo("odop-adapter: stopped")
    return code


def _print_banner(settings: Settings, admin_key: str, generated: bool, demo: dict[str, Any],
                  elapsed: float, *, gstin: str | None = None, courier_port: int | None = None) -> None:
    host = settings.bind.rsplit(":", 1)
    base = f"http://{'127.0.0.1' if host[0] in ('0.0.0.0', '') else host[0]}:{host[1]}"
    lines = [
        "",
        f"ODOP ONDC adapter ({settings.mode} mode, database: {settings.database_backend})",
        f"  console    {base}/console   (sign in with a cooperative's key, or the admin key)",
        f"  API        {base}/api/v1/docs   (contract: {base}/api/v1/openapi.json)",
        f"  health     {base}/healthz   ready: {base}/readyz   metrics: {base}/metrics",
        f"  network    {settings.bpp_uri}/{{search,select,...}}  as {settings.subscriber_id!r}",
        f"  registry   {settings.registry_mode}"
        + (f" ({settings.registry_file})" if settings.registry_mode == "static" else f" ({settings.registry_env})"),
        f"  admin key  {admin_key}" + ("  (new, saved in " + str(settings.data_dir / 'admin_api_key') + ")"
                                       if generated else ""),
    ]
    if gstin and not settings.seller_app_gstin:
        lines.append(f"  GSTIN      {gstin} (the demo seller app's; set SELLER_APP_GSTIN to yours)")
    if courier_port is not None:
        lines.append(f"  courier    http://127.0.0.1:{courier_port}  as {COURIER_ID!r} (ONDC:LOG10/LOG11 test courier; "
                     "odop-adapter courier list)")
    for slug, key in demo.get("keys", {}).items():
        lines.append(f"  demo key   {slug}: {key}")
    lines.append(f"  try: curl -H 'Authorization: Bearer {admin_key}' {base}/api/v1/cooperatives")
    lines.append(f"  prepared in {elapsed:.1f}s; press Ctrl-C to stop")
    click.echo("\n".join(lines), err=False)
    sys.stdout.flush()

"""odop-adapter sync start --wait and cooperative source, against a real worker."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.support.sellers import make_seller
from tests.support.servers import ROOT


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_sync_start_wait_shows_progress_until_done(worker: Any, sessions: sessionmaker[Session],
                                                   test_env: dict[str, str]) -> None:
    make_seller(sessions)
    env = dict(os.environ) | test_env
    result = run(["sync", "start", "test-coop", "--wait"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("started sync job ")
    assert "succeeded" in lines[-1]
    assert lines[-1].startswith("[")
    listed = run(["sync", "list", "test-coop"], env)
    assert "\tsucceeded\tincremental\t" in listed.stdout
    assert run(["sync", "watch", "999999"], env).returncode == 1


def test_cooperative_source_validates_the_url(sessions: sessionmaker[Session], test_env: dict[str, str]) -> None:
    make_seller(sessions, catalogue=None)
    env = dict(os.environ) | test_env | {"ALLOW_PRIVATE_CALLBACKS": "false"}
    refused = run(["cooperative", "source", "test-coop", "http://127.0.0.1/catalogue.csv"], env)
    assert refused.returncode == 1
    assert "127.0.0.1" in refused.stderr
    ok = run(["cooperative", "source", "test-coop", "https://sheets.example.org/pub.csv", "--interval-minutes", "30"],
             env | {"ALLOW_PRIVATE_CALLBACKS": "true"})
    assert ok.returncode == 0, ok.stderr
    assert "every 30 min" in ok.stdout

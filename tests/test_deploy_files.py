"""The deployment files are valid."""

import os
import shutil
import subprocess

import pytest
import yaml

from tests.support.servers import ROOT


def test_docker_compose_file_is_valid() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed; run the suite with `make test`, which installs it")
    env = dict(os.environ) | {"ADMIN_API_KEY": "validation-only-key-0123456789"}
    result = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_compose_runs_every_service_with_a_healthcheck() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "redis", "postgres"} <= set(services)
    for name in ("web", "worker", "beat", "redis", "postgres"):
        assert "healthcheck" in services[name], name
    assert "postgres-data" in compose["volumes"]


def test_compose_without_admin_key_refuses_to_start() -> None:
    binary = shutil.which("docker-compose")
    assert binary is not None
    env = {k: v for k, v in os.environ.items() if k != "ADMIN_API_KEY"}
    result = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "set ADMIN_API_KEY" in result.stderr

"""keys generate, registry subscribe --dry-run and doctor, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from adapter.protocol.keys import EncryptionKey, SigningKey
from tests.support.servers import ROOT


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def env(test_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)} | test_env


def test_keys_generate_prints_a_matching_key_set(env: dict[str, str]) -> None:
    result = run(["keys", "generate", "--format", "json"], env)
    assert result.returncode == 0
    keys = json.loads(result.stdout)
    signing = SigningKey.from_base64(keys["ONDC_SIGNING_PRIVATE_KEY"])
    assert signing.public_key_b64 == keys["ONDC_SIGNING_PUBLIC_KEY"]
    assert EncryptionKey.from_base64(keys["ONDC_ENCRYPTION_PRIVATE_KEY"]).public_key_b64 == \
        keys["ONDC_ENCRYPTION_PUBLIC_KEY"]
    assert run(["keys", "generate"], env).stdout.count("ONDC_") == 4


def test_registry_subscribe_dry_run_builds_the_seller_payload(env: dict[str, str], tmp_path: Path) -> None:
    entity = tmp_path / "entity.yaml"
    entity.write_text("gst: {legal_entity_name: X, business_address: Y, city_code: ['std:0177'], gst_no: Z}\n"
                      "pan: {name_as_per_pan: X, pan_no: AAAAA0000A, date_of_incorporation: 01/01/2020}\n"
                      "name_of_authorised_signatory: A\naddress_of_authorised_signatory: B\n"
                      "email_id: a@b.example\nmobile_no: '9000000000'\ncity_code: ['std:0177']\n"
                      "domains: ['ONDC:RET16', 'ONDC:RET10']\n")
    result = run(["registry", "subscribe", "--entity", str(entity), "--dry-run"], env)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["context"]["operation"]["ops_no"] == 2
    entity_out = payload["message"]["entity"]
    assert entity_out["subscriber_id"] == env["ONDC_SUBSCRIBER_ID"]
    assert entity_out["key_pair"]["signing_public_key"] == \
        SigningKey.from_base64(env["ONDC_SIGNING_PRIVATE_KEY"]).public_key_b64
    assert [p["domain"] for p in payload["message"]["network_participant"]] == ["ONDC:RET16", "ONDC:RET10"]
    assert all(p["type"] == "sellerApp" for p in payload["message"]["network_participant"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("gst: x\n")
    missing = run(["registry", "subscribe", "--entity", str(bad), "--dry-run"], env)
    assert missing.returncode == 1
    assert "the entity file lacks" in missing.stderr


def test_doctor_explains_what_is_wrong(env: dict[str, str]) -> None:
    # Keys and registry are right, but nothing serves ONDC_SUBSCRIBER_URL.
    result = run(["doctor"], env | {"ONDC_SUBSCRIBER_URL": "http://127.0.0.1:9"})
    assert result.returncode == 1
    assert "ok    signing key parses" in result.stdout
    assert "ok    registered signing key matches ours" in result.stdout
    assert "ok    a request we sign verifies with our registered key" in result.stdout
    assert "FAIL  http://127.0.0.1:9/healthz does not answer" in result.stdout
    assert "fix: start the web server" in result.stdout
    other = run(["doctor"], env | {"ONDC_UNIQUE_KEY_ID": "not-registered", "ONDC_SUBSCRIBER_URL": "http://127.0.0.1:9"})
    assert "FAIL  registry lists" in other.stdout
    assert "Traceback" not in other.stderr

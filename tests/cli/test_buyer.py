"""`odop-adapter buyer`: the signed test buyer app, run as real subprocesses against real servers."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

from adapter.protocol.context import format_timestamp
from adapter.protocol.keys import generate_keyset
from adapter.protocol.registry import write_registry_file
from adapter.protocol.signing import verify_request
from adapter.store.cooperatives import create_cooperative
from adapter.store.db import transaction
from catalog_sync.services import catalogue as catalogues
from tests.support.network import BUYER_ID, BUYER_KEY_ID, SELLER_ID, Network, Party
from tests.support.receiver import running_receiver
from tests.support.servers import ROOT, free_port, start_web, stop_process, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "catalog_sync" / "fixtures"
ACK = {"message": {"ack": {"status": "ACK"}}}


def _cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", "buyer", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)


def _listening(port: int) -> bool:
    try:
        requests.get(f"http://127.0.0.1:{port}/", timeout=1)
        return True
    except requests.ConnectionError:
        return False


@pytest.fixture
def env(test_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    return dict(os.environ) | test_env | {"DATA_DIR": str(tmp_path / "var"), "LOG_LEVEL": "WARNING"}


@pytest.fixture
def buyer_keys(network: Network, tmp_path: Path) -> list[str]:
    """CLI options that make the buyer act as the tests' buyer app."""
    path = tmp_path / "buyer-keys.json"
    path.write_text(json.dumps(asdict(network.buyer.keys)))
    return ["--keys", str(path), "--subscriber-id", BUYER_ID, "--key-id", BUYER_KEY_ID]


@pytest.fixture
def seller(sessions: sessionmaker[Session]) -> None:
    profile = json.loads((FIXTURES / "profile.json").read_text())
    limits = catalogues.Limits(max_bytes=10_000_000, max_rows=10_000)
    with transaction(sessions) as session:
        cooperative, _ = create_cooperative(session, "test-coop", "Test Coop")
        catalogues.set_profile(cooperative, {**profile, "slug": "test-coop"})
        data = (FIXTURES / "items_ret16.csv").read_bytes()
        assert catalogues.import_catalogue(session, cooperative, data, "items.csv", limits, source="test").created


@pytest.fixture
def adapter_web(env: dict[str, str], tmp_path: Path, engine: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """The real app under gunicorn; yields its bpp_uri and the env (with a registry listing our receiver)."""
    port = free_port()
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    web_env = env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics), "ONDC_SUBSCRIBER_URL": f"http://127.0.0.1:{port}"}
    proc = start_web(web_env, port, tmp_path / "gunicorn.log")
    try:
        yield f"http://127.0.0.1:{port}/ondc", web_env
    finally:
        stop_process(proc)


def test_search_against_the_running_adapter_lists_the_catalogue(
    adapter_web: tuple[str, dict[str, str]], worker: Any, seller: None, network: Network, buyer_keys: list[str],
    tmp_path: Path
) -> None:
    bpp_uri, web_env = adapter_web
    receiver_port = free_port()
    # Our own registry file: the same keys, with the buyer app registered at the receiver's port.
    registry = tmp_path / "registry.json"
    write_registry_file(registry, [*network.seller.entries("sellerApp", bpp_uri),
                                   *network.buyer.entries("buyerApp", f"http://127.0.0.1:{receiver_port}")])
    inbox = tmp_path / "inbox"
    result = _cli(["search", *buyer_keys, "--bpp-uri", bpp_uri, "--port", str(receiver_port), "--out", str(inbox),
                   "--wait", "45", "--settle", "1"], web_env | {"REGISTRY_FILE": str(registry)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HTTP 200 ACK" in result.stdout
    assert "on_search callbacks: 1 (1 verified)" in result.stdout
    assert "provider " in result.stdout
    assert "T16-1  Test Rumal Small  INR 1200.00" in result.stdout
    assert "T16-2  Test Rumal Large  INR 3200.50" in result.stdout
    (saved,) = inbox.glob("*_on_search_*.json")
    record = json.loads(saved.read_text())
    assert record["signature"] == "ok"
    assert record["path"] == "/on_search"
    assert record["body"]["context"]["bap_id"] == BUYER_ID
    assert record["body"]["context"]["bpp_id"] == SELLER_ID
    assert record["body"]["context"]["message_id"] in saved.name
    assert record["body"]["context"]["message_id"] in result.stdout
    assert "Traceback" not in result.stderr


def _callback(message_id: str) -> bytes:
    return orjson.dumps({
        "context": {"domain": "ONDC:RET16", "action": "on_search", "bap_id": BUYER_ID, "bpp_id": SELLER_ID,
                    "transaction_id": str(uuid.uuid4()), "message_id": message_id,
                    "timestamp": format_timestamp(dt.datetime.now(dt.UTC))},
        "message": {"catalog": {"bpp/providers": [{"id": "p1", "items": [{"id": "i1"}]}]}},
    })


def test_serve_acks_a_good_callback_and_rejects_a_bad_signature_with_401(
    env: dict[str, str], network: Network, tmp_path: Path
) -> None:
    port = free_port()
    inbox = tmp_path / "inbox"
    proc = subprocess.Popen([sys.executable, "-m", "adapter.cli", "buyer", "serve", "--port", str(port),
                             "--out", str(inbox)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: _listening(port), timeout=30)
        good = _callback("m-good")
        answer = requests.post(f"http://127.0.0.1:{port}/buyer/on_search", data=good, timeout=5,
                               headers={"Authorization": network.seller.sign(good),
                                        "Content-Type": "application/json"})
        assert answer.status_code == 200
        assert answer.json() == ACK

        impostor = Party(SELLER_ID, network.seller.unique_key_id, generate_keyset())
        bad = _callback("m-bad")
        answer = requests.post(f"http://127.0.0.1:{port}/on_search", data=bad, timeout=5,
                               headers={"Authorization": impostor.sign(bad), "Content-Type": "application/json"})
        assert answer.status_code == 401
        assert answer.json()["message"]["ack"]["status"] == "NACK"
        assert answer.json()["error"]["code"] == "20001"

        unsigned = _callback("m-unsigned")
        answer = requests.post(f"http://127.0.0.1:{port}/on_status", data=unsigned, timeout=5)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "20001"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    records = {path.name.rsplit("_", 1)[1]: json.loads(path.read_text()) for path in inbox.glob("*.json")}
    assert set(records) == {"m-good.json", "m-bad.json", "m-unsigned.json"}
    assert len(list(inbox.glob("*_on_search_m-*.json"))) == 2
    assert records["m-good.json"]["signature"] == "ok"
    assert records["m-good.json"]["path"] == "/buyer/on_search"
    assert records["m-good.json"]["body"]["context"]["message_id"] == "m-good"
    assert records["m-bad.json"]["signature"] == "signature does not match the request body"
    assert records["m-unsigned.json"]["signature"] == "missing Authorization header"
    assert len([line for line in out.splitlines() if " on_search " in line or " on_status " in line]) == 3
    assert "NACK 20001 (HTTP 401)" in out


def test_send_signs_the_bytes_and_exits_0_on_ack_and_1_on_nack(
    env: dict[str, str], network: Network, buyer_keys: list[str], tmp_path: Path
) -> None:
    body_file = tmp_path / "search.json"
    body_file.write_text((ROOT / "tests" / "fixtures" / "ondc" / "examples" / "search.json").read_text())
    original = json.loads(body_file.read_text())
    with running_receiver() as bpp:
        acked = _cli(["send", "search", "--body", str(body_file), "--bpp-uri", bpp.url, *buyer_keys], env)
        assert acked.returncode == 0, acked.stdout + acked.stderr
        assert "HTTP 200 ACK" in acked.stdout
        (post,) = bpp.posts("/buyer/search")
        auth = verify_request(post.body, post.headers["Authorization"],
                              public_key_b64=network.buyer.keys.signing_public_key, now=int(time.time()))
        assert auth.subscriber_id == BUYER_ID
        sent = orjson.loads(post.body)
        assert sent["context"]["bap_id"] == BUYER_ID
        assert sent["context"]["bap_uri"] == "http://127.0.0.1:9/buyer"  # the buyer's registry entry
        assert sent["context"]["message_id"] != original["context"]["message_id"]
        assert sent["message"] == original["message"]

        bpp.responses.append((401, b'{"message":{"ack":{"status":"NACK"}},"error":{"code":"30016"}}'))
        nacked = _cli(["send", "search", "--body", str(body_file), "--bpp-uri", bpp.url, "--keep-ids",
                       *buyer_keys], env)
        assert nacked.returncode == 1
        assert "HTTP 401 NACK" in nacked.stdout
        assert orjson.loads(bpp.posts("/buyer/search")[-1].body)["context"]["message_id"] == \
            original["context"]["message_id"]

    unreachable = _cli(["send", "search", "--body", str(body_file), "--bpp-uri", f"http://127.0.0.1:{free_port()}",
                        *buyer_keys], env)
    assert unreachable.returncode == 1
    assert "cannot reach the BPP" in unreachable.stderr

    broken = tmp_path / "broken.json"
    broken.write_text('{"context": ')
    bad_body = _cli(["send", "search", "--body", str(broken), *buyer_keys], env)
    assert bad_body.returncode == 1
    assert f"body file {broken}: not valid JSON" in bad_body.stderr

    no_keys = _cli(["send", "search", "--body", str(body_file)], env)
    assert no_keys.returncode == 1
    assert "no demo buyer keys" in no_keys.stderr
    for result in (unreachable, bad_body, no_keys):
        assert "Traceback" not in result.stderr

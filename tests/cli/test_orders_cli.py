"""odop-adapter orders list / show / act, as real subprocesses on the test database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from sqlalchemy.orm import Session, sessionmaker

from adapter.store.db import transaction
from adapter.store.models import Order, utcnow
from tests.support.sellers import ALWAYS_OPEN, make_seller
from tests.support.servers import ROOT

QUOTE = {"price": {"currency": "INR", "value": "1200.00"}, "ttl": "P1D", "breakup": [
    {"@ondc/org/item_id": "T16-1", "@ondc/org/item_quantity": {"count": 1}, "@ondc/org/title_type": "item",
     "title": "Test Rumal Small", "price": {"currency": "INR", "value": "1200.00"},
     "item": {"price": {"currency": "INR", "value": "1200.00"}}}]}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapter.cli", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_orders_list_show_and_act(sessions: sessionmaker[Session], test_env: dict[str, str]) -> None:
    cooperative_id = make_seller(sessions, profile=ALWAYS_OPEN)
    now = utcnow()
    with transaction(sessions) as session:
        order = Order(cooperative_id=cooperative_id, order_id="CLI-1", bap_id="buyer.odop.test",
                      bap_uri="http://127.0.0.1:9/buyer", transaction_id="t-cli", domain="ONDC:RET16",
                      city="std:0177", state="Accepted", fulfilment_state="Pending", routing="P2H2P",
                      lines=[{"item_id": "T16-1", "quantity": 1, "location_id": "main"}], quote=QUOTE,
                      billing={"name": "Asha"}, payment={},
                      fulfillments=[{"id": "F1", "type": "Delivery", "tat": "P5D", "category": "Standard Delivery",
                                     "end": {"location": {"gps": "31.1,77.1"}}, "times": {}}],
                      created_at=now, updated_at=now)
        session.add(order)
        session.flush()
        pk = order.id
    env = dict(os.environ) | test_env
    listed = run(["orders", "list", "--cooperative", "test-coop"], env)
    assert listed.returncode == 0, listed.stderr
    assert f"{pk}\t" in listed.stdout
    assert "\tCLI-1\tAccepted\tPending\tINR 1200.00\t" in listed.stdout
    packed = run(["orders", "act", str(pk), "pack"], env)
    assert packed.returncode == 0, packed.stderr
    assert "In-progress / Packed" in packed.stdout
    illegal = run(["orders", "act", str(pk), "deliver"], env)
    assert illegal.returncode == 1
    assert "deliver:" in illegal.stderr
    assert "Traceback" not in illegal.stderr
    shown = json.loads(run(["orders", "show", str(pk)], env).stdout)
    assert [e["kind"] for e in shown["events"]] == ["pack"]

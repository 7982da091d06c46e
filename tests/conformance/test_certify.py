"""``odop-adapter certify export``: a stored transaction written as ONDC's review wants logs, and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner

from adapter.certification.validator import Verdict, known_defect
from adapter.cli.main import cli
from tests.conformance.buyer import ADMIN
from tests.conformance.conftest import Service
from tests.conformance.test_flows import _pick, _place, _transaction
from tests.support.network import BUYER_ID, BUYER_KEY_ID, Network
from tests.support.receiver import Receiver


def test_a_stored_transaction_is_exported_and_checked(service: Service, demo: dict[str, str], network: Network,
                                                      receiver: Receiver, validator: Any, tmp_path: Path) -> None:
    tx, provider = _transaction("chamba-rumal", service, network, receiver)
    order_id = _place(tx, provider, [(_pick(provider), 1)])
    tx.send("cancel", {"order_id": order_id, "cancellation_reason_id": "010"})
    runner = CliRunner()
    env = service.env | {"DATA_DIR": str(tmp_path / "data")}
    result = runner.invoke(cli, ["certify", "export", "--transaction", tx.transaction_id, "--flow", "4",
                                 "--out", str(tmp_path / "bundle")], env=env)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    assert "flow 4 (ONDC:RET16): 0 seller-side error(s)" in result.output
    files = sorted((tmp_path / "bundle" / "flow-4").iterdir())
    # Every message of the transaction, in order, as the buyer app saw it (local addresses made https).
    assert [f.name.split("_", 1)[1] for f in files] == [f"{m['context']['action']}.json" for m in tx.messages]
    exported = [json.loads(f.read_text()) for f in files]
    assert [m["message"] for m in exported] == [m["message"] for m in tx.messages]
    assert all(m["context"]["bap_uri"].startswith("https://") for m in exported)
    assert (tmp_path / "bundle" / "flow-4.report.txt").read_text().count("seller-side errors: 0") == 1

    again = runner.invoke(cli, ["certify", "export", "--transaction", tx.transaction_id, "--flow", "4",
                                "--out", str(tmp_path / "bundle")], env=env)
    assert again.exit_code == 1  # a bundle holds one run: never mixed with an earlier export
    assert "is not empty" in again.output
    unknown = runner.invoke(cli, ["certify", "export", "--transaction", "no-such-transaction", "--flow", "4",
                                  "--out", str(tmp_path / "none")], env=env)
    assert unknown.exit_code == 1
    assert "no messages stored for transaction no-such-transaction" in unknown.output
    bad_key = runner.invoke(cli, ["certify", "export", "--transaction", tx.transaction_id, "--flow", "4",
                                  "--out", str(tmp_path / "none"), "--key", "nine=on_update"], env=env)
    assert bad_key.exit_code == 2
    assert "use NUMBER=KEY" in bad_key.output


def test_a_flow_s_own_defects_hold_only_for_that_flow() -> None:
    missing = "[on_cancel] -: Missing required data of : on_cancel"
    assert known_defect(missing, "017") is not None
    assert known_defect(missing, "4") is None  # flow 4 without an on_cancel is our fault
    verdict = Verdict(flow="017", domain="ONDC:RET12", case="x", seller_errors=[missing, "[on_search] x: y"],
                      buyer_errors=[], payload_keys=[], output="")
    assert verdict.faults == ["[on_search] x: y"]
    assert verdict.defects == [missing]


def test_certify_run_drives_every_flow_against_the_running_adapter(service: Service, demo: dict[str, str],
                                                                   network: Network, tmp_path: Path) -> None:
    """`certify run` as an operator uses it: the test buyer's keys, the adapter's URLs, the default flows."""
    keys = tmp_path / "buyer-keys.json"
    keys.write_text(json.dumps({"signing_private_key": network.buyer.keys.signing_private_key}))
    env = service.env | {"DATA_DIR": str(tmp_path / "data")}
    args = ["certify", "run", "--cooperative", "chamba-rumal", "--out", str(tmp_path / "bundle"),
            "--api-url", service.url, "--bpp-uri", service.bpp_uri, "--keys", str(keys),
            "--subscriber-id", BUYER_ID, "--key-id", BUYER_KEY_ID]
    runner = CliRunner()
    refused = runner.invoke(cli, args, env=env, input="n\n")  # it asks before placing test orders
    assert refused.exit_code == 1
    assert "places test orders" in refused.output
    items_url = f"{service.url}/api/v1/cooperatives/chamba-rumal/catalogue/items"
    prices = {i["id"]: i["price"] for i in requests.get(items_url, headers=ADMIN, timeout=10).json()["items"]}
    result = runner.invoke(cli, [*args, "--yes"], env=env)
    assert result.exit_code == 0, (result.output, repr(result.exception))
    for flow in ("8", "1", "7", "9", "2", "3", "4"):
        assert f"flow {flow} (" in result.output
        assert (tmp_path / "bundle" / f"flow-{flow}.report.txt").exists()
        assert sorted((tmp_path / "bundle" / f"flow-{flow}").iterdir())
    assert "flow 017" not in result.output  # the Chamba demo profile has no credentials
    assert "every flow passes" in result.output
    # The bundle's logs are the run's: flow 2 ends delivered, flow 4 cancelled; prices and stock are back.
    flow2 = sorted((tmp_path / "bundle" / "flow-2").iterdir())
    assert json.loads(flow2[-1].read_text())["message"]["order"]["state"] == "Completed"
    flow4 = sorted((tmp_path / "bundle" / "flow-4").iterdir())
    assert json.loads(flow4[-1].read_text())["message"]["order"]["state"] == "Cancelled"
    after = {i["id"]: i["price"] for i in requests.get(items_url, headers=ADMIN, timeout=10).json()["items"]}
    assert after == prices  # the price changes of flows 1 and 9 were put back
    # The run's own rejections (flows 7 and 9) were traced to their items and then marked done.
    rejections = f"{service.url}/api/v1/cooperatives/chamba-rumal/catalogue/rejections"
    assert requests.get(rejections, headers=ADMIN, timeout=10).json() == {"rejections": []}
    assert len(requests.get(f"{rejections}?all=1", headers=ADMIN, timeout=10).json()["rejections"]) >= 2
    again = runner.invoke(cli, [*args, "--yes", "--flows", "8"], env=env)
    assert again.exit_code == 1
    assert "already holds flow-8" in again.output
    unknown = runner.invoke(cli, [*args, "--yes", "--flows", "8,5"], env=env)
    assert unknown.exit_code == 2
    assert "flows 5 and 6 need" in unknown.output
    nobody = runner.invoke(cli, [*args[:3], "nobody", *args[4:], "--yes"], env=env)
    assert nobody.exit_code == 1
    assert "no cooperative 'nobody'" in nobody.output

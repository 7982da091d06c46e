"""``odop-adapter certify export``: a stored transaction written as ONDC's review wants logs, and checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from adapter.certification.validator import Verdict, known_defect
from adapter.cli.main import cli
from tests.conformance.conftest import Service
from tests.conformance.test_flows import _pick, _place, _transaction
from tests.support.network import Network
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

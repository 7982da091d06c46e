"""ONDC's log-validation-utility (third_party/ondc-validator), unpacked and run on captured messages.

The archive is checked against its digest, unpacked once per test session and its Node dependencies installed
there (`npm ci`, about 10 s; npm's own cache makes later runs faster). Each run gets its own folder because the
utility keeps state between messages in an LMDB store inside its home.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "third_party" / "ondc-validator" / "ondc-validator.tar.xz"
ARCHIVE_SHA256 = "7ae7b1da8f258dddf7af91f97b8984a21c3653847b1df15b9a9ec88e1e2c5727"
# The local-address artefacts the utility's README names: bap_uri/bpp_uri must be https URLs on the subscriber
# ids. Captured copies get these; nothing else in a message is changed.
LINE = re.compile(r"^  \[(?P<action>[^\]]+)\] (?P<key>[^:]*): (?P<message>.*)$")


# Errors the utility reports on messages that follow ONDC's own 1.2.5 specification, because of a defect in the
# utility (each read in its source; the dist/ path is given). Each pattern must match a whole error line; they are
# counted and printed apart, and docs/certification.md explains each. Anything else fails the suite.
KNOWN_DEFECTS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), why) for pattern, why in (
    (r"\[on_status_pending\] routingType: Routing type tag is mandatory in delivery fulfillment when order\.state "
     r"was 'Created' in /on_confirm",
     "utils/Retail_.1.2.5/Status/onStatusPending.js deletes the Delivery fulfilment's tags (to compare it with "
     "on_confirm) before it looks for the routing tag in them; the tag is in the message"),
    (r"\[on_status_picked\] missingSelf-Pickup: Self-Pickup object is mandatory for on_status_picked",
     "utils/Retail_.1.2.5/Status/onStatusPicked.js tests `flow === '002' || selfPickUpObj` where selfPickUpObj is "
     "an array, always true: every Delivery order is asked for a Self-Pickup fulfilment, which ONDC's own 1.2.5 "
     "examples (Delivery_Flow on_status_picked) do not have"),
    (r"\[on_status_in_transit\] invalidStateTransition: Invalid state transition in /on_status_In-transit\. Cannot "
     r"transition from 'Pending' to 'In-transit'\. Allowed transitions: Packed, Cancelled",
     "the utility remembers the Delivery fulfilment from on_confirm and updates it only in the courier-state "
     "checks (agent-assigned, in-transit ...), never in on_status Packed or Order-picked-up, so In-transit is "
     "compared with Pending although Packed and Order-picked-up came between"),
    (r"\[on_status_(in_transit|at_destination_hub)\] fulfillmentState\[C\d+\]: Fulfillment state should be "
     r"'(In-transit|At-destination-hub)' for /on_status_\2 but found 'Cancelled'",
     "utils/Retail_.1.2.5/Status/onStatusInTransit.js and onStatusAtDestinationHub.js check every fulfilment, "
     "the Cancel leg of a part-cancelled order too (ONDC's Seller_Cancellation_Flow on_status has one)"),
    (r"\[on_status_(in_transit|at_destination_hub)\] routingTagNotFound: Routing tag with code 'routing' not found in "
     r"fulfillment tags for /on_status_(In-transit|At-destination-hub)",
     "the same loop over every fulfilment asks the Cancel leg of a part-cancelled order for a routing tag; the "
     "Delivery fulfilment has it"),
    (r"\[on_update_[a-z_]+\] invalidItemID\[[^\]]+\]: Item ID \[[^\]]+\] not present in items array",
     "utils/Retail_.1.2.5/Update/onUpdate.js checks quote_trail items against an itemSet declared at the top and "
     "never filled (the one it fills is a second, inner itemSet), so every item of every quote_trail is reported"),
    (r"\[on_update_[a-z_]+\] addressUpdate: Address must be updated which is given in /update",
     "utils/Retail_.1.2.5/Update/onUpdate.js compares the fulfilment with the address of an /update that changed "
     "the address; without such an /update it compares with undefined and always reports this"),
))


def known_defect(line: str) -> str | None:
    """Why ``line`` is one of the utility's known defects, or None."""
    return next((why for pattern, why in KNOWN_DEFECTS if pattern.fullmatch(line)), None)


class ValidatorUnavailable(RuntimeError):
    """The utility cannot run here (node/npm missing, npm ci failed)."""


@dataclass(frozen=True)
class Verdict:
    """What the utility said about one flow."""

    flow: str
    domain: str
    case: str
    seller_errors: list[str]
    buyer_errors: list[str]
    payload_keys: list[str]
    output: str

    @property
    def defects(self) -> list[str]:
        """Seller-side errors that are the utility's known defects (KNOWN_DEFECTS)."""
        return [line for line in self.seller_errors if known_defect(line)]

    @property
    def faults(self) -> list[str]:
        """Seller-side errors in our messages: everything but the known defects."""
        return [line for line in self.seller_errors if not known_defect(line)]

    def describe(self) -> str:
        lines = [f"flow {self.flow} {self.domain} {self.case}: {len(self.faults)} seller-side error(s)"]
        lines += [f"  {line}" for line in self.faults]
        return "\n".join(lines)


class Validator:
    """The unpacked utility in ``home``; :meth:`run` checks one folder of messages."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.command = home / "ondc-validate"

    @classmethod
    def unpack(cls, into: Path) -> Validator:
        digest = hashlib.sha256(ARCHIVE.read_bytes()).hexdigest()
        if digest != ARCHIVE_SHA256:
            raise ValidatorUnavailable(f"{ARCHIVE} has digest {digest}, expected {ARCHIVE_SHA256}")
        for tool in ("node", "npm"):
            if shutil.which(tool) is None:
                raise ValidatorUnavailable(f"{tool} is not installed (Debian: apt-get install nodejs npm)")
        into.mkdir(parents=True, exist_ok=True)
        with tarfile.open(ARCHIVE) as archive:
            archive.extractall(into, filter="data")
        validator = cls(into)
        setup = subprocess.run([sys.executable, str(validator.command), "--setup-only"], capture_output=True,
                               text=True, env=validator.env, timeout=600)
        if setup.returncode != 0:
            raise ValidatorUnavailable(f"the utility's setup failed:\n{setup.stdout[-2000:]}{setup.stderr[-2000:]}")
        return validator

    @property
    def env(self) -> dict[str, str]:
        import os

        return dict(os.environ, ONDC_VALIDATOR_HOME=str(self.home / "home"))

    def run(self, flow: str, request: Path, *, case: str, version: str | None = None) -> Verdict:
        """Run the utility on ``request`` (its request file: a payload map of Beckn messages) and parse the verdict;
        the utility's own report is written beside it (``.report.json``)."""
        args = [sys.executable, str(self.command), "--flow", flow, "--seller-only", "--max-lines", "1000",
                "--json", str(request.with_suffix(".report.json"))]
        if version:
            args += ["--version", version]
        folder = request
        done = subprocess.run([*args, str(request)], capture_output=True, text=True, env=self.env, timeout=600)
        output = done.stdout + done.stderr
        counts = re.search(r"seller-side errors: (\d+); buyer-side errors: (\d+)", output)
        if counts is None or done.returncode not in (0, 1):
            raise ValidatorUnavailable(f"the utility gave no verdict for {folder}:\n{output[-4000:]}")
        seller, buyer = [], []
        for line in output.splitlines():
            found = LINE.match(line)
            if found:
                action = found["action"]
                text = f"[{action}] {found['key']}: {found['message']}"
                is_seller = action.startswith(("on_", "replacement_on_")) or action in ("-", "invldFlow")
                (seller if is_seller else buyer).append(text)
        if len(seller) != int(counts.group(1)):
            raise ValidatorUnavailable(f"could not read every error line for {folder}:\n{output[-4000:]}")
        keys = re.search(r"^payload keys: (.*)$", output, re.MULTILINE)
        domain = re.search(r"^domain=(\S+)", output, re.MULTILINE)
        return Verdict(flow=flow, case=case, domain=domain.group(1) if domain else "?", seller_errors=seller,
                       buyer_errors=buyer, payload_keys=keys.group(1).split(", ") if keys else [], output=output)


def neutralise_addresses(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message`` whose bap_uri/bpp_uri are https URLs on the subscriber ids (the README's artefacts)."""
    copy: dict[str, Any] = json.loads(json.dumps(message))
    context = copy.get("context", {})
    for side in ("bap", "bpp"):
        if context.get(f"{side}_id") and f"{side}_uri" in context:
            context[f"{side}_uri"] = f"https://{context[f'{side}_id']}/ondc"
    return copy

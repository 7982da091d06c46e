"""ONDC's log-validation-utility (third_party/ondc-validator), unpacked and run on a flow's messages.

The archive is checked against its digest, unpacked into a folder and its Node dependencies installed there
(`npm ci`, about 10 s; npm's own cache makes later runs faster). One folder serves one run at a time: the utility
keeps state between messages in an LMDB store inside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the checkout (or /app in the image), which holds third_party/
ARCHIVE = ROOT / "third_party" / "ondc-validator" / "ondc-validator.tar.xz"
ARCHIVE_SHA256 = "7ae7b1da8f258dddf7af91f97b8984a21c3653847b1df15b9a9ec88e1e2c5727"
LINE = re.compile(r"^  \[(?P<action>[^\]]+)\] (?P<key>[^:]*): (?P<message>.*)$")


# The fulfilment states the utility checks with its newer courier-state checks, and their payload keys.
_COURIER_STATES = ("(Agent-assigned|At-pickup|Out-for-pickup|Pickup-failed|In-transit|At-destination-hub|At-delivery|"
                   "Delivery-failed)")
_COURIER_KEYS = ("(agent_assigned|at_pickup|out_for_pickup|pickup_failed|in_transit|at_destination_hub|at_delivery|"
                 "delivery_failed)")


# Errors the utility reports on messages that follow ONDC's own 1.2.5 specification, because of a defect in the
# utility (each read in its source; the dist/ path is given). Each pattern must match a whole error line; they are
# counted and printed apart, and docs/certification.md explains each. Anything else is a fault of ours.
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
     r"transition from '(Pending|Agent-assigned|Out-for-pickup|Pickup-failed)' to 'In-transit'\. Allowed "
     r"transitions: [A-Za-z, -]+",
     "the utility remembers the Delivery fulfilment as 'DeliveryFulfillment' from on_confirm and from the "
     "courier-state checks before pickup (agent-assigned, out-for-pickup, pickup-failed), but on_status "
     "Order-picked-up stores it as 'deliveryFulfillment' (utils/Retail_.1.2.5/Status/onStatusPicked.js), so "
     "In-transit is compared with the state before pickup although Order-picked-up came between"),
    (rf"\[on_status_{_COURIER_KEYS}\] fulfillmentState\[C\d+\]: Fulfillment state should be "
     rf"'{_COURIER_STATES}' for /on_status_{_COURIER_STATES} but found 'Cancelled'",
     "the courier-state checks (utils/Retail_.1.2.5/Status/onStatusInTransit.js, onStatusAgentAssigned.js, "
     "onStatusAtDestinationHub.js ...) check every fulfilment, the Cancel leg of a part-cancelled order too "
     "(ONDC's Seller_Cancellation_Flow on_status has one)"),
    (rf"\[on_status_{_COURIER_KEYS}\] routingTagNotFound: Routing tag with code 'routing' not found in "
     rf"fulfillment tags for /on_status_{_COURIER_STATES}",
     "the same loop over every fulfilment asks the Cancel leg of a part-cancelled order for a routing tag; the "
     "Delivery fulfilment has it"),
    (r"\[on_update_[a-z_]+\] invalidItemID\[[^\]]+\]: Item ID \[[^\]]+\] not present in items array",
     "utils/Retail_.1.2.5/Update/onUpdate.js checks quote_trail items against an itemSet declared at the top and "
     "never filled (the one it fills is a second, inner itemSet), so every item of every quote_trail is reported"),
    (r"\[on_update_[a-z_]+\] addressUpdate: Address must be updated which is given in /update",
     "utils/Retail_.1.2.5/Update/onUpdate.js compares the fulfilment with the address of an /update that changed "
     "the address; without such an /update it compares with undefined and always reports this"),
    (r"\[on_update_(interim_)?liquidated\] context/timestamp: context/timestamp of /on_update_(interim_)?liquidated "
     r"should be greater than /on_update_part_cancel context/timestamp",
     "flow 6 compares with the time of on_update_part_cancel, which its 1.2.5 flow-6 sequence never validates, so "
     "the time it compares with is never stored (shared/validateRetailLogsV2.js flowSixSequence)"),
    (r"\[(on_cancel|on_status_rto_delivered/disposed)\] precancelState\.(updatedAt|fulfillment_state): "
     r"precancel_state\.(updated_at|fulfillment_state) of (on_cancel|on_status_rto_delivered/disposed) is not equal "
     r"with the on_status_out_for_delivery (order\.updated_at|fulfillment state)",
     "utils/Retail_.1.2.5/Status/onStatusOutForDelivery.js stores the state and time an RTO starts from only when "
     "called with state 'on_status_out_for_delivery', and shared/validateRetailLogsV2.js calls it with "
     "'out-for-delivery', so an RTO from Out-for-delivery is compared with an earlier message"),
    (r"\[on_update_(interim_)?liquidated\] inVldItemId\[[^\]]+\]: Item ID should be present in /select API",
     "utils/Retail_.1.2.5/Update/onUpdate.js wants every item of a return's on_update to be one the /update "
     "named; ONDC's own Return_Flow on_update examples list the whole order, as ours do"),
    (r"\[(on_cancel|on_status_rto_delivered/disposed)\] invldQuoteTrailPrices: quote_trail price and item quote "
     r"price sum for on_cancel should be equal to the price as in on_confirm",
     "in flow 5 the utility adds only the RTO leg's quote_trail to the price and compares with on_confirm's, so an "
     "item part-cancelled before (refunded in its Cancel leg's trail) is missing; ONDC's own on_cancel RTO "
     "example fails it the same way. tests/conformance checks the whole sum itself"),
))


# Defects of one flow's definition rather than of a check: they hold only for that flow.
FLOW_DEFECTS: dict[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "1": ((re.compile(r"\[on_search_inc_refresh\] locationTimeLabel: location label \(/bpp/providers/locations/time/"
                      r"label\) for /on_search_inc_refresh should not be equal to /on_search_full_catalog_refresh"
                      r"\.label"),
           "the utility compares every incremental location label with the full catalogue pulled at the start "
           "(utils/Retail_.1.2.5/SearchInc/onSearchIncremental.js, locationTimeLabel), so a store that closed and "
           "opens again, whose location is enable once more, is flagged; the label it would accept (open) is "
           "outside its own RET10 schema (enable, disable, close). The close push before it passes"),),
    "017": ((re.compile(r"\[(on_update|on_cancel)\] -: Missing required data of : (on_update|on_cancel)"),
             "flow 017 (seller credentials) asks one transaction for on_status_delivered, then on_update and "
             "on_cancel (shared/validateRetailLogsV2.js flow017Sequence), but a delivered order cannot be "
             "cancelled, and ONDC's own Seller_Cred_Flow ends at on_confirm. The creds in on_update and on_cancel "
             "are checked in flows 4, 5 and 6, which have those messages"),),
}


def known_defect(line: str, flow: str | None = None) -> str | None:
    """Why ``line`` (of a run of ``flow``) is one of the utility's known defects, or None."""
    patterns = (*KNOWN_DEFECTS, *FLOW_DEFECTS.get(flow or "", ()))
    return next((why for pattern, why in patterns if pattern.fullmatch(line)), None)


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
        return [line for line in self.seller_errors if known_defect(line, self.flow)]

    @property
    def faults(self) -> list[str]:
        """Seller-side errors in our messages: everything but the known defects."""
        return [line for line in self.seller_errors if not known_defect(line, self.flow)]

    def describe(self) -> str:
        lines = [f"flow {self.flow} {self.domain} {self.case}: {len(self.faults)} seller-side error(s)"]
        lines += [f"  {line}" for line in self.faults]
        return "\n".join(lines)


class Validator:
    """The unpacked utility in ``home``; :meth:`run` checks one folder of messages."""

    def __init__(self, home: Path) -> None:
        # Absolute: the utility runs node from inside its home, and `make run` keeps its cache under a relative
        # DATA_DIR (var/), which would otherwise be looked for again inside itself.
        self.home = home.absolute()
        self.command = self.home / "ondc-validate"

    @classmethod
    def cached(cls, cache: Path) -> Validator:
        """The utility unpacked under ``cache`` (once per archive digest; later calls reuse it)."""
        home = cache / f"ondc-validator-{ARCHIVE_SHA256[:12]}"
        if (home / ".ready").is_file():
            return cls(home)
        validator = cls.unpack(home)
        (home / ".ready").write_text(ARCHIVE_SHA256)
        return validator

    @classmethod
    def unpack(cls, into: Path) -> Validator:
        if not ARCHIVE.is_file():
            raise ValidatorUnavailable(f"{ARCHIVE} is missing: the utility ships in the repository's third_party/")
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
        # LOG_LEVEL is ours (INFO, DEBUG ...); the utility's logger knows only lower-case pino levels and would
        # crash on it. Its own logging is noise here: silent.
        return dict(os.environ, ONDC_VALIDATOR_HOME=str(self.home / "home"), LOG_LEVEL="silent")

    def run(self, flow: str, request: Path, *, case: str, version: str | None = None,
            kind: str = "retail") -> Verdict:
        """Run the utility on ``request`` (its request file: a payload map of Beckn messages) and parse the verdict;
        the utility's own report is written beside it (``.report.json``). ``kind``: retail, igm or rsf."""
        args = [sys.executable, str(self.command), "--kind", kind, "--flow", flow, "--seller-only", "--max-lines",
                "1000", "--json", str(request.with_suffix(".report.json"))]
        if version:
            args += ["--version", version]
        done = subprocess.run([*args, str(request)], capture_output=True, text=True, env=self.env, timeout=600)
        output = done.stdout + done.stderr
        counts = re.search(r"seller-side errors: (\d+); buyer-side errors: (\d+)", output)
        if counts is None or done.returncode not in (0, 1):
            raise ValidatorUnavailable(f"the utility gave no verdict for {request}:\n{output[-4000:]}")
        seller: list[str] = []
        buyer: list[str] = []
        for line in output.splitlines():
            found = LINE.match(line)
            if found:
                action = found["action"]
                text = f"[{action}] {found['key']}: {found['message']}"
                is_seller = action.startswith(("on_", "replacement_on_")) or action in ("-", "invldFlow")
                (seller if is_seller else buyer).append(text)
        if len(seller) != int(counts.group(1)):
            raise ValidatorUnavailable(f"could not read every error line for {request}:\n{output[-4000:]}")
        keys = re.search(r"^payload keys: (.*)$", output, re.MULTILINE)
        domain = re.search(r"^domain=(\S+)", output, re.MULTILINE)
        return Verdict(flow=flow, case=case, domain=domain.group(1) if domain else "?", seller_errors=seller,
                       buyer_errors=buyer, payload_keys=keys.group(1).split(", ") if keys else [], output=output)


def neutralise_addresses(message: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``message`` whose local bap_uri/bpp_uri (not https, e.g. http://127.0.0.1:8080/ondc) are https URLs
    on the subscriber ids: the one change the utility's README allows, for test set-ups. Real https addresses and
    everything else stay as they are."""
    copy: dict[str, Any] = json.loads(json.dumps(message))
    context = copy.get("context", {})
    for side in ("bap", "bpp"):
        uri = context.get(f"{side}_uri")
        if context.get(f"{side}_id") and isinstance(uri, str) and not uri.startswith("https://"):
            context[f"{side}_uri"] = f"https://{context[f'{side}_id']}/ondc"
    return copy

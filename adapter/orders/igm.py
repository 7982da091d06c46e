"""IGM (Issue & Grievance Management) documents: pure functions of the buyer's issue, our respondent and the time.

IGM 2.0.0 (preferred with retail 1.2.5) keeps one issue document that both sides append to (`actions`, `actors`,
`resolutions`) and answers every `issue` with an `on_issue`. IGM 1.0.0 keeps the complainant's and the respondent's
actions apart (`issue_actions.complainant_actions` / `respondent_actions`) and reports a resolution in
`on_issue_status`. Both arrive on `/issue`; `version_of` tells them apart by shape.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from adapter.protocol.context import format_timestamp

IGM1, IGM2 = "1.0.0", "2.0.0"
EXPECTED_RESPONSE = {"duration": "PT2H"}  # IGM: first response within 2 hours
EXPECTED_RESOLUTION = {"duration": "P1D"}  # IGM: resolution within a day
RESOLUTION_ACTIONS = ("REFUND", "REPLACEMENT", "RETURN", "CANCEL", "NO_ACTION")
# IGM 2.0 issue codes start with the family: ITM04 is an item complaint, PMT002 a payment one.
_FAMILIES = {"ITM": "ITEM", "FLM": "FULFILLMENT", "ORD": "ORDER", "PMT": "PAYMENT", "AGT": "AGENT"}


@dataclass(frozen=True)
class Respondent:
    """Us, as the issue's counterparty: our id on the network and the contact buyers reach."""

    actor_id: str
    org_name: str
    person_name: str
    phone: str | None = None
    email: str | None = None

    def contact(self) -> dict[str, str]:
        """The IGM contact object (only the parts we know)."""
        return {k: v for k, v in (("phone", self.phone), ("email", self.email)) if v}

    def info(self) -> dict[str, Any]:
        """IGM 1.0 `updated_by` / IGM 2.0 actor `info`."""
        info: dict[str, Any] = {"org": {"name": self.org_name}, "person": {"name": self.person_name}}
        if self.contact():
            info["contact"] = self.contact()
        return info


def version_of(issue: dict[str, Any]) -> str:
    """IGM 2.0 issues carry refs/actors/actions/level; 1.0 ones order_details/issue_actions/category."""
    if any(key in issue for key in ("refs", "actors", "actions", "level")):
        return IGM2
    return IGM1


def order_ref(issue: dict[str, Any]) -> str | None:
    """The order the issue is about (2.0: the ORDER ref; 1.0: order_details.id)."""
    if version_of(issue) == IGM2:
        for ref in issue.get("refs") or []:
            if isinstance(ref, dict) and str(ref.get("ref_type", "")).upper() == "ORDER" and ref.get("ref_id"):
                return str(ref["ref_id"])
        return None
    details = issue.get("order_details")
    order_id = details.get("id") if isinstance(details, dict) else None  # the schema lets a bare string through
    return str(order_id) if order_id else None


def category_of(issue: dict[str, Any]) -> str | None:
    """`FAMILY:CODE`, e.g. ITEM:ITM04 (1.0 category and sub_category; 2.0 descriptor.code and its prefix)."""
    if version_of(issue) == IGM2:
        code = str((issue.get("descriptor") or {}).get("code") or "")
        return f"{_FAMILIES.get(code[:3].upper(), 'OTHER')}:{code}"[:64] if code else None
    category, sub = issue.get("category"), issue.get("sub_category")
    return ":".join(str(part) for part in (category, sub) if part)[:64] or None


def description_of(issue: dict[str, Any]) -> str | None:
    """The buyer's words: short and long description."""
    text = issue.get("descriptor") if version_of(issue) == IGM2 else issue.get("description")
    parts = [str(text[k]) for k in ("short_desc", "long_desc") if isinstance(text, dict) and text.get(k)]
    return "\n\n".join(parts) or None


def buyer_closed(issue: dict[str, Any]) -> bool:
    """The complainant closed the issue (status CLOSED, or a CLOSE/CLOSED last action)."""
    if str(issue.get("status", "")).upper() == "CLOSED":
        return True
    if version_of(issue) == IGM2:
        actions = issue.get("actions") or []
        code = str(((actions[-1] if actions else {}).get("descriptor") or {}).get("code", "")).upper()
    else:
        complainant = (issue.get("issue_actions") or {}).get("complainant_actions") or []
        code = str((complainant[-1] if complainant else {}).get("complainant_action", "")).upper()
    return code in ("CLOSE", "CLOSED")


def _by_time(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(actions, key=lambda a: str(a.get("updated_at", "")))  # ISO 8601 UTC sorts as text


def merge(received: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """The buyer's latest issue with what we appended before (actions, actors, resolutions) kept."""
    doc = dict(received)
    if version_of(received) == IGM2:
        ids = {a.get("id") for a in received.get("actions") or []}
        doc["actions"] = _by_time([*(received.get("actions") or []),
                                   *(a for a in previous.get("actions") or [] if a.get("id") not in ids)])
        actor_ids = {a.get("id") for a in received.get("actors") or []}
        doc["actors"] = [*(received.get("actors") or []),
                         *(a for a in previous.get("actors") or [] if a.get("id") not in actor_ids)]
        for key in ("respondent_ids", "resolutions", "expected_response_time", "expected_resolution_time"):
            if key in previous and key not in received:
                doc[key] = previous[key]
        if doc["actions"]:
            doc["last_action_id"] = doc["actions"][-1].get("id")
        return doc
    ours = (previous.get("issue_actions") or {}).get("respondent_actions") or []
    doc["issue_actions"] = {**(received.get("issue_actions") or {}), "respondent_actions": ours}
    for key in ("resolution", "resolution_provider"):
        if key in previous:
            doc[key] = previous[key]
    return doc


def _append_action(doc: dict[str, Any], code: str, short_desc: str, respondent: Respondent, action_id: str,
                   now: dt.datetime) -> dict[str, Any]:
    stamp = format_timestamp(now)
    if version_of(doc) == IGM2:
        action = {"id": action_id, "descriptor": {"code": code, "short_desc": short_desc}, "updated_at": stamp,
                  "action_by": respondent.actor_id, "actor_details": {"name": respondent.person_name}}
        actors = list(doc.get("actors") or [])
        if not any(a.get("id") == respondent.actor_id for a in actors):
            actors.append({"id": respondent.actor_id, "type": "COUNTERPARTY_NP", "info": respondent.info()})
        return {**doc, "actions": [*(doc.get("actions") or []), action], "actors": actors,
                "respondent_ids": [respondent.actor_id], "status": code, "last_action_id": action_id,
                "updated_at": stamp}
    step: dict[str, Any] = {"respondent_action": code, "short_desc": short_desc, "updated_at": stamp,
            "updated_by": respondent.info(), "cascaded_level": 1}
    issue_actions = dict(doc.get("issue_actions") or {})
    issue_actions["respondent_actions"] = [*(issue_actions.get("respondent_actions") or []), step]
    return {**doc, "issue_actions": issue_actions, "updated_at": stamp}


def acknowledge(issue: dict[str, Any], respondent: Respondent, *, action_id: str, now: dt.datetime) -> dict[str, Any]:
    """Take the issue up: a PROCESSING respondent action, with the expected response and resolution times."""
    doc = _append_action(issue, "PROCESSING", "Complaint is being processed", respondent, action_id, now)
    doc.setdefault("expected_response_time", EXPECTED_RESPONSE)
    doc.setdefault("expected_resolution_time", EXPECTED_RESOLUTION)
    return doc


def resolve(issue: dict[str, Any], respondent: Respondent, *, action: str, short_desc: str, long_desc: str,
            refund_amount: Decimal | None, order_id: str | None, action_id: str, now: dt.datetime) -> dict[str, Any]:
    """Mark the issue RESOLVED with our resolution (2.0 `resolutions[]`; 1.0 `resolution` and its provider)."""
    doc = _append_action(issue, "RESOLVED", short_desc, respondent, action_id, now)
    amount = f"{refund_amount:.2f}" if refund_amount is not None else None
    if version_of(issue) == IGM2:
        entry: dict[str, Any] = {"id": action_id, "descriptor": {"code": action, "short_desc": short_desc,
                                                                 "long_desc": long_desc},
                                 "updated_at": format_timestamp(now), "proposed_by": respondent.actor_id}
        if order_id:
            entry |= {"ref_id": order_id, "ref_type": "ORDER"}
        if amount is not None:
            entry["tags"] = [{"descriptor": {"code": "REFUND"},
                              "list": [{"descriptor": {"code": "refund_amount"}, "value": amount}]}]
        return {**doc, "resolutions": [entry]}
    resolution = {"short_desc": short_desc, "long_desc": long_desc,
                  "action_triggered": action.replace("NO_ACTION", "NO-ACTION")}  # IGM 1.0 spells it NO-ACTION
    if amount is not None:
        resolution["refund_amount"] = amount
    organisation = respondent.info()
    provider = {"respondent_info": {
        "type": "TRANSACTION-COUNTERPARTY-NP", "organization": organisation,
        "resolution_support": {"contact": respondent.contact(),
                               "gros": [{"person": organisation["person"], "contact": respondent.contact(),
                                         "gro_type": "TRANSACTION-COUNTERPARTY-NP-GRO"}]}}}
    return {**doc, "resolution": resolution, "resolution_provider": provider}


def close(issue: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The issue as closed on our side (the document keeps every action so far)."""
    return {**issue, "status": "CLOSED", "updated_at": format_timestamp(now)}


def callback(doc: dict[str, Any], *, resolved: bool = False) -> tuple[str, dict[str, Any]]:
    """The callback action and `message` for this issue document (on_issue; 1.0 resolutions: on_issue_status)."""
    if version_of(doc) == IGM2:
        targets = [{"action": "APPENDED", "path": "issue.actions"}]
        if resolved:
            targets.append({"action": "APPENDED", "path": "issue.resolutions"})
        return "on_issue", {"issue": doc, "update_target": targets}
    issue = {key: doc[key] for key in ("id", "issue_actions", "created_at", "updated_at", "resolution",
                                       "resolution_provider") if key in doc}
    issue["issue_actions"] = {"respondent_actions": (doc.get("issue_actions") or {}).get("respondent_actions", [])}
    return ("on_issue_status" if resolved else "on_issue"), {"issue": issue}

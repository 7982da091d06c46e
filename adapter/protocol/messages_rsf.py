"""The schemas of RSF 2.0 requests (ONDC's Reconciliation and Settlement Framework): a Beckn 2.0 context in the
ONDC:NTS10 domain, and the `recon` message a collector (the buyer app) sends with its figures per order.

Mirrors the validator's RSF_v2 reconSchema (../shared/ondc/validator/dist/schema/RSF/RSF_v2/reconSchema.js), with
amounts held to what money is: non-negative rupees with at most two decimals.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, validate, validates_schema

from adapter.protocol.messages_base import (
    ListOf,
    Obj,
    Open,
    check_duration,
    check_timestamp,
    ident,
    list_of,
    obj,
    one_of,
    text,
)

RECON_STATUSES = ("PENDING", "SETTLED", "TO_BE_INITIATED")
_AMOUNT = r"[0-9]{1,12}(\.[0-9]{1,2})?\Z"


class CodeSchema(Open):
    """A {code} object of the location."""

    code = text(required=True)


class CountrySchema(Open):
    """The country: IND."""

    code = text(required=True, check=validate.Equal("IND", error="must be IND"))


class LocationSchema(Open):
    """The context's location: country and city codes."""

    country = obj(CountrySchema, required=True)
    city = obj(CodeSchema, required=True)


def context_schema(action: str, *, url: validate.Validator) -> Schema:
    """The RSF 2.0 context for one endpoint (domain ONDC:NTS10, version 2.0.0, bpp_id and bpp_uri required)."""
    fields: dict[str, Any] = {
        "domain": text(required=True, check=validate.Equal("ONDC:NTS10", error="must be ONDC:NTS10 for RSF")),
        "location": obj(LocationSchema, required=True),
        "version": text(required=True, check=validate.Equal("2.0.0", error="must be 2.0.0 for RSF")),
        "action": text(required=True, check=validate.Equal(action, error="must be {other} on this endpoint")),
        "bap_id": ident(),
        "bap_uri": text(required=True, check=url),
        "bpp_id": ident(),
        "bpp_uri": text(required=True, check=url),
        "transaction_id": ident(),
        "message_id": ident(),
        "timestamp": text(required=True, check=check_timestamp),
        "ttl": text(required=True, check=check_duration),
    }
    return Open.from_dict(fields, name=f"{action}_rsf_context")()


class AmountSchema(Open):
    """An amount in rupees: INR and a non-negative value with at most two decimals."""

    currency = one_of(("INR",), required=True)
    value = text(required=True, check=validate.Regexp(
        _AMOUNT, error='must be rupees with at most two decimals, e.g. "1234.50"'))


class SettlementSchema(Open):
    """One settlement of an order, as the collector figures it."""

    id = ident()
    payment_id = ident()
    status = one_of(RECON_STATUSES, required=True)
    amount = obj(AmountSchema, required=True)
    commission = obj(AmountSchema, required=True)
    withholding_amount = obj(AmountSchema, required=True)
    tcs = obj(AmountSchema, required=True)
    tds = obj(AmountSchema, required=True)
    settlement_ref_no = text()
    updated_at = text(required=True, check=check_timestamp)


class ReconOrderSchema(Open):
    """One order of a recon: its id, amount and settlements."""

    id = ident()
    amount = obj(AmountSchema, required=True)
    settlements = list_of(SettlementSchema, required=True, non_empty=True)


class ReconMessage(Open):
    """recon: the collector's figures for one or more orders (at most 500 in one message)."""

    orders = ListOf(Obj(ReconOrderSchema), required=True, validate=validate.Length(
        min=1, max=500, error="must hold 1 to 500 orders"))

    @validates_schema
    def _each_order_once(self, data: dict[str, Any], **kwargs: Any) -> None:
        ids = [order.get("id") for order in data.get("orders") or []]
        repeated = sorted({str(i) for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValidationError(f"names order {', '.join(repeated)} more than once", field_name="orders")

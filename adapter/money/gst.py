"""GST on a tax invoice (CGST Rules 2017, rule 46) and a credit note (rule 53): the pure arithmetic.

Quote prices include GST. Each line is split into its taxable value and tax: ``taxable = gross / (1 + rate)``
rounded half up to the paisa, ``tax = gross - taxable``, so the lines add up to the quote exactly. A supply
within the supplier's state (place of supply = the delivery address's state) pays CGST and SGST (UTGST in a union
territory without a legislature), half each with the odd paisa on CGST; any other pays IGST. Delivery, packing
and other charges are part of a composite supply: taxed at the rate (and HSN) of the principal supply, the item
line of the highest value.

A credit note moves the books from what they say now (invoice minus earlier credit notes) to what remains, line by
line and component by component, so that the invoice minus all its credit notes is always an exact split.
Pure: no database, no HTTP, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "IST",
    "MAX_NUMBER_LENGTH",
    "RATES",
    "STATES",
    "LineKey",
    "SupplyLine",
    "TaxLine",
    "Totals",
    "after_return",
    "booked",
    "credit",
    "default_prefix",
    "document_number",
    "financial_year",
    "gstin_state",
    "money",
    "second_tax",
    "split",
    "split_line",
    "state_code",
    "supply_lines",
    "totals",
]

IST = dt.timezone(dt.timedelta(hours=5, minutes=30), "IST")
PAISA = Decimal("0.01")
# The GST rates of goods, in percent (Schedules I-VI of notification 1/2017-Central Tax (Rate)).
RATES: tuple[Decimal, ...] = tuple(Decimal(rate) for rate in ("0", "0.25", "3", "5", "12", "18", "28"))
# Rule 46(b): a serial number of at most 16 characters: letters, digits, hyphen and slash.
MAX_NUMBER_LENGTH = 16
CHARGE_KINDS = ("delivery", "packing", "misc", "tax_f", "discount_f")
_ITEM_PARTS = ("item", "tax", "discount")

# The GST state codes (the first two digits of a GSTIN).
STATES: dict[str, str] = {
    "01": "Jammu and Kashmir", "02": "Himachal Pradesh", "03": "Punjab", "04": "Chandigarh", "05": "Uttarakhand",
    "06": "Haryana", "07": "Delhi", "08": "Rajasthan", "09": "Uttar Pradesh", "10": "Bihar", "11": "Sikkim",
    "12": "Arunachal Pradesh", "13": "Nagaland", "14": "Manipur", "15": "Mizoram", "16": "Tripura",
    "17": "Meghalaya", "18": "Assam", "19": "West Bengal", "20": "Jharkhand", "21": "Odisha", "22": "Chhattisgarh",
    "23": "Madhya Pradesh", "24": "Gujarat", "26": "Dadra and Nagar Haveli and Daman and Diu",
    "27": "Maharashtra", "29": "Karnataka", "30": "Goa", "31": "Lakshadweep", "32": "Kerala", "33": "Tamil Nadu",
    "34": "Puducherry", "35": "Andaman and Nicobar Islands", "36": "Telangana", "37": "Andhra Pradesh",
    "38": "Ladakh", "97": "Other Territory",
}
# Union territories without a legislature levy UTGST instead of SGST (UTGST Act 2017, section 7).
UTGST_TERRITORIES = frozenset({"04", "26", "31", "35", "38"})
# Other spellings buyer apps send: ISO 3166-2:IN and vehicle codes, old and short names.
_ALIASES: dict[str, str] = {
    "jk": "01", "jammu kashmir": "01", "hp": "02", "pb": "03", "ch": "04", "uk": "05", "ut": "05",
    "uttaranchal": "05", "hr": "06", "dl": "07", "new delhi": "07", "nct of delhi": "07",
    "national capital territory of delhi": "07", "rj": "08", "up": "09", "br": "10", "sk": "11", "ar": "12",
    "nl": "13", "mn": "14", "mz": "15", "tr": "16", "ml": "17", "as": "18", "wb": "19", "jh": "20", "od": "21",
    "or": "21", "orissa": "21", "cg": "22", "ct": "22", "chattisgarh": "22", "mp": "23", "gj": "24",
    "dd": "26", "dn": "26", "dh": "26", "daman and diu": "26", "dadra and nagar haveli": "26", "mh": "27",
    "ka": "29", "ga": "30", "ld": "31", "kl": "32", "tn": "33", "py": "34", "pondicherry": "34",
    "an": "35", "andaman and nicobar": "35", "ts": "36", "tg": "36", "ap": "37", "la": "38",
    "j and k": "01", "nct delhi": "07", "delhi nct": "07", "chhatisgarh": "22", "leh ladakh": "38",
}
_NAMES = {re.sub(r"[^a-z]+", " ", name.lower()).strip(): code for code, name in STATES.items()}
# The same without spaces: addresses often run the words together ("Tamilnadu", "WestBengal").
_COMPACT = {key.replace(" ", ""): code for key, code in (_ALIASES | _NAMES).items()}


def money(value: Decimal) -> Decimal:
    """Round to the paisa, half up."""
    return value.quantize(PAISA, rounding=ROUND_HALF_UP)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z]+", " ", text.lower().replace("&", " and "))).strip()


def state_code(text: str | None) -> str | None:
    """The GST state code of a state's name, abbreviation or code ("Himachal Pradesh", "HP", "02"); None if
    unknown."""
    value = (text or "").strip()
    if re.fullmatch(r"\d{1,2}", value):
        code = value.zfill(2)
        return code if code in STATES else None
    key = _key(value)
    if key.startswith("in "):  # ISO 3166-2:IN, "IN-DL"
        key = key[3:]
    return _NAMES.get(key) or _ALIASES.get(key) or _COMPACT.get(key.replace(" ", ""))


def gstin_state(gstin: str) -> str | None:
    """The state code in a GSTIN (its first two digits), or None when it names no state."""
    return state_code(gstin[:2]) if re.fullmatch(r"\d{2}", gstin[:2]) else None


def second_tax(supplier_state: str) -> str:
    """The state-level half of an intra-state supply: SGST, or UTGST in a territory without a legislature."""
    return "UTGST" if supplier_state in UTGST_TERRITORIES else "SGST"


# -- numbering ---------------------------------------------------------------------------------------------------

def financial_year(at: dt.datetime) -> str:
    """The Indian financial year (April to March, in IST) of a moment, as "2026-27"."""
    if at.tzinfo is None:
        raise ValueError("financial_year needs an aware datetime")
    local = at.astimezone(IST)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def default_prefix(slug: str) -> str:
    """An invoice series prefix from a cooperative's slug: its first four letters and digits, in capitals."""
    prefix = re.sub(r"[^A-Za-z0-9]", "", slug).upper()[:4] or "INV"
    return "INV" if prefix == "CN" else prefix  # CN is the credit notes' series


def document_number(prefix: str, year: str, serial: int) -> str:
    """``CHAM/26-27/00123``: prefix, the financial year's short form and the serial, padded to 16 characters
    (rule 46(b)); ValueError when it cannot fit."""
    if not re.fullmatch(r"\d{4}-\d{2}", year) or serial < 1:
        raise ValueError(f"bad financial year {year!r} or serial {serial}")
    head = f"{prefix}/{year[2:]}/"
    width = MAX_NUMBER_LENGTH - len(head)
    number = f"{head}{serial:0{max(width, 1)}d}"
    if len(number) > MAX_NUMBER_LENGTH:
        raise ValueError(f"{number!r} is longer than {MAX_NUMBER_LENGTH} characters (rule 46): use a shorter "
                         "prefix or a new series")
    return number


# -- lines -------------------------------------------------------------------------------------------------------

LineKey = tuple[str, str]  # (kind, ref): ("item", item id) or (charge kind, fulfilment id)


@dataclass(frozen=True, slots=True)
class SupplyLine:
    """What the buyer pays for one line, GST included: an item (with a quantity) or a charge."""

    kind: str  # "item", or a charge: delivery, packing, misc, ...
    ref: str  # the item id; a charge's fulfilment id
    title: str
    quantity: int | None
    gross: Decimal
    hsn: str = ""
    rate: Decimal | None = None  # percent; None when not known
    unit_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class TaxLine:
    """A line split into taxable value and tax. Amounts are Decimals to the paisa; ``rate`` None: not known
    (the whole amount is shown as taxable value and no tax is split)."""

    kind: str
    ref: str
    title: str
    quantity: int | None
    hsn: str
    rate: Decimal | None
    gross: Decimal
    taxable: Decimal
    cgst: Decimal = Decimal("0.00")
    sgst: Decimal = Decimal("0.00")
    igst: Decimal = Decimal("0.00")
    unit_price: Decimal | None = None

    @property
    def key(self) -> LineKey:
        """What identifies the line across an invoice and its credit notes."""
        return self.kind, self.ref

    @property
    def tax(self) -> Decimal:
        """The line's whole tax."""
        return self.cgst + self.sgst + self.igst

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: amounts as 2-decimal strings."""
        return {"kind": self.kind, "ref": self.ref, "title": self.title, "quantity": self.quantity, "hsn": self.hsn,
                "rate": None if self.rate is None else str(self.rate), "gross": f"{self.gross:.2f}",
                "taxable": f"{self.taxable:.2f}", "cgst": f"{self.cgst:.2f}", "sgst": f"{self.sgst:.2f}",
                "igst": f"{self.igst:.2f}",
                "unit_price": None if self.unit_price is None else f"{self.unit_price:.2f}"}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaxLine:
        """Read ``to_dict()`` output."""
        def amount(name: str) -> Decimal:
            return Decimal(str(data[name]))
        return cls(kind=str(data["kind"]), ref=str(data["ref"]), title=str(data["title"]),
                   quantity=None if data.get("quantity") is None else int(data["quantity"]), hsn=str(data["hsn"]),
                   rate=None if data.get("rate") is None else Decimal(str(data["rate"])), gross=amount("gross"),
                   taxable=amount("taxable"), cgst=amount("cgst"), sgst=amount("sgst"), igst=amount("igst"),
                   unit_price=None if data.get("unit_price") is None else Decimal(str(data["unit_price"])))


@dataclass(frozen=True, slots=True)
class Totals:
    """The sums of a document's lines."""

    taxable: Decimal
    cgst: Decimal
    sgst: Decimal
    igst: Decimal
    gross: Decimal

    @property
    def tax(self) -> Decimal:
        """All tax."""
        return self.cgst + self.sgst + self.igst

    def to_dict(self) -> dict[str, str]:
        """JSON-safe."""
        return {name: f"{getattr(self, name):.2f}" for name in ("taxable", "cgst", "sgst", "igst", "tax", "gross")}


def split_line(line: SupplyLine, intra_state: bool) -> TaxLine:
    """One line's taxable value and tax (CGST + SGST within the state, else IGST)."""
    gross = money(line.gross)
    plain = TaxLine(kind=line.kind, ref=line.ref, title=line.title, quantity=line.quantity, hsn=line.hsn,
                    rate=line.rate, gross=gross, taxable=gross, unit_price=line.unit_price)
    if line.rate is None:
        return plain
    taxable = money(gross * 100 / (100 + line.rate))
    tax = gross - taxable
    if not intra_state:
        return replace(plain, taxable=taxable, igst=tax)
    central = money(tax / 2)
    return replace(plain, taxable=taxable, cgst=central, sgst=tax - central)


def split(lines: Iterable[SupplyLine], *, supplier_state: str, place_of_supply: str) -> list[TaxLine]:
    """Split every line; intra-state when the place of supply is the supplier's state."""
    intra = supplier_state == place_of_supply
    return [split_line(line, intra) for line in lines]


def totals(lines: Iterable[TaxLine]) -> Totals:
    """Add the lines up."""
    listed = list(lines)
    zero = Decimal("0.00")
    return Totals(taxable=sum((line.taxable for line in listed), zero), cgst=sum((line.cgst for line in listed), zero),
                  sgst=sum((line.sgst for line in listed), zero), igst=sum((line.igst for line in listed), zero),
                  gross=sum((line.gross for line in listed), zero))


def _value(line: Mapping[str, Any]) -> Decimal:
    return Decimal(str((line.get("price") or {}).get("value", "0")))


def supply_lines(breakup: Sequence[Mapping[str, Any]], rates: Mapping[str, tuple[str, Decimal | None]]
                 ) -> list[SupplyLine]:
    """An ONDC quote breakup as supply lines: each item with its own tax and discount lines folded in, an item with
    nothing left (count 0) left out, then each charge at the principal supply's rate and HSN.

    ``rates`` gives each item's (HSN, rate); an item not in it has neither.
    """
    items: dict[str, SupplyLine] = {}
    charges: list[tuple[str, str, str, Decimal]] = []
    for line in breakup:
        kind, ref = str(line.get("@ondc/org/title_type", "")), str(line.get("@ondc/org/item_id", ""))
        value = _value(line)
        if kind in _ITEM_PARTS:
            found = items.get(ref) or SupplyLine("item", ref, "", None, Decimal("0.00"), *rates.get(ref, ("", None)))
            if kind == "item":
                count = (line.get("@ondc/org/item_quantity") or {}).get("count")
                unit = (line.get("item") or {}).get("price", {}).get("value")
                found = replace(found, title=str(line.get("title") or ref),
                                quantity=int(count) if count is not None else None,
                                unit_price=Decimal(str(unit)) if unit is not None else None)
            items[ref] = replace(found, gross=found.gross + value)
        elif value:
            charges.append((kind, ref, str(line.get("title") or kind), value))
    sold = [line for line in items.values() if line.gross or (line.quantity or 0) > 0]
    principal = max(sold, key=lambda line: line.gross, default=None)  # the first of equals
    hsn, rate = (principal.hsn, principal.rate) if principal is not None else ("", None)
    return [*sold, *(SupplyLine(kind, ref, title, None, value, hsn, rate) for kind, ref, title, value in charges)]


# -- credit notes ------------------------------------------------------------------------------------------------

def booked(invoiced: Sequence[TaxLine], credited: Iterable[Sequence[TaxLine]]) -> list[TaxLine]:
    """What the books say now: each invoice line less what credit notes took from it."""
    taken: dict[LineKey, list[TaxLine]] = {}
    for note in credited:
        for line in note:
            taken.setdefault(line.key, []).append(line)
    out = []
    for line in invoiced:
        less = taken.get(line.key, [])
        quantity = None if line.quantity is None else line.quantity - sum(c.quantity or 0 for c in less)
        out.append(replace(line, quantity=quantity, gross=line.gross - sum(c.gross for c in less),
                           taxable=line.taxable - sum(c.taxable for c in less),
                           cgst=line.cgst - sum(c.cgst for c in less), sgst=line.sgst - sum(c.sgst for c in less),
                           igst=line.igst - sum(c.igst for c in less)))
    return out


def after_return(lines: Sequence[TaxLine], returned: Mapping[str, int]) -> dict[LineKey, tuple[int | None, Decimal]]:
    """What remains of booked lines when ``returned`` ({item id: count}) come back: the same unit price, fewer
    units; charges stay."""
    out: dict[LineKey, tuple[int | None, Decimal]] = {}
    for line in lines:
        back = returned.get(line.ref, 0) if line.kind == "item" else 0
        if back and line.quantity:
            left = max(line.quantity - back, 0)
            out[line.key] = left, money(line.gross * left / line.quantity)
        else:
            out[line.key] = line.quantity, line.gross
    return out


def credit(lines: Sequence[TaxLine], remaining: Mapping[LineKey, tuple[int | None, Decimal]], *,
           intra_state: bool) -> list[TaxLine]:
    """The credit note's lines that take booked ``lines`` down to ``remaining`` ({key: (quantity, gross)}; a line
    not in it is credited in full).

    A partial credit is split on its own, like any line, so the note reads right by itself; a line credited in
    full takes exactly what is left of it, so the invoice less all its notes comes to nought in every column.
    (Should rounding make a partial credit take a paisa more of some tax than is left, what stays is split
    instead and the credit is the difference.)"""
    out = []
    for line in lines:
        quantity, gross = remaining.get(line.key, (0 if line.quantity is not None else None, Decimal("0.00")))
        if gross == line.gross and quantity == line.quantity:
            continue
        count = None if line.quantity is None else line.quantity - (quantity or 0)
        if not gross:
            out.append(replace(line, quantity=count))
            continue
        taken = replace(split_line(SupplyLine(line.kind, line.ref, line.title, count, line.gross - gross, line.hsn,
                                              line.rate), intra_state), unit_price=line.unit_price)
        parts = ("taxable", "cgst", "sgst", "igst")
        if any(getattr(taken, part) > getattr(line, part) for part in parts):
            stay = split_line(SupplyLine(line.kind, line.ref, line.title, quantity, gross, line.hsn, line.rate),
                              intra_state)
            taken = replace(line, quantity=count, gross=line.gross - stay.gross,
                            **{part: getattr(line, part) - getattr(stay, part) for part in parts})
        out.append(taken)
    return out

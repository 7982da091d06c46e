"""Values and rules from ONDC's attribute tables, as ONDC's review checks them (its log-validation-utility).

Copied from the utility's constants (fashionEnum.js, fashion.js); tests/catalog_sync/test_ondc_tables.py compares
them with the utility in ../shared/ondc/validator when node is there, so a newer utility shows what changed.
"""

from __future__ import annotations

from typing import Final

__all__ = ["FASHION_FABRICS", "FASHION_MATERIALS", "SIZE_CHART_REQUIRED", "canonical"]

FASHION_MATERIALS: Final[tuple[str, ...]] = (
    "alpha", "acetate", "acrylic", "acrylonitrile", "aluminium", "battery", "brass", "canvas", "carbon", "cellulose",
    "cork", "cotton", "elastane", "elastodiene", "elastolefin", "ethylene", "EVA", "expanded", "faux leather",
    "foamed", "glass", "grey", "iron", "jute", "leather", "linen", "lycra", "lyocell", "mesh", "modal", "nubuck",
    "nylon", "polyamide", "polycarbonate", "polyester", "polyethylene", "polymethylpentene", "polyoxymethylene",
    "polypropylene", "polyurethane", "polyvinyl", "PU", "PVC", "rayon", "rice", "rubber", "sand", "silicon", "silk",
    "stainless", "steel", "styrene", "suede", "synthetic", "textile", "thermo", "thermoplastic", "tritan", "velvet",
    "viscose", "water", "wood", "wool", "zinc",
)

FASHION_FABRICS: Final[tuple[str, ...]] = (
    "alpha", "acrylic", "art silk", "bamboo", "chambray", "chanderi cotton", "chanderi silk", "chiffon", "cotton",
    "cotton blend", "cotton cambric", "cotton linen", "cotton silk", "crepe", "denim", "dupion silk", "elastane",
    "georgette", "jacquard", "jute", "jute cotton", "jute silk", "khadi cotton", "kora muslin", "lace", "leather",
    "linen", "mulmul", "modal", "net", "nylon", "organza", "paper silk", "pashmina", "poly chiffon", "poly crepe",
    "poly georgette", "poly silk", "polycotton", "polyester", "rayon", "rayon slub", "satin", "shantoon", "silk",
    "silk blend", "soft silk", "super net", "synthetic", "taffeta silk", "tissue", "tussar silk", "velvet",
    "vichitra silk", "viscose", "viscose rayon", "voile", "wool",
)

# Fashion categories of ours whose table makes size_chart mandatory (Caps & Hats: optional).
SIZE_CHART_REQUIRED: Final = frozenset({"Dupattas & Shawls", "Stoles and Scarves", "Mufflers"})

_LOWER: dict[tuple[str, ...], dict[str, str]] = {
    table: {v.lower(): v for v in table} for table in (FASHION_MATERIALS, FASHION_FABRICS)
}


def canonical(value: str, table: tuple[str, ...]) -> str | None:
    """The table's spelling of ``value`` (case-insensitive), or None when the table does not have it."""
    return _LOWER[table].get(value.strip().lower())

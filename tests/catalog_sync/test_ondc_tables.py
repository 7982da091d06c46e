"""Our copy of ONDC's attribute values equals what ONDC's review (its log-validation-utility) checks against."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from catalog_sync.ondc_tables import FASHION_FABRICS, FASHION_MATERIALS, SIZE_CHART_REQUIRED

_DUMP = """
const e = require(process.argv[1] + "/fashionEnum.js");
const f = require(process.argv[1] + "/fashion.js").fashion;
const required = Object.keys(f).filter((k) => f[k].size_chart && f[k].size_chart.mandatory);
console.log(JSON.stringify({material: e.MATERIAL, fabric: e.FABRIC, size_chart_required: required}));
"""


def test_the_copied_tables_match_the_validator(validator: Any) -> None:
    constants = Path(validator.home) / "dist" / "constants"
    out = subprocess.run(["node", "-e", _DUMP, str(constants)], capture_output=True, text=True, check=True)
    theirs = json.loads(out.stdout)
    assert list(FASHION_MATERIALS) == theirs["material"]
    assert list(FASHION_FABRICS) == theirs["fabric"]
    ours = {"Dupattas & Shawls", "Stoles and Scarves", "Mufflers", "Caps & Hats"}
    assert ours & set(theirs["size_chart_required"]) == SIZE_CHART_REQUIRED

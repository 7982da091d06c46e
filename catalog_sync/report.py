"""The result of validating a catalogue upload: items, or every error found, in plain language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog_sync.model import Item

__all__ = ["RowError", "ValidationReport", "render_report_text"]


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem: the spreadsheet row (header = 1), the column, the cell's text and what to do."""

    row: int
    column: str
    value: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {"row": self.row, "column": self.column, "value": self.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """Items (empty when there is any error), errors and warnings (warnings never block an upload)."""

    items: tuple[Item, ...]
    errors: tuple[RowError, ...]
    warnings: tuple[RowError, ...] = ()
    # The spreadsheet row of each item, in the same order (empty when the items did not come from a file).
    rows: tuple[int, ...] = ()
    # {item id: the stock ledger position its stock figure is as of}, for rows of a downloaded file.
    marks: dict[str, int] = field(default_factory=dict)

    def item_rows(self) -> dict[str, int]:
        """{item id: its row in the file}."""
        return {item.id: row for item, row in zip(self.items, self.rows, strict=False)}

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON report (without the items themselves)."""
        return {
            "ok": self.ok,
            "item_count": len(self.items),
            "error_count": len(self.errors),
            "errors": [e.to_dict() for e in self.errors],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _line(kind: str, err: RowError) -> str:
    where = f"row {err.row}" + (f", column {err.column}" if err.column else "")
    shown = f" (you wrote '{err.value}')" if err.value else ""
    return f"  {kind} {where}: {err.message}{shown}"


def render_report_text(report: ValidationReport, *, limit: int = 200) -> str:
    """Return a plain-text report for a terminal or an e-mail, listing at most ``limit`` problems."""
    lines: list[str] = []
    if report.ok:
        lines.append(f"OK: {len(report.items)} item(s) are ready to publish.")
    else:
        rows = len({e.row for e in report.errors})
        lines.append(
            f"Found {len(report.errors)} problem(s) in {rows} row(s). Nothing was imported; "
            f"fix these and upload the whole file again."
        )
        lines.extend(_line("error", e) for e in report.errors[:limit])
        if len(report.errors) > limit:
            lines.append(f"  ... and {len(report.errors) - limit} more")
    if report.warnings:
        lines.append(f"{len(report.warnings)} warning(s) (these do not stop the upload):")
        lines.extend(_line("warning", w) for w in report.warnings[:limit])
    return "\n".join(lines) + "\n"

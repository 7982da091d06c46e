"""Errors raised by the catalogue core.

Exception tree::

    CatalogueError                 base class; ``str(err)`` is a plain-language message
    ├── IngestError                the uploaded file cannot be read at all (too big, binary, no header, ...)
    ├── UnknownCategoryError       a category_id that is not one of the supported ONDC categories
    ├── ProfileError               the cooperative profile is invalid; ``.errors`` lists (field path, message)
    ├── IntentError                an unreadable search intent; ``.path`` is the JSON path
    └── MappingError               the catalogue cannot be rendered (one item exceeds the size budget)

Row-level problems in a catalogue are not exceptions: ``validate.validate_rows`` returns them all in a report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class CatalogueError(Exception):
    """Base class of every error raised by ``catalog_sync``."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IngestError(CatalogueError):
    """The uploaded file could not be parsed into rows."""


class UnknownCategoryError(CatalogueError):
    """A category id that the adapter does not support."""

    def __init__(self, category: str, valid: Iterable[str]) -> None:
        self.category = category
        self.valid = tuple(valid)
        super().__init__(
            f"category '{category}' is not an ONDC category; use one of: {', '.join(self.valid)}"
        )


class ProfileError(CatalogueError):
    """The cooperative profile is invalid."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = tuple(errors)
        lines = "; ".join(f"{path}: {msg}" for path, msg in self.errors)
        super().__init__(f"the cooperative profile has {len(self.errors)} problem(s): {lines}")


class IntentError(CatalogueError):
    """A search intent that cannot be understood."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class MappingError(CatalogueError):
    """The catalogue cannot be rendered as on_search."""

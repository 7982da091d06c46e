"""Fetching a cooperative's catalogue from its URL, with conditional requests."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from adapter.delivery.http import HttpClient, TransportError
from adapter.delivery.urls import UnsafeUrlError, validate_callback_url
from adapter.store.models import CatalogueSource


class SourceUnreachableError(Exception):
    """The source could not be fetched right now (network, timeout, 5xx, 429): worth retrying."""


class SourceRejectedError(Exception):
    """The source answered with something we cannot use (4xx, too large, unsafe URL): retrying won't help."""


@dataclass(frozen=True)
class Fetched:
    """A fetch result: None data means "not modified since last time"."""

    data: bytes | None
    filename: str
    etag: str | None
    last_modified: str | None


def fetch_source(source: CatalogueSource, http: HttpClient, *, max_bytes: int, allow_private: bool) -> Fetched:
    """GET the source with If-None-Match / If-Modified-Since; classify failures as retryable or not."""
    try:
        validate_callback_url(source.url, allow_private=allow_private, require_https=False)
    except UnsafeUrlError as error:
        raise SourceRejectedError(f"the source URL is not allowed: {error}") from error
    headers = {"Accept": "text/csv, application/json, application/vnd.openxmlformats-officedocument."
                         "spreadsheetml.sheet;q=0.9, */*;q=0.5"}
    if source.etag:
        headers["If-None-Match"] = source.etag
    if source.last_modified:
        headers["If-Modified-Since"] = source.last_modified
    try:
        result = http.get(source.url, headers)
    except TransportError as error:
        raise SourceUnreachableError(f"{error.kind}: {error}") from error
    filename = _filename(source.url, result.headers.get("Content-Type", ""))
    if result.status_code == 304:
        return Fetched(None, filename, source.etag, source.last_modified)
    if result.status_code == 429 or result.status_code >= 500:
        raise SourceUnreachableError(f"the source answered HTTP {result.status_code}")
    if result.status_code != 200:
        raise SourceRejectedError(f"the source answered HTTP {result.status_code}")
    if len(result.body) > max_bytes:
        raise SourceRejectedError(f"the source is larger than {max_bytes} bytes")
    return Fetched(result.body, filename, result.headers.get("ETag"), result.headers.get("Last-Modified"))


def _filename(url: str, content_type: str) -> str:
    """A file name whose extension tells the parser the format (from the URL, else the content type)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1] or "catalogue"
    if name.lower().endswith((".csv", ".xlsx", ".json")):
        return name
    kind = content_type.split(";")[0].strip().lower()
    extension = {"application/json": ".json",
                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}.get(kind, ".csv")
    return name + extension

"""The one outbound HTTP client: a `requests.Session` with explicit timeouts that POSTs exact bytes.

Errors::

    Exception
     └── TransportError   no HTTP response: kind 'timeout' | 'connection' | 'other'
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

import requests

__all__ = ["MAX_RESPONSE_BYTES", "HttpClient", "HttpResult", "TransportError", "TransportKind"]

MAX_RESPONSE_BYTES = 64 * 1024
TransportKind = Literal["timeout", "connection", "other"]


@dataclass(frozen=True)
class HttpResult:
    """What came back: the status, the body (up to the client's limit), how long it took, and the headers."""

    status_code: int
    body: bytes
    elapsed_ms: int
    headers: dict[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """The POST got no HTTP response (timeout, refused/reset connection, TLS failure, bad request setup)."""

    def __init__(self, kind: TransportKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: TransportKind = kind
        self.message = message


class HttpClient:
    """POSTs (and GETs) through one pooled session; never follows redirects, never reads the environment."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        user_agent: str = "odop-ondc-adapter",
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        session: requests.Session | None = None,
    ) -> None:
        if connect_timeout <= 0 or read_timeout <= 0:
            raise ValueError("timeouts must be positive")
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_response_bytes = max_response_bytes
        self._session = session or requests.Session()
        # No proxies or .netrc credentials picked up from the environment for buyer-controlled URLs.
        self._session.trust_env = False
        self._user_agent = user_agent

    @property
    def total_timeout(self) -> float:
        """The longest one POST can take before we give up on it."""
        return self.connect_timeout + self.read_timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
        """POST exactly ``body`` to ``url``; return the response or raise `TransportError`."""
        if not isinstance(body, bytes):
            raise TypeError("body must be bytes: we sign and send the exact stored bytes")
        return self._request("POST", url, body, {"Content-Type": "application/json"} | headers)

    def get(self, url: str, headers: dict[str, str] | None = None) -> HttpResult:
        """GET ``url`` (health checks and the like); same timeouts, limits and errors as `post`."""
        return self._request("GET", url, None, headers or {})

    def send(self, method: str, url: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> HttpResult:
        """Any method (the operator API's PATCH and the like); same timeouts, limits and errors as `post`."""
        return self._request(method, url, body, headers or {})

    def _request(self, method: str, url: str, body: bytes | None, headers: dict[str, str]) -> HttpResult:
        sent_headers = {"User-Agent": self._user_agent} | headers
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                url,
                data=body,
                headers=sent_headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
            )
            try:
                content = self._read(response, started)
            finally:
                response.close()
        except requests.Timeout as error:  # ConnectTimeout and ReadTimeout (before ConnectionError: both)
            raise TransportError("timeout", _describe(error)) from error
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            # urllib3 reports a read timeout while streaming the body as a ConnectionError.
            kind: TransportKind = "timeout" if "timed out" in str(error).lower() else "connection"
            raise TransportError(kind, _describe(error)) from error
        except requests.RequestException as error:
            raise TransportError("other", _describe(error)) from error
        elapsed_ms = int((time.monotonic() - started) * 1000)
        return HttpResult(status_code=response.status_code, body=content, elapsed_ms=elapsed_ms,
                          headers=dict(response.headers))

    def _read(self, response: requests.Response, started: float) -> bytes:
        # Stream so a huge or endless answer costs at most max_response_bytes and total_timeout.
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(chunk_size=8192):
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.max_response_bytes:
                break
            if time.monotonic() - started > self.total_timeout:
                raise requests.Timeout("response body took longer than the total timeout")
        return b"".join(chunks)[: self.max_response_bytes]

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text[:500]

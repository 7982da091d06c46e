from collections.abc import Iterator

import pytest
import requests
import responses

from adapter.delivery.http import MAX_RESPONSE_BYTES, HttpClient, TransportError

URL = "https://buyer.example/on_search"


@pytest.fixture
def http() -> Iterator[HttpClient]:
    with HttpClient(connect_timeout=1.5, read_timeout=4.0) as client:
        yield client


@responses.activate
def test_post_sends_exact_bytes_with_timeouts_and_headers(http: HttpClient) -> None:
    body = b'{"context":{"b":1,  "a":"\xe0\xa4\x95"}}'
    responses.post(URL, body=b'{"message":{"ack":{"status":"ACK"}}}', status=200)
    result = http.post(URL, body, {"Authorization": "Signature x"})
    assert result.status_code == 200
    assert result.body == b'{"message":{"ack":{"status":"ACK"}}}'
    assert result.elapsed_ms >= 0
    call = responses.calls[0]
    assert call.request.body == body
    assert call.request.headers["Authorization"] == "Signature x"
    assert call.request.headers["Content-Type"] == "application/json"
    assert call.request.req_kwargs["timeout"] == (1.5, 4.0)  # type: ignore[attr-defined]  # set by responses


@responses.activate
def test_redirects_are_not_followed(http: HttpClient) -> None:
    responses.post(URL, status=307, headers={"Location": "http://127.0.0.1/internal"})
    responses.post("http://127.0.0.1/internal", body=b"must not be reached")
    result = http.post(URL, b"{}", {})
    assert result.status_code == 307
    assert [call.request.url for call in responses.calls] == [URL]


@responses.activate
def test_response_body_is_truncated(http: HttpClient) -> None:
    responses.post(URL, body=b"x" * (MAX_RESPONSE_BYTES * 3), status=500)
    result = http.post(URL, b"{}", {})
    assert result.status_code == 500
    assert len(result.body) == MAX_RESPONSE_BYTES


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (requests.ConnectTimeout("connect timed out"), "timeout"),
        (requests.ReadTimeout("read timed out"), "timeout"),
        (requests.ConnectionError("connection refused"), "connection"),
        (requests.exceptions.SSLError("certificate verify failed"), "connection"),
        (requests.exceptions.ChunkedEncodingError("reset mid-body"), "connection"),
        (requests.exceptions.InvalidHeader("bad header"), "other"),
    ],
)
@responses.activate
def test_network_failures_become_transport_errors(http: HttpClient, error: Exception, kind: str) -> None:
    responses.post(URL, body=error)
    with pytest.raises(TransportError) as info:
        http.post(URL, b"{}", {})
    assert info.value.kind == kind
    assert str(error) in info.value.message


def test_body_must_be_bytes(http: HttpClient) -> None:
    with pytest.raises(TypeError, match="bytes"):
        http.post(URL, "{}", {})  # type: ignore[arg-type]


def test_timeouts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        HttpClient(connect_timeout=0, read_timeout=1)


def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = HttpClient(connect_timeout=1, read_timeout=1)
    with responses.RequestsMock() as mock:
        mock.post(URL, body=b"ok")
        assert client.post(URL, b"{}", {}).status_code == 200
    client.close()


@responses.activate
def test_get_shares_the_timeouts_and_errors(http: HttpClient) -> None:
    responses.get("https://seller.example/healthz", body=b"ok")
    responses.get("https://seller.example/down", body=requests.ConnectionError("refused"))
    result = http.get("https://seller.example/healthz")
    assert (result.status_code, result.body) == (200, b"ok")
    assert responses.calls[0].request.req_kwargs["timeout"] == (1.5, 4.0)  # type: ignore[attr-defined]
    with pytest.raises(TransportError) as info:
        http.get("https://seller.example/down")
    assert info.value.kind == "connection"

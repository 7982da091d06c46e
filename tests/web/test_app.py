import io
import json
import logging

from flask.testing import FlaskClient


def test_healthz(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_every_response_has_a_request_id(client: FlaskClient) -> None:
    generated = client.get("/healthz").headers["X-Request-ID"]
    assert len(generated) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    # A hostile id is replaced, not echoed.
    assert client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"


def test_unknown_route_and_method_are_json(client: FlaskClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong = client.delete("/healthz")
    assert wrong.status_code == 405
    assert wrong.json["error"]["code"] == "method_not_allowed"


def test_oversized_body_is_413_json(client: FlaskClient, admin_headers: dict, settings) -> None:
    response = client.post("/api/v1/cooperatives", data=b"x" * (settings.max_request_bytes + 1),
                           headers=admin_headers, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"


def test_request_log_line_is_json_with_request_id(client: FlaskClient) -> None:
    from config.logging import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("adapter.web")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/cooperatives", headers={"X-Request-ID": "req-42", "Authorization": "Bearer sekret"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)  # the level is the root's again for the tests that follow
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["request_id"] == "req-42"
    assert line["status"] == 401
    assert line["path"] == "/api/v1/cooperatives"
    assert "sekret" not in stream.getvalue()


def test_metrics_count_requests_by_endpoint_and_status(client: FlaskClient) -> None:
    def count() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        for line in text.splitlines():
            if line.startswith('odop_http_requests_total{endpoint="/healthz",method="GET",status="200"}'):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = count()
    for _ in range(3):
        client.get("/healthz")
    assert count() == before + 3
    assert "odop_http_request_duration_seconds_bucket" in client.get("/metrics").get_data(as_text=True)


def test_metrics_include_outbox_depth_and_catalogue_size(client: FlaskClient) -> None:
    text = client.get("/metrics").get_data(as_text=True)
    assert 'odop_outbox_messages{status="dead"} 0.0' in text
    assert 'odop_outbox_messages{status="pending"} 0.0' in text
    assert "# TYPE odop_catalogue_items gauge" in text

"""The request log line: `log_line` writes what ``logger.info(message, extra=fields)`` writes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from config.logging import JsonFormatter, log_line, request_id_var


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("odop.test.log_line")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    token = request_id_var.set("req-7")
    try:
        yield stream
    finally:
        request_id_var.reset(token)
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)


def test_log_line_writes_the_line_logger_info_writes(lines: io.StringIO) -> None:
    logger = logging.getLogger("odop.test.log_line")
    fields = {"method": "POST", "path": "/ondc/search", "status": 200, "duration_ms": 0.31, "bap_id": "b.example",
              "answer": {"ack": "ACK"}, "count": 2**70}
    logger.info("request", extra=fields)
    log_line(logger, "request", fields)
    first, second = (json.loads(line) for line in lines.getvalue().splitlines())
    assert first.pop("ts") <= second.pop("ts")
    assert first == second
    assert list(first) == ["level", "logger", "message", "request_id", "method", "path", "status", "duration_ms",
                           "bap_id", "answer", "count"]
    assert second["request_id"] == "req-7"


def test_log_line_keeps_to_the_level_and_to_the_reserved_names(lines: io.StringIO) -> None:
    logger = logging.getLogger("odop.test.log_line")
    logger.setLevel(logging.WARNING)
    log_line(logger, "request", {"status": 200})
    assert lines.getvalue() == ""
    log_line(logger, "refused", {"status": 503}, level=logging.WARNING)
    assert json.loads(lines.getvalue())["level"] == "WARNING"
    with pytest.raises(KeyError):  # as with logger.warning(extra=...): a field may not overwrite the record's own
        log_line(logger, "request", {"message": "spoofed"}, level=logging.WARNING)

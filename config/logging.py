"""JSON-lines logging, with the current request id (or task id) on every record."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import sys
from typing import Any

import orjson

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        try:  # orjson: a line per request on the ACK path, so the cheap encoder first
            return orjson.dumps(entry, default=str).decode("utf-8")
        except TypeError:  # what orjson refuses (an integer past 64 bits, a dict with non-string keys)
            return json.dumps(entry, default=str, ensure_ascii=False)


def log_line(logger: logging.Logger, message: str, fields: dict[str, Any], level: int = logging.INFO) -> None:
    """``logger.log(level, message, extra=fields)`` without the caller lookup (a walk up the stack), for the line
    logged on every request: the record has no pathname, lineno or funcName, which neither format shows."""
    if logger.isEnabledFor(level):
        logger.handle(logger.makeRecord(logger.name, level, "(unknown file)", 0, message, (), None,
                                        "(unknown function)", fields))


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Send the root logger to stderr as JSON lines (or plain text for local debugging)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)

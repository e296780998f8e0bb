"""Logs from start-up: every unhandled error with its traceback and the request id.

JSON lines in production, plain lines elsewhere; to stderr, or to LOG_FILE when it is set."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

LOGGERS = ("induction", "flask.app")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_request_fields())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _request_fields().items())
        record.request = f" [{fields}]" if fields else ""
        return super().format(record)


def _request_fields() -> dict[str, str]:
    if not has_request_context():
        return {}
    return {"request_id": g.get("request_id", ""), "method": request.method, "path": request.path}


def init_app(app: Flask) -> None:
    path = app.config.get("LOG_FILE")
    handler: logging.Handler = logging.FileHandler(path) if path else logging.StreamHandler()
    if app.config["ENV"] == "production":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s"))
    handler.induction_handler = True  # type: ignore[attr-defined]  # so a second create_app replaces it
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "induction_handler", False)]:
            logger.removeHandler(old)
            old.close()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # In production these lines are the log; elsewhere they also reach pytest's capture.
        logger.propagate = app.config["ENV"] != "production"

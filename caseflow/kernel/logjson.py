"""Structured logs: one JSON object a line, carrying the request id of the web request (or the
job) that wrote it. Like every log line of caseflow it names users, cases and jobs by id only
(the database errors' values are dropped by caseflow.db.logsafe before a formatter sees them)."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

# The id of the request (or background job) this thread is working for; None outside one.
request_id: ContextVar[str | None] = ContextVar("caseflow_request_id", default=None)
# Extra attributes a log call may pass (`extra={"status": 200}`) that belong in the object.
FIELDS = ("method", "path", "status", "duration_ms", "user_id", "case_id", "job_id", "worker")


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "message", "request_id", …, "exc"}` per record."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # Set on the record by the handler's RequestIdFilter or the caller's `extra`, when the
        # line was written; the context variable otherwise (a formatter may run later).
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid and rid != "-":
            data["request_id"] = rid
        for name in FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:  # a redacting filter may have set it already
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data["exc"] = record.exc_text
        return json.dumps(data, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Text logs carry the request id too (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True

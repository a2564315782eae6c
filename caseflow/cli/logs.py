"""How every caseflow process logs: text or JSON lines (the configured `log_format`), with the
request id, through the filter that drops the values a database error quotes."""

from __future__ import annotations

import logging
import sys

from caseflow.db.logsafe import redact_handlers
from caseflow.kernel.logjson import JsonFormatter, RequestIdFilter
from caseflow.kernel.settings import load_settings

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure_logging(level: int, log_format: str | None = None) -> None:
    """Replace the root logger's handlers with one on stderr in the configured format."""
    log_format = log_format or load_settings().log_format
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    logging.basicConfig(level=level, handlers=[handler], force=True)
    redact_handlers(logging.getLogger())

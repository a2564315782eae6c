"""Log lines without personal data: database errors are told by their statement, not its values.

SQLAlchemy's `hide_parameters` keeps bound values out of its own messages, but the database's
reason can quote them too (PostgreSQL's "DETAIL: Failing row contains (…, 王大明, …)"). The
filter rewrites such an error's text on every handler it is attached to.
"""

from __future__ import annotations

import logging
import traceback

from sqlalchemy.exc import StatementError


def safe_text(exc: BaseException) -> str:
    """The exception as one line a log may keep: for a statement, the database's first line."""
    if isinstance(exc, StatementError):
        orig = exc.orig
        reason = str(orig).splitlines()[0] if orig is not None and str(orig) else ""
        kind = type(orig).__name__ if orig is not None else type(exc).__name__
        return f"{type(exc).__name__}: ({kind}) {reason} [SQL: {exc.statement}]"
    return f"{type(exc).__name__}: {exc}"


class RedactingFilter(logging.Filter):
    """Replaces a logged database error's text (traceback kept, values dropped)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, StatementError):
            frames = "".join(traceback.format_tb(exc.__traceback__))
            record.exc_text = f"Traceback (most recent call last):\n{frames}{safe_text(exc)}"
        return True


def redact_handlers(logger: logging.Logger) -> None:
    """Attach the filter to every handler of `logger` (the root logger once it is configured)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

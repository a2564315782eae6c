"""What a database failure means for the person who caused it, without the caller knowing the
driver's exception types: the database is busy, down, or refused a value it cannot store."""

from __future__ import annotations

import sqlite3
from enum import Enum

from sqlalchemy.exc import DataError, OperationalError, StatementError

from caseflow.kernel.errors import DatabaseBusy


class Failure(Enum):
    BUSY = "busy"  # SQLite's write lock stayed taken longer than the busy timeout
    UNAVAILABLE = "unavailable"  # the server cannot be reached or went away
    OUT_OF_RANGE = "out_of_range"  # a number or text the column cannot hold


def database_failure(exc: BaseException) -> Failure | None:
    """The kind of database failure `exc` is, or None when it is none of ours to explain."""
    if isinstance(exc, DatabaseBusy):
        return Failure.BUSY
    if isinstance(exc, OverflowError):  # sqlite3 refuses a Python int beyond 64 bits
        return Failure.OUT_OF_RANGE
    cause = exc.orig if isinstance(exc, StatementError) else None
    if isinstance(exc, DataError) or isinstance(cause, OverflowError):
        return Failure.OUT_OF_RANGE
    if isinstance(exc, OperationalError | sqlite3.OperationalError):
        return Failure.BUSY if "database is locked" in str(exc).lower() else Failure.UNAVAILABLE
    return None

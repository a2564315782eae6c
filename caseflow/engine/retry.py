"""Bounded retry of a unit of work that lost the database to other writers.

Only for units that are whole on their own (they read what they need inside the unit and hold
nothing the caller loaded): a busy database rolled the unit back, so running it again is safe.
Business conflicts (a stale version, a claim taken) are not retried: someone else won.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from caseflow.kernel.errors import DatabaseBusy

log = logging.getLogger(__name__)

T = TypeVar("T")

ATTEMPTS = 3
FIRST_PAUSE_SECONDS = 0.05


def retry_when_busy(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """`work()`, run again (after a short, growing pause) while it fails with DatabaseBusy; the
    last failure is raised."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DatabaseBusy:
            if attempt == attempts:
                raise
            log.info("database busy, attempt %d of %d", attempt, attempts)
            time.sleep(FIRST_PAUSE_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")

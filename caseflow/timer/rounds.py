"""The timer's round: everything that happens because time passed, in one function.

First of a day, the board's counters are folded for it (a failure is logged and retried next
round: boards count live meanwhile, and the deadlines must still be swept); then the sweep climbs
the escalation ladder of due deadlines, fires expiry transitions, escalates missed campaign
stages, opens the periodic reviews that fell due and ends the care of children who turned 18.
The in-process scheduler and `caseflow tick` both run exactly this.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from caseflow.read.board_counts import daily_roll
from caseflow.timer.sweep import SweepReport, sweep

log = logging.getLogger(__name__)


def run_round(factory: sessionmaker[Session], now: datetime) -> tuple[SweepReport, str | None]:
    """One round of the timer; the sweep's report, and why the daily roll failed (if it did)."""
    roll_error = None
    try:
        daily_roll(factory, now)
    except Exception as exc:  # boards count live meanwhile; the deadlines must still be swept
        log.exception("daily board roll failed; retried next round")
        roll_error = str(exc)
    return sweep(factory, now), roll_error

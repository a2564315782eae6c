"""The in-process sweep for the server: a daemon thread, and a database lease so that only one
server instance sweeps at a time (cron may still run `caseflow tick`; both are safe together)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from caseflow.db.models import Lease
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.errors import ConcurrencyConflict
from caseflow.kernel.timeutil import utcnow
from caseflow.timer.rounds import run_round

log = logging.getLogger(__name__)
SWEEP_LEASE = "sweep"


def acquire_lease(session: Session, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
    """Take or renew the lease `name` for `holder`; False while someone else holds it."""
    expires = now + ttl
    with UnitOfWork(session) as uow:
        taken = session.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at < now))
            .values(holder=holder, expires_at=expires)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            uow.commit()
            return True
    try:  # no row taken: the first round ever, or another instance holds it
        with UnitOfWork(session) as uow:
            session.add(Lease(name=name, holder=holder, expires_at=expires))
            uow.commit()
        return True
    except ConcurrencyConflict:  # the lease row exists and is held by another instance
        return False


class SweepScheduler:
    """Runs `sweep` every `interval` seconds while this instance holds the lease."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        interval: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.factory = factory
        self.interval = interval
        self.clock = clock
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """One round: sweep if the lease is ours. True when this instance swept."""
        now = self.clock()
        with self.factory() as session:
            ttl = timedelta(seconds=self.interval * 3)
            if not acquire_lease(session, SWEEP_LEASE, self.holder, now, ttl):
                return False
        report, _roll_error = run_round(self.factory, now)  # logged where it failed
        if report.levels_reached or report.expiry_fired or report.failed:
            log.info("sweep: %s", report.summary_zh())
        return True

    def start(self) -> None:
        """Start the daemon thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="caseflow-sweep", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to finish after its current round."""
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the server must outlive a failed round
                log.exception("sweep round failed")
            self._stop.wait(self.interval)

"""The background worker: claims queued jobs from the database and runs them — as
`caseflow worker` beside or apart from the web servers (any number of them: a job is claimed by
exactly one), or as a thread of the server that queued a job when it runs its own work
(`in_process_worker`)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from caseflow.kernel.logjson import request_id
from caseflow.kernel.timeutil import utcnow
from caseflow.ledger.background import run_claimed
from caseflow.ledger.jobs import JobStore

log = logging.getLogger("caseflow.worker")


def worker_name() -> str:
    """host:pid, the claim's holder (a stuck job names the process that took it)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_cache_dir(upload_folder: str | None) -> Path:
    """Where a process keeps local copies of job files: beside the upload folder."""
    return Path(upload_folder or Path("instance") / "attachments").parent / "ledger_jobs"


class Worker:
    """Claims one queued job at a time and runs it to its end."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        store: JobStore,
        clock: Callable[[], datetime] = utcnow,
        name: str | None = None,
    ) -> None:
        self.factory = factory
        self.store = store
        self.clock = clock
        self.name = name or worker_name()
        self._stop = threading.Event()

    def run_once(self, token: str | None = None) -> bool:
        """Claim and run one job (the queued job `token`, else the oldest); False when the queue
        had none to give."""
        claimed = self.store.claim_next(self.name, self.clock(), token)
        if claimed is None:
            return False
        marker = request_id.set(f"job-{claimed.token[:12]}")  # log lines name the job
        try:
            log.info("job %s: %s started", claimed.token[:12], claimed.task)
            run_claimed(self.factory, self.store, claimed, self.clock)
            log.info("job %s: %s finished", claimed.token[:12], claimed.task)
        finally:
            request_id.reset(marker)
        return True

    def run(self, poll_seconds: float = 2.0, once: bool = False) -> int:
        """Work until stopped (or, with `once`, until the queue is empty); how many jobs ran."""
        ran = 0
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:  # the worker outlives a failed claim (the database was away)
                log.exception("worker round failed")
                worked = False
            ran += worked
            if once and not worked:
                break
            if not worked:
                self._stop.wait(poll_seconds)
        return ran

    def stop(self) -> None:
        self._stop.set()

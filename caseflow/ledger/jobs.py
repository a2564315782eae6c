"""An upload on its way through the web pages (uploaded → validated → imported), or a comparison
run started there (comparing → compared), kept as a small JSON file (beside the uploaded file)
under the instance folder.

Why files and not a table: the import itself is one database transaction that nobody else can see
until it commits, so its progress must live outside it; the job folder also holds the upload and its
report, and is thrown away with them. A job belongs to the user who uploaded it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

UPLOADED = "uploaded"
VALIDATING = "validating"
VALIDATED = "validated"
IMPORTING = "importing"
IMPORTED = "imported"
FAILED = "failed"
CANCELLED = "cancelled"
# A comparison run started from the web is a job too (no file: kind COMPARISON_JOB).
COMPARING = "comparing"
COMPARED = "compared"
COMPARISON_JOB = "comparison"
RUNNING = frozenset({VALIDATING, IMPORTING, COMPARING})
PHASE_LABELS = {
    UPLOADED: "待确认列对应",
    VALIDATING: "正在校验",
    VALIDATED: "校验完成，待确认导入",
    IMPORTING: "正在导入",
    IMPORTED: "已导入",
    FAILED: "失败",
    CANCELLED: "已取消",
    COMPARING: "正在比对",
    COMPARED: "比对完成",
}
# A running job whose worker has not beaten for this long died with its process (nothing was
# imported: the import commits once, at the end). The worker beats every HEARTBEAT_EVERY, however
# long a batch of rows takes, so a minute without a beat means it is gone.
STALE_AFTER = timedelta(seconds=60)
HEARTBEAT_EVERY = timedelta(seconds=10)
HEARTBEAT_FILE = "heartbeat"
INTERRUPTED_LABELS = {
    VALIDATING: "校验已中断",
    IMPORTING: "导入已中断",
    COMPARING: "比对已中断",
}
# Uploads nobody finished (or finished long ago) are deleted after this long.
KEEP_FOR = timedelta(days=7)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_LOCK = threading.Lock()


@dataclass
class Job:
    """The state of one upload."""

    token: str
    user_id: int
    kind: str
    file_name: str  # as uploaded, for display
    suffix: str  # .csv | .xlsx
    created_at: str  # ISO, aware
    updated_at: str
    phase: str = UPLOADED
    header_row: int = 0
    headers: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # header text → field ("" = ignore)
    preset_name: str = ""
    rows_estimate: int = 0
    rows_done: int = 0
    rows_total: int = 0
    rows_invalid: int = 0
    errors: int = 0
    notices: int = 0
    import_id: int | None = None
    import_status: str = ""
    message: str = ""
    run_id: int | None = None  # the comparison run a COMPARISON_JOB stored
    heartbeat_at: str = ""  # ISO, aware: the worker's last beat (read from its own file)

    @property
    def running(self) -> bool:
        """Validation or import in progress."""
        return self.phase in RUNNING

    def percent(self) -> int:
        """Progress of the running phase, 0–100 (99 until the phase has finished)."""
        if not self.running:
            return 100 if self.phase in (VALIDATED, IMPORTED, COMPARED) else 0
        if self.rows_estimate <= 0:
            return 0
        return min(99, self.rows_done * 100 // self.rows_estimate)

    def stale(self, now: datetime) -> bool:
        """True when a running job's worker stopped beating and reporting (its process died)."""
        if not self.running:
            return False
        last = datetime.fromisoformat(self.updated_at)
        if self.heartbeat_at:
            last = max(last, datetime.fromisoformat(self.heartbeat_at))
        return now - last > STALE_AFTER

    def interrupted_label(self) -> str:
        """ "导入已中断" and the like, for a stale job."""
        return INTERRUPTED_LABELS.get(self.phase, "处理已中断")


class JobNotFound(LookupError):
    """No such job for this user."""


class JobStore:
    """Job folders under one root: <root>/<token>/{job.json, source.<ext>, report.jsonl}."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def folder(self, token: str) -> Path:
        """The job's folder (the token is checked: no path tricks)."""
        if not _TOKEN.match(token):
            raise JobNotFound(token)
        return self.root / token

    def source(self, job: Job) -> Path:
        """The uploaded file."""
        return self.folder(job.token) / f"source{job.suffix}"

    def report_lines(self, job: Job) -> Path:
        """The validation report, one JSON object per line."""
        return self.folder(job.token) / "report.jsonl"

    def create(self, user_id: int, kind: str, file_name: str, suffix: str, now: datetime) -> Job:
        """A new, empty job folder."""
        token = secrets.token_hex(16)
        stamp = now.isoformat()
        job = Job(token, user_id, kind, file_name, suffix, stamp, stamp)
        self.folder(token).mkdir(parents=True, exist_ok=False)
        self.save(job)
        return job

    def save(self, job: Job) -> None:
        """Write the state atomically (a reader never sees half a file)."""
        folder = self.folder(job.token)
        text = json.dumps(asdict(job), ensure_ascii=False)
        with _LOCK:
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".job-")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, folder / "job.json")

    def load(self, token: str, user_id: int | None = None) -> Job:
        """The job; JobNotFound when missing or (with `user_id`) someone else's."""
        path = self.folder(token) / "job.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise JobNotFound(token) from None
        known = {f.name for f in fields(Job)}
        job = Job(**{k: v for k, v in data.items() if k in known})
        # The beat lives in a file of its own: a beat never overwrites a state change.
        with contextlib.suppress(OSError):
            job.heartbeat_at = (self.folder(token) / HEARTBEAT_FILE).read_text(encoding="utf-8")
        if user_id is not None and job.user_id != user_id:
            raise JobNotFound(token)
        return job

    def update(self, token: str, now: datetime, **changes: Any) -> Job:
        """Load, change, stamp and save."""
        job = self.load(token)
        for key, value in changes.items():
            setattr(job, key, value)
        job.updated_at = now.isoformat()
        self.save(job)
        return job

    def beat(self, token: str, now: datetime) -> None:
        """The worker is alive (atomically: a reader never sees half a time stamp)."""
        folder = self.folder(token)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".beat-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(now.isoformat())
        os.replace(tmp, folder / HEARTBEAT_FILE)

    def discard_files(self, job: Job) -> None:
        """Remove the upload and its report (the job's state file stays, for the record)."""
        folder = self.folder(job.token)
        for child in folder.iterdir():
            if child.name not in ("job.json", HEARTBEAT_FILE):
                if child.is_dir():
                    shutil.rmtree(child, ignore_errors=True)
                else:
                    child.unlink(missing_ok=True)

    def claim(self, job: Job, step: str) -> bool:
        """True exactly once per job and step: a double click never starts two imports."""
        try:
            fd = os.open(self.folder(job.token) / f".{step}.claimed", os.O_CREAT | os.O_EXCL)
        except FileExistsError:
            return False
        os.close(fd)
        return True

    def prune(self, now: datetime, older_than: timedelta = KEEP_FOR) -> int:
        """Delete job folders untouched for `older_than` (abandoned uploads); how many went."""
        if not self.root.exists():
            return 0
        gone = 0
        for folder in self.root.iterdir():
            try:
                job = self.load(folder.name)
            except JobNotFound:
                continue
            if not job.running and now - datetime.fromisoformat(job.updated_at) > older_than:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        return gone

    def recent(self, user_id: int, limit: int = 10) -> list[Job]:
        """The user's latest jobs, newest first."""
        if not self.root.exists():
            return []
        found: list[Job] = []
        for folder in self.root.iterdir():
            try:
                job = self.load(folder.name, user_id)
            except JobNotFound:
                continue
            found.append(job)
        found.sort(key=lambda j: j.created_at, reverse=True)
        return found[:limit]

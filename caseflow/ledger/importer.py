"""Import one roster file in ONE transaction: the whole file, or exactly its valid rows, or nothing.

A crash or a kill halfway leaves no partial import: rows are inserted in batches inside the open
transaction, and only the final commit makes any of them visible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from caseflow.db.models import OrgUnit, RosterImport
from caseflow.engine.audit import append_admin_event
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.actors import Actor
from caseflow.kernel.idnumber import mask_ids
from caseflow.kernel.timeutil import require_aware, to_local
from caseflow.ledger.bulk import insert_roster_rows, prepare_bulk
from caseflow.ledger.columns import PRESETS, ColumnPreset, HeaderNotFound
from caseflow.ledger.kinds import KIND_LABELS
from caseflow.ledger.reader import UnreadableFile, read_cells
from caseflow.ledger.validate import (
    ERROR,
    ROW_COLUMNS,
    ReportEntry,
    RowValidator,
    StoredRow,
    header_findings,
)

Progress = Callable[[int], None]
COMPLETE = "complete"
VALID_ROWS_ONLY = "valid_rows_only"
REJECTED = "rejected"
NO_DATA_ROWS = "表头以下没有任何数据行，未导入"


@dataclass
class ImportResult:
    """What happened: the import's id (None when rejected), counts and the row-level report."""

    import_id: int | None
    status: str
    rows_total: int = 0
    rows_imported: int = 0
    report: list[ReportEntry] = field(default_factory=list)

    @property
    def errors(self) -> list[ReportEntry]:
        """The findings that make a row invalid."""
        return [e for e in self.report if e.severity == ERROR]

    @property
    def rows_skipped(self) -> int:
        """Rows left out (invalid)."""
        return self.rows_total - self.rows_imported if self.import_id else 0

    def summary_zh(self) -> str:
        """One line for the clerk."""
        # A finding about the whole file (row 0: unreadable, no header, no data rows) says it all.
        whole_file = next((e for e in self.errors if e.row_no <= 0), None)
        if self.status == REJECTED and whole_file is not None:
            return f"未导入：{whole_file.message}"
        if self.status == REJECTED:
            first = self.errors[0] if self.errors else None
            example = (
                f"，如第 {first.row_no} 行「{first.field}」：{mask_ids(first.message)}"
                if first is not None
                else ""
            )
            return (
                f"未导入：{len(self.errors)} 处错误（共 {self.rows_total} 行）{example}。"
                "请修正文件，或确认跳过有误的行后重新导入"
            )
        skipped = f"，跳过有误的 {self.rows_skipped} 行" if self.rows_skipped else ""
        return f"已导入 {self.rows_imported} 行（共 {self.rows_total} 行）{skipped}"


def file_sha256(path: Path) -> str:
    """Checksum of the file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def township_codes(session: Session) -> dict[str, str]:
    """Township name or code as a roster writes it → org code."""
    found: dict[str, str] = {}
    for code, name in session.execute(
        select(OrgUnit.code, OrgUnit.name).where(OrgUnit.level == "township")
    ):
        found[code] = found[name] = code
    return found


def import_roster(
    session: Session,
    path: Path,
    kind: str,
    actor: Actor | None,
    now: datetime,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    preset: ColumnPreset | None = None,
    batch_size: int = 5000,
) -> ImportResult:
    """Validate and store a roster file; nothing is stored when any row is invalid unless
    `skip_invalid` (then exactly the valid rows). `progress(rows_done)` runs after each batch.

    A row's `raw` keeps what its normalised columns do not hold as written: every cell of a row
    that needed normalising or has a finding, otherwise the cells of unmapped columns and the
    income as written (the file itself is identified by its SHA-256)."""
    if kind not in KIND_LABELS:
        raise ValueError(f"未知名单类型：{kind}")
    require_aware(now, "now")
    path = Path(path)
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("import_roster needs a session without pending changes")
    preset = preset or PRESETS[kind]
    try:
        header, rows = read_cells(path, preset)
    except (HeaderNotFound, UnreadableFile) as exc:
        result = ImportResult(None, REJECTED, report=[ReportEntry(0, "表头", ERROR, str(exc))])
        _log_rejected(session, path, kind, actor, now, result)
        return result
    result = ImportResult(None, REJECTED)
    # The one transaction: every batch goes into it and only its commit makes any row visible.
    # Leaving it without commit (invalid rows, a crash, a kill) rolls the whole file back.
    with UnitOfWork(session) as uow:
        if uow.joined:  # an outer unit would commit the rows of a file this import refuses
            raise RuntimeError("import_roster is a unit of work of its own")
        validator = RowValidator(
            preset, kind, to_local(now).date(), township_codes(session), header=header
        )
        check = validator.check_cells
        sha = file_sha256(path)
        record = RosterImport(
            kind=kind,
            file_name=path.name[:255],
            sha256=sha,
            imported_at=now,
            imported_by_id=actor.user_id if actor else None,
            status="importing",
        )
        session.add(record)
        session.flush()
        prepare_bulk(session)
        import_id = record.id
        batch: list[StoredRow] = []
        has_errors = False
        report = result.report
        report.extend(header_findings(header))
        total = imported = 0
        unreadable: UnreadableFile | None = None
        try:
            for row_no, cells in rows:
                clean, issues = check(row_no, cells)
                total += 1
                if issues:
                    report.extend(issues)
                if clean is None:
                    has_errors = True
                elif skip_invalid or not has_errors:
                    batch.append(clean)
                    imported += 1
                if len(batch) >= batch_size:
                    _insert(session, import_id, batch)
                if progress and total % batch_size == 0:
                    progress(total)
        except UnreadableFile as exc:  # the bytes stopped making sense part-way: keep nothing
            unreadable = exc
            report.append(ReportEntry(0, "文件", ERROR, str(exc)))
        if total == 0 and unreadable is None:  # CLI, web and API refuse an empty list alike
            report.append(ReportEntry(0, "数据行", ERROR, NO_DATA_ROWS))
        result.rows_total = total
        result.rows_imported = imported
        if unreadable is None and total > 0 and (skip_invalid or not has_errors):
            _insert(session, import_id, batch)
            result.import_id = record.id
            result.status = VALID_ROWS_ONLY if has_errors else COMPLETE
            record.status = result.status
            record.rows_total, record.rows_imported = result.rows_total, result.rows_imported
            record.rows_skipped = result.rows_skipped
            record.notices = len(result.report) - len(result.errors)
            append_admin_event(
                session,
                actor_id=actor.user_id if actor else None,
                action="ledger.import",
                subject=f"{kind}:{record.id}",
                payload={
                    "kind": kind,
                    "file_name": record.file_name,
                    "sha256": sha,
                    "status": result.status,
                    "rows_total": result.rows_total,
                    "rows_imported": result.rows_imported,
                    "rows_skipped": result.rows_skipped,
                    "header_row": header.row_no,
                },
                at=now,
            )
            uow.commit()
    if result.import_id is None:  # invalid rows and no leave to skip them: nothing was kept
        result.rows_imported = 0
        _log_rejected(session, path, kind, actor, now, result)
        return result
    if progress:
        progress(result.rows_total)
    return result


def _insert(session: Session, import_id: int, batch: list[StoredRow]) -> None:
    # An executemany of plain tuples on the session's connection (same transaction): ORM
    # objects or dictionaries cost more per row than the database does.
    if batch:
        insert_roster_rows(session, import_id, ROW_COLUMNS, batch)
        batch.clear()


def _log_rejected(
    session: Session,
    path: Path,
    kind: str,
    actor: Actor | None,
    now: datetime,
    result: ImportResult,
) -> None:
    with UnitOfWork(session) as uow:
        append_admin_event(
            session,
            actor_id=actor.user_id if actor else None,
            action="ledger.import_rejected",
            subject=f"{kind}:{path.name[:80]}",
            payload={"rows_total": result.rows_total, "errors": len(result.errors)},
            at=now,
        )
        uow.commit()

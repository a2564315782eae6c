"""Look at a roster before importing it: find its header for the column-mapping page, and validate
every row without writing anything (the same checks the importer makes, in the same order)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.idnumber import mask_ids
from caseflow.kernel.timeutil import to_local
from caseflow.ledger.columns import ColumnPreset, HeaderNotFound, detect_header, match_header
from caseflow.ledger.importer import township_codes
from caseflow.ledger.reader import EmptyFile, iter_table, read_cells
from caseflow.ledger.validate import ERROR, ReportEntry, RowValidator, header_findings

SCAN_ROWS = 30
PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class Sniffed:
    """The header row found (or the likeliest candidate) and its detected field per column."""

    row_no: int
    headers: list[str]
    detected: dict[int, str]  # column index → field
    found: bool  # False: only a candidate row, the user must say which column is which


def sniff_header(path: Path, preset: ColumnPreset) -> Sniffed:
    """The header as the preset detects it; else the fullest of the first rows as a candidate.
    Raises UnreadableFile (wrong type, broken file) or EmptyFile."""
    rows: list[tuple[int, list[str]]] = []
    for row_no, cells in iter_table(path):
        rows.append((row_no, cells))
        if len(rows) >= SCAN_ROWS:
            break
    if not any(c.strip() for _, cells in rows for c in cells):
        raise EmptyFile("文件为空，没有任何内容")
    try:
        header, _rest = detect_header(iter(rows), preset, max_scan=SCAN_ROWS)
    except HeaderNotFound:
        row_no, cells = max(rows, key=lambda r: (sum(1 for c in r[1] if c.strip()), -r[0]))
        detected: dict[int, str] = {}
        for i, cell in enumerate(cells):  # preselect what is recognisable, once per field
            name = match_header(cell, preset)
            if name is not None and name not in detected.values():
                detected[i] = name
        return Sniffed(row_no, [c.strip() for c in cells], detected, False)
    headers = [h for h in header.headers]
    while headers and not headers[-1]:
        headers.pop()
    return Sniffed(header.row_no, headers, dict(header.columns), True)


@dataclass
class DryRun:
    """What importing the file would find."""

    rows_total: int = 0
    rows_invalid: int = 0
    errors: int = 0
    notices: int = 0
    header_row: int = 0


def validate_file(
    session: Session,
    path: Path,
    kind: str,
    preset: ColumnPreset,
    now: datetime,
    report_path: Path,
    progress: Callable[[int], None] | None = None,
) -> DryRun:
    """Validate every row, streaming the findings to `report_path` (JSON lines); writes nothing
    to the database. Raises HeaderNotFound or UnreadableFile (Chinese messages)."""
    header, rows = read_cells(path, preset)
    # Only the org units are read, in a unit left without commit: it ends there, so no
    # transaction is held while the file is read.
    with UnitOfWork(session):
        codes = township_codes(session)
    validator = RowValidator(preset, kind, to_local(now).date(), codes, header=header)
    outcome = DryRun(header_row=header.row_no)
    with report_path.open("w", encoding="utf-8") as out:
        for issue in header_findings(header):
            outcome.notices += 1
            out.write(json.dumps(asdict(issue), ensure_ascii=False) + "\n")
        for row_no, cells in rows:
            clean, issues = validator.check_cells(row_no, cells)
            outcome.rows_total += 1
            outcome.rows_invalid += clean is None
            for issue in issues:
                if issue.severity == ERROR:
                    outcome.errors += 1
                else:
                    outcome.notices += 1
                out.write(json.dumps(asdict(issue), ensure_ascii=False) + "\n")
            if progress and outcome.rows_total % PROGRESS_EVERY == 0:
                progress(outcome.rows_total)
    if progress:
        progress(outcome.rows_total)
    return outcome


def read_report(
    report_path: Path, severity: str | None = None, *, masked: bool = True
) -> Iterator[ReportEntry]:
    """The findings written by `validate_file`, in file order (optionally of one severity),
    with ID numbers masked unless `masked` is False."""
    if not report_path.exists():
        return
    with report_path.open(encoding="utf-8") as fh:
        for line in fh:
            entry = ReportEntry(**json.loads(line))
            if severity is not None and entry.severity != severity:
                continue
            if masked:
                entry = replace(entry, message=mask_ids(entry.message))
            yield entry

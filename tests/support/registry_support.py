"""A registry import (建档立卡名单) and a comparison result for chosen households (test data)."""

from __future__ import annotations

from datetime import date, timedelta

from support import T0, World

from caseflow.db.models import ComparisonResult, ComparisonRun, Household, RosterImport, RosterRow


def registry_with(
    world: World,
    rows: list[tuple[Household, str, str, dict[str, str]]],
    *,
    category: dict[int, str] | None = None,
    days_later: int = 0,
) -> RosterImport:
    """A complete registry import listing each (household, attribute, main cause, extra
    columns) by its head's ID number; a comparison run putting households in `category`."""
    s = world.session
    imported = RosterImport(
        kind="registry",
        file_name="建档立卡.xlsx",
        sha256="0" * 64,
        imported_at=T0 + timedelta(days=days_later),
        status="complete",
    )
    s.add(imported)
    s.flush()
    for n, (hh, attribute, cause, raw) in enumerate(rows, start=2):
        head = hh.members[0]
        s.add(
            RosterRow(
                import_id=imported.id,
                row_no=n,
                household_key=f"H{hh.id}",
                head_name=head.name,
                id_number=head.id_number,
                name=head.name,
                attribute=attribute,
                main_cause=cause,
                raw=raw,
            )
        )
    if category:
        run = ComparisonRun(
            registry_import_id=imported.id,
            roster_import_ids=[],
            policy_effective_from=date(2026, 1, 1),
            created_at=T0,
        )
        s.add(run)
        s.flush()
        for hid, cat in category.items():
            s.add(
                ComparisonResult(
                    run_id=run.id, household_key=f"H{hid}", category=cat, household_id=hid
                )
            )
    s.commit()
    return imported

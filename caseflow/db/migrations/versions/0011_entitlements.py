"""entitlement history: one versioned record per 低保/特困 case drives every payment

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05

Before this revision the roll derived a month's amount from the approval event's payload, the
amount changes of 提标 and the removal decisions, each read its own way. From now on only the
entitlement history is read. Existing databases are carried over: each approved case gets a
`legacy` version from its approval event, each stored amount change a version, and each removal
decision a stop (a gradual exit first, when one was granted), so the roll pays what it paid.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UTC_DT = sa.DateTime(timezone=True)
_LOCAL = ZoneInfo("Asia/Shanghai")

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER entitlements_no_update BEFORE UPDATE ON entitlements "
    "BEGIN SELECT RAISE(ABORT, 'entitlements is append-only'); END",
    "CREATE TRIGGER entitlements_no_delete BEFORE DELETE ON entitlements "
    "BEGIN SELECT RAISE(ABORT, 'entitlements is append-only'); END",
]
# append_only() is migration 0001's trigger function.
_PG_TRIGGERS = [
    "CREATE TRIGGER entitlements_no_change BEFORE UPDATE OR DELETE ON entitlements "
    "FOR EACH ROW EXECUTE FUNCTION append_only()",
]


def upgrade() -> None:
    op.create_table(
        "entitlements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("org_path", sa.String(length=200), nullable=False),
        sa.Column("programme", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("effective_month", sa.String(length=7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("computed_fen", sa.BigInteger(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("covered_member_ids", sa.JSON(), nullable=False),
        sa.Column("aid_class", sa.String(length=10)),
        sa.Column("care_level", sa.String(length=20)),
        sa.Column("policy_effective_from", sa.Date()),
        sa.Column("standard_fen", sa.BigInteger()),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("deviation_reason", sa.String(length=500), nullable=False),
        sa.Column("source_case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("at", UTC_DT, nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_entitlement_version"),
    )
    op.create_index("ix_entitlements_case_month", "entitlements", ["case_id", "effective_month"])
    op.create_index("ix_entitlements_household_id", "entitlements", ["household_id"])
    op.create_index("ix_entitlements_org_path", "entitlements", ["org_path"])
    _carry_over(op.get_bind())
    # Amount changes are versions now; nothing reads or writes the old table any more.
    op.drop_table("payment_amount_changes")
    dialect = op.get_bind().dialect.name
    for statement in _PG_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("entitlements")  # its triggers go with it
    op.create_table(  # as migration 0004 made it (its rows are not recovered)
        "payment_amount_changes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("effective_month", sa.String(7), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("approved_at", UTC_DT, nullable=False),
        sa.Column("approved_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.UniqueConstraint("case_id", "effective_month", "source", name="uq_amount_change"),
    )
    op.create_index("ix_payment_amount_changes_case_id", "payment_amount_changes", ["case_id"])


# --- carrying an existing database over (frozen here: later code may change) -------------------


def _month(at: Any, plus: int = 0) -> str:
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(_LOCAL)
    index = local.year * 12 + local.month - 1 + plus
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _payload(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value)
    return dict(value or {})


_CARRIED_COLUMNS = [
    "case_id",
    "seq",
    "household_id",
    "org_path",
    "programme",
    "kind",
    "effective_month",
    "amount_fen",
    "computed_fen",
    "components",
    "covered_member_ids",
    "aid_class",
    "basis",
    "deviation_reason",
    "source_case_id",
    "trigger",
    "recorded_by_id",
    "at",
]


def _carry_over(bind: sa.engine.Connection) -> None:
    approvals = bind.execute(
        sa.text(
            "SELECT c.id, c.household_id, c.org_path, c.case_type, e.at, e.payload, e.actor_id "
            "FROM cases c JOIN case_events e ON e.case_id = c.id AND e.trigger = 'approve' "
            "WHERE c.case_type IN ('dibao', 'tekun') AND c.state = 'approved' "
            "AND c.household_id IS NOT NULL ORDER BY c.id"
        )
    ).all()
    if not approvals:
        return
    changes: dict[int, list[Any]] = defaultdict(list)
    for row in bind.execute(
        sa.text(
            "SELECT case_id, effective_month, amount_fen, source, approved_at, approved_by_id "
            "FROM payment_amount_changes ORDER BY effective_month, id"
        )
    ).all():
        changes[row[0]].append(row)
    stops: dict[int, list[tuple[Any, str, int]]] = defaultdict(list)
    for hid, at, trigger, payload in bind.execute(
        sa.text(
            "SELECT c.household_id, e.at, e.trigger, e.payload FROM cases c "
            "JOIN case_events e ON e.case_id = c.id WHERE c.case_type = 'removal' "
            "AND e.trigger IN ('approve_removal', 'approve_gradual_exit') ORDER BY e.id"
        )
    ).all():
        data = _payload(payload)
        months = max(0, min(int(data.get("months") or 0), 6)) if "gradual" in trigger else 0
        stops[hid].append((at, _month(at, 1), months))
    table = sa.table("entitlements", *(sa.column(name) for name in _CARRIED_COLUMNS))
    rows: list[dict[str, Any]] = []
    for cid, hid, path, ctype, at, payload, actor in approvals:
        data = _payload(payload)
        amount = int(data.get("amount_fen") or 0)
        versions = [("legacy", _month(at, 1), amount, "approve", actor, at)]
        for _c, month, fen, source, when, who in changes.get(cid, []):
            kind = "rise" if source == "standard_rise" else "adjust"
            versions.append((kind, month, int(fen), source, who, when))
        for decided, _first_unpaid, gradual in stops.get(hid, []):
            if _month(decided) < _month(at):
                continue  # a removal before this approval concerned an earlier case
            versions.append(("stop", _month(decided, 1 + gradual), 0, "removal", None, decided))
        for seq, (kind, month, fen, trigger, who, when) in enumerate(versions, start=1):
            rows.append(
                {
                    "case_id": cid,
                    "seq": seq,
                    "household_id": hid,
                    "org_path": path,
                    "programme": ctype,
                    "kind": kind,
                    "effective_month": month,
                    "amount_fen": fen,
                    "computed_fen": fen,
                    "components": {"legacy_fen": fen},
                    "covered_member_ids": [],
                    "aid_class": data.get("aid_class"),
                    "basis": {"carried_over": True, "covered_persons": data.get("covered_persons")},
                    "deviation_reason": "",
                    "source_case_id": cid,
                    "trigger": trigger,
                    "recorded_by_id": who,
                    "at": when,
                }
            )
    op.bulk_insert(table, rows)

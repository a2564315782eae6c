"""The audit trail: how an event is hashed into its case's chain, and the walk that verifies it.

Events are written by one writer, caseflow.engine.statements.insert_event."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from caseflow.db.engine import is_postgres
from caseflow.db.models import AdminEvent, CaseEvent
from caseflow.kernel.timeutil import to_utc

GENESIS_HASH = "0" * 64


def _digest(fields: dict[str, Any]) -> str:
    body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _stamp(at: datetime) -> str:
    # Microseconds are dropped: not every database keeps them the same way.
    return to_utc(at).replace(microsecond=0).isoformat()


def event_hash(
    *,
    case_id: int,
    seq: int,
    actor_id: int | None,
    actor_role: str,
    trigger: str,
    from_state: str | None,
    to_state: str,
    payload: dict[str, Any],
    at: datetime,
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON rendering of every field an editor could change."""
    return _digest(
        {
            "case_id": case_id,
            "seq": seq,
            "actor_id": actor_id,
            "actor_role": actor_role,
            "trigger": trigger,
            "from": from_state,
            "to": to_state,
            "payload": payload,
            "at": _stamp(at),
            "prev": prev_hash,
        }
    )


@dataclass(frozen=True)
class ChainBreak:
    """The first event of a case whose stored hash does not match its contents or predecessor."""

    case_id: int
    seq: int
    reason: str


def verify_chains(session: Session, batch: int = 5000) -> Iterator[ChainBreak]:
    """Walk every case's chain in (case, seq) order; yield the first break of each broken case."""
    last_case, last_seq = 0, 0
    prev_hash, broken = GENESIS_HASH, False
    while True:
        rows = session.scalars(
            select(CaseEvent)
            .where(
                or_(
                    CaseEvent.case_id > last_case,
                    and_(CaseEvent.case_id == last_case, CaseEvent.seq > last_seq),
                )
            )
            .order_by(CaseEvent.case_id, CaseEvent.seq)
            .limit(batch)
            .execution_options(populate_existing=True)  # judge the rows as stored, not as cached
        ).all()
        if not rows:
            return
        for ev in rows:
            if ev.case_id != last_case:
                prev_hash, broken, last_seq = GENESIS_HASH, False, 0
            problem = _check_event(ev, prev_hash, last_seq + 1)
            last_case, last_seq, prev_hash = ev.case_id, ev.seq, ev.hash
            if problem and not broken:
                broken = True
                yield ChainBreak(ev.case_id, ev.seq, problem)
        session.expunge_all()


def _check_event(ev: CaseEvent, prev_hash: str, expected_seq: int) -> str | None:
    if ev.seq != expected_seq:
        return f"event {expected_seq} is missing"
    if ev.prev_hash != prev_hash:
        return "prev_hash does not match the previous event"
    expected = event_hash(
        case_id=ev.case_id,
        seq=ev.seq,
        actor_id=ev.actor_id,
        actor_role=ev.actor_role,
        trigger=ev.trigger,
        from_state=ev.from_state,
        to_state=ev.to_state,
        payload=ev.payload,
        at=ev.at,
        prev_hash=ev.prev_hash,
    )
    return None if ev.hash == expected else "contents do not match the stored hash"


def event_count(session: Session, case_id: int) -> int:
    """How many events a case has."""
    return int(session.scalar(select(func.count()).where(CaseEvent.case_id == case_id)) or 0)


def admin_event_hash(
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    payload: dict[str, Any],
    at: datetime,
    prev_hash: str,
) -> str:
    """The admin log's chain hash, built like a case event's."""
    return _digest(
        {
            "actor_id": actor_id,
            "action": action,
            "subject": subject,
            "payload": payload,
            "at": _stamp(at),
            "prev": prev_hash,
        }
    )


def append_admin_event(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    subject: str,
    payload: dict[str, Any],
    at: datetime,
) -> AdminEvent:
    """Add an admin-log entry in the caller's transaction (configuration, users, overrides)."""
    if is_postgres(session):  # one global chain: serialise writers on it
        session.execute(text("LOCK TABLE admin_events IN SHARE ROW EXCLUSIVE MODE"))
    prev = session.scalar(select(AdminEvent.hash).order_by(AdminEvent.id.desc()).limit(1))
    prev = prev or GENESIS_HASH
    fields: dict[str, Any] = dict(
        actor_id=actor_id, action=action, subject=subject, payload=payload, at=at
    )
    event = AdminEvent(**fields, prev_hash=prev, hash=admin_event_hash(**fields, prev_hash=prev))
    session.add(event)
    session.flush()
    return event


def verify_admin_chain(session: Session) -> int | None:
    """The id of the first tampered admin-log entry, or None when the chain is intact."""
    prev = GENESIS_HASH
    rows = session.scalars(
        select(AdminEvent).order_by(AdminEvent.id).execution_options(populate_existing=True)
    )
    for ev in rows:
        expected = admin_event_hash(
            actor_id=ev.actor_id,
            action=ev.action,
            subject=ev.subject,
            payload=ev.payload,
            at=ev.at,
            prev_hash=ev.prev_hash,
        )
        if ev.prev_hash != prev or ev.hash != expected:
            return ev.id
        prev = ev.hash
    return None

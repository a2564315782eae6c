"""SQLAlchemy 2 typed models: org units, users, households, cases, audit events, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and returns aware UTC datetimes on SQLite and PostgreSQL; refuses naive input."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime refused: {value!r}")
        value = value.astimezone(UTC)
        # SQLite has no timezone type: store naive UTC text so that ordering is by instant.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class OrgUnit(Base):
    """District → township → village; `path` ("/640502/640502100/") makes subtrees a prefix."""

    __tablename__ = "org_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20))  # district | township | village
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    path: Mapped[str] = mapped_column(String(200), unique=True)
    # The office's contact telephone, printed on its notices (None until the admin enters it).
    phone: Mapped[str | None] = mapped_column(String(30), default=None)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])


class User(Base):
    """A member of staff (or the system actor); never deleted, only deactivated."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # Part of every sign-in cookie; raised on sign-out, a password change and an admin's reset,
    # so a cookie copied before then is refused (server-side revocation of every session).
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    # The 敬老院 / 供养服务机构 an institution's staff member works for (migration 0027); set
    # exactly when the account's one role is institution_staff (caseflow.accounts.staff writes
    # it so; kernel.actors.account_reach ignores a row that says otherwise). The account's unit
    # is the institution's township.
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id"), index=True, default=None
    )

    org_unit: Mapped[OrgUnit] = relationship()
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_names(self) -> frozenset[str]:
        """The user's roles as plain strings."""
        return frozenset(r.role for r in self.roles)


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles")


class Household(Base):
    """The people who live together and owe each other support."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(200), index=True)
    head_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    bank_name: Mapped[str] = mapped_column(String(100), default="")
    bank_account: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime]

    org_unit: Mapped[OrgUnit] = relationship()
    # The current members: whoever left (death, marriage, moving out, transfer) is kept, with the
    # day and reason, but counts for nothing any more — money, rolls, exports, printouts.
    members: Mapped[list[Member]] = relationship(
        primaryjoin="and_(Household.id == Member.household_id, Member.left_on.is_(None))",
        back_populates="household",
        cascade="all, delete-orphan",
        order_by="Member.id",
    )
    # Every member the household ever had, for its history (read only).
    all_members: Mapped[list[Member]] = relationship(
        primaryjoin="Household.id == Member.household_id", viewonly=True, order_by="Member.id"
    )


class Member(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(
        String(20)
    )  # 户主, 配偶, 子女, 父母, 孙子女, 兄弟姐妹, 其他
    sex: Mapped[str] = mapped_column(String(1))  # M | F
    birth_date: Mapped[date] = mapped_column(Date)
    labour_capacity: Mapped[str] = mapped_column(String(10), default="full")  # full|partial|none
    health: Mapped[str] = mapped_column(
        String(20), default="healthy"
    )  # healthy|chronic|serious_illness
    disability_grade: Mapped[int | None] = mapped_column(Integer)  # 1..4; 1–2 severe
    # 残疾类别 code: intellectual|mental|physical|visual|hearing|speech|multiple
    # (None: not recorded)
    disability_type: Mapped[str | None] = mapped_column(String(20))
    is_student: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when the member left the household (None: a current member); the change is recorded
    # in household_changes with who, why and the values before.
    left_on: Mapped[date | None] = mapped_column(Date)
    left_reason: Mapped[str | None] = mapped_column(String(20))

    household: Mapped[Household] = relationship(back_populates="members")
    incomes: Mapped[list[MemberIncome]] = relationship(
        cascade="all, delete-orphan", order_by="MemberIncome.id"
    )
    assets: Mapped[list[MemberAsset]] = relationship(
        cascade="all, delete-orphan", order_by="MemberAsset.id"
    )
    expenses: Mapped[list[MemberExpense]] = relationship(
        cascade="all, delete-orphan", order_by="MemberExpense.id"
    )


class MeansEvidence:
    """What every income, asset and expense line carries (migration 0013): the 核对 result, the
    document it rests on, the day it describes and who recorded it. Lines stored before 0013
    hold the defaults ("未记录" check, no date, no recorder)."""

    # declared | verified | adjusted | pending | unknown: caseflow.casework.means.CHECK_RESULT_ZH
    check_result: Mapped[str] = mapped_column(String(20), default="unknown")
    evidence: Mapped[str] = mapped_column(String(200), default="")
    as_of: Mapped[date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None]


class MemberIncome(MeansEvidence, Base):
    __tablename__ = "member_incomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # wages|business|transfer|property|other, or a category the rules do not count as income
    # (preferential, family_planning, scholarship, award, assistance, basic_pension, …:
    # caseflow.policy.facts.INCOME_SOURCE_ZH; which ones are excluded is dated policy).
    source: Mapped[str] = mapped_column(String(20))
    monthly_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")  # e.g. 种植玉米 10 亩


class MemberAsset(MeansEvidence, Base):
    __tablename__ = "member_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(20)
    )  # deposit|financial|vehicle|work_vehicle|housing|...
    value_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    employs_others: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(200), default="")


class MemberExpense(MeansEvidence, Base):
    """A monthly spending the district's rules may deduct from household income (因病、因残、
    因学的刚性支出, 必要的就业成本: 民发〔2021〕57号 第十三条 last paragraph)."""

    __tablename__ = "member_expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # caseflow.policy.facts.EXPENSE_KIND_ZH
    monthly_fen: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str] = mapped_column(String(200), default="")


class RelativeDeclaration(Base):
    """A declared near relative (近亲属) of a staff member in a household (单独登记备案)."""

    __tablename__ = "relative_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    staff_name: Mapped[str] = mapped_column(String(100))  # also village-committee members
    relation: Mapped[str] = mapped_column(String(30))
    declared_at: Mapped[datetime]


class Case(Base):
    """A request moving through one declared workflow; `state` changes only in engine.fire."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), unique=True)
    case_type: Mapped[str] = mapped_column(String(20))
    workflow_key: Mapped[str] = mapped_column(String(40))
    ruleset_key: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(40))
    is_final: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # None only for cases about a township rather than a household (the monthly payment roll).
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    # Denormalised from the org unit so jurisdiction is a prefix test on an indexed column.
    org_path: Mapped[str] = mapped_column(String(200))
    flag_illness: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_disability: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_sudden: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_staff_relative: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime]
    state_entered_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(String(300), default="")
    # Denormalised from the open deadline rows (deadlines.refresh_case_clock) so that queues and
    # the supervisors' board sort and count on indexed columns of this table alone.
    due_at: Mapped[datetime | None]
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)

    household: Mapped[Household | None] = relationship()
    org_unit: Mapped[OrgUnit] = relationship()

    __table_args__ = (
        Index("ix_cases_org_path_state", "org_path", "state"),
        Index("ix_cases_open_due", "is_final", "org_path", "due_at"),
        Index("ix_cases_household_type", "household_id", "case_type"),
        # Work queue (caseflow.read.queue), over open cases only: migration 0003.
        Index(
            "ix_cases_queue_due",
            text("(due_at IS NULL)"),
            "due_at",
            "state",
            "workflow_key",
            "org_path",
            "escalation_level",
            "assignee_id",
            sqlite_where=text("is_final = 0"),
            postgresql_where=text("NOT is_final"),
        ),
        # The queue page's slice of priority cases not yet overdue (caseflow.read.queue
        # .queue_select): a few per cent of the open cases, read in due order: migration 0024.
        # The WHERE clause is written as the query writes its own (SQLite's partial-index rule).
        Index(
            "ix_cases_queue_priority",
            "due_at",
            "state",
            "workflow_key",
            "org_path",
            "escalation_level",
            "assignee_id",
            sqlite_where=text(
                "is_final = 0 AND (flag_illness = 1 OR flag_disability = 1 OR flag_sudden = 1)"
            ),
            postgresql_where=text(
                "NOT is_final AND (flag_illness OR flag_disability OR flag_sudden)"
            ),
        ),
        Index(
            "ix_cases_queue_state",
            "state",
            "workflow_key",
            "org_path",
            "due_at",
            "escalation_level",
            "assignee_id",
            sqlite_where=text("is_final = 0"),
            postgresql_where=text("NOT is_final"),
        ),
        # The queue's counts for one township or village: migration 0008.
        Index(
            "ix_cases_queue_place",
            "org_path",
            "state",
            "workflow_key",
            "due_at",
            "escalation_level",
            "assignee_id",
            "is_final",
            sqlite_where=text("is_final = 0"),
            postgresql_where=text("NOT is_final"),
        ),
        # The queue's "mine" count (the tab count the board counters do not hold): migration 0009.
        Index(
            "ix_cases_assignee_open",
            "assignee_id",
            "state",
            "workflow_key",
            "org_path",
            "due_at",
            "escalation_level",
            "is_final",  # SQLite: makes the index covering (the query repeats is_final = 0)
            sqlite_where=text("is_final = 0 AND assignee_id IS NOT NULL"),
            postgresql_where=text("NOT is_final AND assignee_id IS NOT NULL"),
        ),
    )


class BoardCount(Base):
    """Open cases per (township path, state, workflow, due instant): the board's counters,
    which the work queue's tab counts also sum (over its actionable (workflow, state) pairs).

    `n` open cases, `n_escalated` of them escalated to the district or beyond. Written only by
    the triggers of migration 0009 on `cases` (and caseflow.read.board_counts' rebuild), never by
    the
    ORM. The key's due_key is due_at with NULL spelled as a value ('infinity' on PostgreSQL, ''
    on SQLite, where the table is WITHOUT ROWID): read due_at, never due_key.
    """

    __tablename__ = "board_counts"

    township_path: Mapped[str] = mapped_column(String(200), primary_key=True)
    state: Mapped[str] = mapped_column(String(40), primary_key=True)
    workflow_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    due_key: Mapped[Any] = mapped_column(DateTime(timezone=True), primary_key=True)
    due_at: Mapped[datetime | None]
    n: Mapped[int] = mapped_column(Integer)
    n_escalated: Mapped[int] = mapped_column(Integer)


class BoardHorizon(Base):
    """The day the board's counters are folded for (one row, or none): see
    caseflow.read.board_counts.

    Due instants before `over_15` count under `before_15`, those in [over_15, over_5) under
    `over_15`, in [over_5, today_start) under `over_5`, in [tomorrow_start, soon_before) under
    `tomorrow_start`, from `soon_before` on under `soon_before`; today's keep their own instant.
    Written by caseflow.read.board_counts.roll_horizon only; read by the triggers of migration 0010.
    """

    __tablename__ = "board_horizon"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    before_15: Mapped[datetime]
    over_15: Mapped[datetime]
    over_5: Mapped[datetime]
    today_start: Mapped[datetime]
    tomorrow_start: Mapped[datetime]
    soon_before: Mapped[datetime]


class CaseEvent(Base):
    """Append-only audit row; `hash` chains each event of a case to the one before it."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    seq: Mapped[int] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_role: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_case_events_case_seq"),
        # Audit search (migration 0008): newest first, by user, by action.
        Index("ix_case_events_at", "at", "id"),
        Index("ix_case_events_actor_at", "actor_id", "at"),
        Index("ix_case_events_trigger_at", "trigger", "at"),
    )


class CasePause(Base):
    """An interval during which a case's clocks stand still (missing materials, hearing set)."""

    __tablename__ = "case_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Deadline(Base):
    """A timer as a row: the sweep looks only at open rows whose next_action_at has come."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[str | None] = mapped_column(String(40))  # None for the case-wide total limit
    rule: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(20))  # working_days | calendar_days | hours
    amount: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime | None]  # None while paused
    calendar_source: Mapped[str] = mapped_column(String(80), default="")
    level: Mapped[int] = mapped_column(Integer, default=0)  # 0 open, 1 reminded, 2 overdue, ...
    next_action_at: Mapped[datetime | None]
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None]
    org_path: Mapped[str] = mapped_column(String(200))

    __table_args__ = (
        # Partial index: the sweep's only query, over open rows, ordered by when they need action.
        Index(
            "ix_deadlines_open_next_action",
            "next_action_at",
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )


class CalendarOverride(Base):
    """An admin-entered holiday or make-up working day (调休), for years the package lacks."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(50), default="")


class CalendarYear(Base):
    """A year whose overrides the admin declared complete (the State Council notice is entered)."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]


class PersonalDataView(Base):
    """Every full view of an ID number or bank account: who, whose, what, when, why."""

    __tablename__ = "personal_data_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    field: Mapped[str] = mapped_column(String(30))  # id_number | bank_account
    purpose: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (  # audit search (migration 0008)
        Index("ix_personal_data_views_user_at", "user_id", "at"),
        Index("ix_personal_data_views_household_at", "household_id", "at"),
        Index("ix_personal_data_views_case_at", "case_id", "at"),
        Index("ix_personal_data_views_field_at", "field", "at"),
    )


class Attachment(Base):
    """A scanned material stored on disk under the instance folder, addressed by checksum."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    material: Mapped[str] = mapped_column(String(100), default="")  # which checklist item
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]


class Notification(Base):
    """An in-app inbox entry (reminders, escalations, returned cases); e-mail/SMS go via senders."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    kind: Mapped[str] = mapped_column(String(20))  # reminder | overdue | escalated | returned
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_user_created", "user_id", "created_at"),  # migration 0008
    )


class Lease(Base):
    """A named lease held by one process at a time (the in-process sweep scheduler)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Failed sign-ins, for throttling and the security log."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime]


class SignInGuard(Base):
    """Back-off after failed password checks, per scope and key: an address, an account tried
    from browsers it never signed in on, one browser it did sign in on, or a signed-in user's
    current-password check. In the database, so several app servers share it."""

    __tablename__ = "sign_in_guards"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None] = mapped_column(default=None)


class AdminEvent(Base):
    """Append-only, hash-chained log of actions outside cases: configuration, users, calendar,
    duplicate-check overrides. Same chain rule as case events, one chain for the whole system."""

    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(100), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (  # audit search (migration 0008)
        Index("ix_admin_events_at", "at", "id"),
        Index("ix_admin_events_actor_at", "actor_id", "at"),
        Index("ix_admin_events_action_at", "action", "at"),
    )


class PolicyRecord(Base):
    """One dated policy configuration (standards, limits, amounts) of a region, as entered."""

    __tablename__ = "policy_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(20))
    effective_from: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)  # the YAML text, validated on entry
    is_example: Mapped[bool] = mapped_column(Boolean, default=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("region", "effective_from", name="uq_policy_region_date"),)


class Assessment(Base):
    """A household economic assessment (家庭经济状况核对) recorded in a case's verify state."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # means_test | tekun | temporary
    outcome: Mapped[str] = mapped_column(String(20))  # eligible | ineligible | ...
    policy_effective_from: Mapped[date] = mapped_column(Date)
    policy_is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # rules, figures, text
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    aid_class: Mapped[str | None] = mapped_column(String(1))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime]


class RosterImport(Base):
    """One imported file (ledger comparison): the registry, a 低保/特困 roster or another
    department's list. Written in one transaction with all its rows, or not at all."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # registry | dibao_roster | tekun_roster | deaths | moves | prisoners | public_employees
    # | vehicle_owners
    kind: Mapped[str] = mapped_column(String(20), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_imported: Mapped[int] = mapped_column(Integer, default=0)
    rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    notices: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))  # complete | valid_rows_only


class RosterRow(Base):
    """One person of an imported file, normalised. `raw` keeps the cells as written where the
    normalised fields alone would lose something: every cell of a row that needed tidying or has
    a finding; for a clean row only its unmapped columns and the income as written."""

    __tablename__ = "roster_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("roster_imports.id"))
    row_no: Mapped[int] = mapped_column(Integer)  # the row number in the source file
    household_key: Mapped[str] = mapped_column(String(160))
    head_name: Mapped[str] = mapped_column(String(100), default="")
    township: Mapped[str] = mapped_column(String(100), default="")  # as written (name or code)
    township_code: Mapped[str | None] = mapped_column(String(20))  # resolved org code
    village: Mapped[str] = mapped_column(String(100), default="")
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(20), default="")
    health: Mapped[str] = mapped_column(String(40), default="")
    labour_capacity: Mapped[str] = mapped_column(String(40), default="")
    attribute: Mapped[str] = mapped_column(String(20), default="")  # 一般/低保/特困供养贫困户
    main_cause: Mapped[str] = mapped_column(String(40), default="")
    # Per-capita net income per MONTH in fen (annual figures of the registry divided by 12).
    income_fen: Mapped[int | None] = mapped_column(BigInteger)
    aid_class: Mapped[str] = mapped_column(String(10), default="")
    household_size: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_roster_rows_import_household", "import_id", "household_key"),)


class ComparisonRun(Base):
    """One ledger comparison: a registry import against 低保/特困 rosters, system cases and
    other departments' lists."""

    __tablename__ = "comparison_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_import_id: Mapped[int] = mapped_column(ForeignKey("roster_imports.id"))
    roster_import_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    include_system_cases: Mapped[bool] = mapped_column(Boolean, default=True)
    policy_effective_from: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # category → households


class ComparisonResult(Base):
    """One household of a run: exactly one category C1–C8, its evidence and the action taken."""

    __tablename__ = "comparison_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("comparison_runs.id"))
    household_key: Mapped[str] = mapped_column(String(160), index=True)
    category: Mapped[str] = mapped_column(String(2))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    head_name: Mapped[str] = mapped_column(String(100), default="")
    township_code: Mapped[str | None] = mapped_column(String(20))
    village: Mapped[str] = mapped_column(String(100), default="")
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    # none | invited | referred | removal_started | reconciled | no_action
    action: Mapped[str] = mapped_column(String(20), default="none")
    action_reason: Mapped[str] = mapped_column(Text, default="")
    action_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action_at: Mapped[datetime | None]
    action_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    carried_from_result_id: Mapped[int | None] = mapped_column(ForeignKey("comparison_results.id"))
    # 人工判定: only head name + village tied this household to a list, and that key is
    # ambiguous (same-name heads); a person decides (migration 0017). Why: evidence["decision"].
    needs_decision: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (
        UniqueConstraint("run_id", "household_key", name="uq_comparison_results_run_household"),
        Index("ix_comparison_results_run_place", "run_id", "township_code", "category"),
        Index("ix_comparison_results_run_decision", "run_id", "needs_decision"),
    )

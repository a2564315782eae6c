"""API tokens for other systems: a token acts as one user, narrowed to one org unit.

Only the SHA-256 of the secret is stored; the secret itself is shown once, when created.
Rate limiting is a fixed-window counter in the database (`api_rate_windows`): the server may
run several processes (waitress threads, a second instance behind a proxy) and a counter in one
process's memory would let a client multiply its allowance by the number of processes and reset
it with every restart. The cost is one small upsert per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Integer, String, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from caseflow.db.models import Base, OrgUnit, User
from caseflow.db.scope import in_jurisdiction
from caseflow.engine.audit import append_admin_event
from caseflow.engine.retry import retry_when_busy
from caseflow.engine.uow import UnitOfWork
from caseflow.kernel.errors import CaseNotFound, PayloadInvalid
from caseflow.kernel.timeutil import require_aware

if TYPE_CHECKING:
    from caseflow.kernel.actors import Actor

PREFIX = "cf_"
MAX_DAYS = 730
DEFAULT_DAYS = 365


class ApiToken(Base):
    """A bearer token of another system; it carries its user's roles inside `org_unit`."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # first characters, to recognise a token
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    org_unit: Mapped[OrgUnit] = relationship()

    def status(self, now: datetime) -> str:
        """active | expired | revoked."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


class ApiRateWindow(Base):
    """Requests of one token in one fixed window (its start, in whole seconds since the epoch)."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"), primary_key=True)
    window_start: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


STATUS_LABELS = {"active": "有效", "expired": "已过期", "revoked": "已吊销"}


def hash_secret(secret: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def _clean_days(days: int | str | None, errors: dict[str, str]) -> int:
    if days is None or (isinstance(days, str) and not days.strip()):
        return DEFAULT_DAYS
    try:
        value = int(str(days).strip())
    except ValueError:
        errors["days"] = "有效天数应为整数"
        return 0
    if not 1 <= value <= MAX_DAYS:
        errors["days"] = f"有效天数应在 1 到 {MAX_DAYS} 之间"
    return value


def create_token(
    session: Session,
    *,
    user_id: int | None,
    org_code: str,
    name: str,
    days: int | str | None,
    now: datetime,
    created_by_id: int | None,
    admin_scope: str = "/",
) -> IssuedToken:
    """Issue a token (admin-log entry, committed); its unit must lie inside the user's unit and
    the admin's own subtree. Raises PayloadInvalid naming every bad field."""
    require_aware(now, "now")
    with UnitOfWork(session) as uow:
        errors: dict[str, str] = {}
        name = " ".join(name.split())[:100]
        if not name:
            errors["name"] = "请填写令牌用途（如对接系统名称）"
        user = None
        if user_id is not None:
            user = session.scalar(
                select(User)
                .join(OrgUnit, User.org_unit_id == OrgUnit.id)
                .where(User.id == user_id, in_jurisdiction(OrgUnit.path, admin_scope))
            )
        if user is None:
            errors["user"] = "请选择管辖范围内的用户"
        elif not user.active:
            errors["user"] = "该用户已停用"
        elif user.institution_id is not None:
            errors["user"] = "供养机构工作人员的账号不能使用接口令牌"
        unit = session.scalar(select(OrgUnit).where(OrgUnit.code == org_code.strip()[:20]))
        if unit is None:
            errors["org"] = "请选择存在的单位"
        elif user is not None and not unit.path.startswith(user.org_unit.path):
            errors["org"] = "令牌的范围只能缩小用户的管辖范围（须为用户所在单位或其下级）"
        valid_days = _clean_days(days, errors)
        if errors:
            raise PayloadInvalid(errors)
        assert user is not None and unit is not None
        secret = PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            name=name,
            user_id=user.id,
            org_unit_id=unit.id,
            token_hash=hash_secret(secret),
            hint=secret[: len(PREFIX) + 6],
            created_at=now,
            created_by_id=created_by_id,
            expires_at=now + timedelta(days=valid_days),
        )
        session.add(token)
        session.flush()
        append_admin_event(
            session,
            actor_id=created_by_id,
            action="api_token_created",
            subject=f"api_token:{token.id}",
            payload={
                "name": name,
                "user": user.username,
                "org": unit.code,
                "expires_at": token.expires_at.isoformat(),
                "hint": token.hint,
            },
            at=now,
        )
        uow.commit()
    return IssuedToken(token, secret)


def revoke_token(
    session: Session,
    token_id: int,
    now: datetime,
    revoked_by_id: int | None,
    admin_scope: str = "/",
) -> ApiToken:
    """Revoke a token at once (admin-log entry, committed); revoking twice changes nothing."""
    with UnitOfWork(session) as uow:
        token = session.scalar(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(ApiToken.id == token_id, in_jurisdiction(OrgUnit.path, admin_scope))
        )
        if token is None:
            raise CaseNotFound("令牌不存在或不在您的管辖范围内")
        if token.revoked_at is not None:
            return token
        token.revoked_at = now
        token.revoked_by_id = revoked_by_id
        append_admin_event(
            session,
            actor_id=revoked_by_id,
            action="api_token_revoked",
            subject=f"api_token:{token.id}",
            payload={"name": token.name, "hint": token.hint},
            at=now,
        )
        uow.commit()
    return token


def tokens_in_scope(session: Session, admin_scope: str) -> list[ApiToken]:
    """Tokens of users inside the admin's subtree, newest first."""
    return list(
        session.scalars(
            select(ApiToken)
            .join(User, User.id == ApiToken.user_id)
            .join(OrgUnit, User.org_unit_id == OrgUnit.id)
            .where(in_jurisdiction(OrgUnit.path, admin_scope))
            .order_by(ApiToken.id.desc())
        )
    )


class TokenRejected(Exception):
    """The bearer token is missing, unknown, expired or revoked; `message_zh` says which."""

    def __init__(self, message_zh: str) -> None:
        self.message_zh = message_zh
        super().__init__(message_zh)


def authenticate(session: Session, secret: str, now: datetime) -> tuple[ApiToken, Actor]:
    """The token and the actor it stands for (the user's roles within the token's unit)."""
    from caseflow.kernel.actors import Actor

    if not secret or len(secret) > 200 or not secret.isascii():
        raise TokenRejected("缺少或无法识别的访问令牌")
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret)))
    if token is None:
        raise TokenRejected("访问令牌无效")
    if token.revoked_at is not None:
        raise TokenRejected("访问令牌已被吊销")
    if token.expires_at <= now:
        raise TokenRejected("访问令牌已过期")
    user = token.user
    unit_path = token.org_unit.path
    if not user.active:
        raise TokenRejected("令牌所属用户已停用")
    if user.institution_id is not None:
        # An institution's staff act on their own institution's pages only, never the API.
        raise TokenRejected("供养机构工作人员的账号不能使用接口令牌")
    # The user may have moved since the token was issued: a token never widens jurisdiction.
    if not unit_path.startswith(user.org_unit.path):
        raise TokenRejected("令牌范围已超出所属用户的管辖范围，请重新签发")
    return token, Actor(user.id, user.username, user.role_names, unit_path)


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets


def count_request(
    session: Session, token_id: int, now: datetime, limit: int, window_seconds: int
) -> RateDecision:
    """Count one request of the token in the current fixed window, mark the token used, and
    commit; refused once the window holds `limit` requests."""
    stamp = int(now.timestamp())
    start = stamp - stamp % window_seconds
    values = {"token_id": token_id, "window_start": start, "count": 1}
    dialect = session.get_bind().dialect.name
    insert_fn: Any = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert_fn(ApiRateWindow)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["token_id", "window_start"],
            set_={"count": ApiRateWindow.count + 1},
        )
        .returning(ApiRateWindow.count)
    )

    def counted() -> int:
        with UnitOfWork(session) as uow:
            count = int(session.execute(stmt).scalar_one())
            if count == 1:  # a new window: forget the old ones of this token
                session.execute(
                    delete(ApiRateWindow).where(
                        ApiRateWindow.token_id == token_id, ApiRateWindow.window_start < start
                    )
                )
            session.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            )
            uow.commit()
        return count

    count = retry_when_busy(counted)
    retry = start + window_seconds - stamp
    return RateDecision(count <= limit, limit, max(limit - count, 0), max(retry, 1))

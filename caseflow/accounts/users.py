"""Staff accounts: created with roles and an org unit, deactivated but never deleted."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from werkzeug.security import check_password_hash, generate_password_hash

from caseflow.db.models import OrgUnit, User, UserRole
from caseflow.kernel.roles import ROLE_NAMES


def hash_password(password: str) -> str:
    """A salted scrypt hash (werkzeug's default)."""
    return generate_password_hash(password)


def password_matches(user: User, password: str) -> bool:
    """True when `password` is the user's (False for accounts without a password)."""
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def new_user(
    username: str,
    display_name: str,
    unit: OrgUnit,
    roles: Iterable[str],
    now: datetime,
    password: str | None = None,
) -> User:
    """Build a user (the caller adds and commits); unknown roles are refused."""
    roles = list(roles)
    unknown = [r for r in roles if r not in ROLE_NAMES]
    if unknown:
        raise ValueError(f"unknown roles: {unknown}")
    return User(
        username=username,
        display_name=display_name,
        org_unit=unit,
        org_unit_id=unit.id,
        active=True,
        created_at=now,
        password_hash=hash_password(password) if password else "",
        roles=[UserRole(role=r) for r in roles],
    )


_DUMMY_HASH: list[str] = []


def spend_a_password_check(password: str) -> None:
    """Check `password` against a throw-away hash of the same kind as real ones: an unknown or
    inactive account takes as long to refuse as a wrong password (no username oracle)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(hash_password(secrets.token_hex(16)))
    check_password_hash(_DUMMY_HASH[0], password)

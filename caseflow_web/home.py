"""Where "/" takes a signed-in user: the page of their daily work, decided by role."""

from __future__ import annotations

from collections.abc import Iterable

from caseflow.kernel.roles import Role
from caseflow.read.board import BOARD_ROLES
from caseflow.read.queue import actionable_pairs


def home_endpoint(roles: Iterable[str]) -> str:
    """The endpoint of the user's start page.

    - only administration: the administration start page (/admin);
    - a front-desk clerk: 一门受理 (intake is their work, even if they may also act on cases);
    - a supervisor: the 督办 board (they watch, they do not act on steps);
    - anyone whose roles may act on some step (reviewers, investigators, township leaders,
      district approvers, finance, liaison): their 待办 queue;
    - anyone else who may see the board: the board; otherwise the case list.
    """
    held = frozenset(roles)
    if not held:
        return "auth.login"
    if held == {Role.ADMIN.value}:
        return "admin.index"
    if Role.CLERK.value in held:
        return "desk.search"
    if Role.SUPERVISOR.value in held:
        return "supervise.index"
    if actionable_pairs(held):
        return "queue.index"
    if held & BOARD_ROLES:
        return "supervise.index"
    return "cases.queue"

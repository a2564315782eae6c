"""Jurisdiction in SQL: the one test of "is this row inside the actor's part of the org tree".

Org paths are materialised ("/640502/640502100/…/"): a unit's subtree is every path that starts
with its own. Every query that reads or writes on behalf of a user adds this condition, so a
row outside the user's reach is never loaded, whatever the page or API asks for.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement

from caseflow.kernel.actors import Actor


def in_jurisdiction(path_column: Any, actor: Actor | str) -> ColumnElement[bool]:
    """`path_column` lies in the actor's subtree (or in the subtree of the org path given).

    LIKE with the path's own % and _ escaped: a path is data, never a pattern."""
    path = actor if isinstance(actor, str) else actor.org_path
    condition: ColumnElement[bool] = path_column.startswith(path, autoescape=True)
    return condition

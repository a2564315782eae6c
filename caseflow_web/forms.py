"""Reading posted forms and query strings: row ids typed or posted as text, and a transition's
payload (case page forms and the queue's batch form)."""

from __future__ import annotations

from typing import Any

from flask import request

from caseflow.workflow.model import TransitionDef

MAX_ROW_ID = 2**31 - 1  # the largest id of an INTEGER column on both databases


def parse_row_id(text: str | None) -> int | None:
    """A database id typed or posted as text, or None (never an int the database would refuse)."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


def payload_from_form(t: TransitionDef) -> dict[str, Any]:
    """Each declared field from its `p_<name>` input; parsing and validation stay in the core."""
    payload: dict[str, Any] = {}
    for f in t.payload:
        key = "p_" + f.name
        if f.type == "list":
            # Checklist boxes and a free-text box (one item per line) feed the same list.
            items = [line.strip() for v in request.form.getlist(key) for line in v.splitlines()]
            payload[f.name] = list(dict.fromkeys(i for i in items if i))
        elif f.type == "members":
            payload[f.name] = request.form.getlist(key)
        elif f.type == "bool":
            payload[f.name] = "on" if request.form.get(key) else ""
        else:
            payload[f.name] = request.form.get(key, "")
    # A field the transition does not declare (an amount typed where the rules compute it) is
    # passed on, so the core refuses it by name instead of the form dropping it silently.
    declared = {"p_" + f.name for f in t.payload}
    for key in request.form:
        if key.startswith("p_") and key not in declared:
            payload[key[2:]] = request.form.get(key, "")
    return payload

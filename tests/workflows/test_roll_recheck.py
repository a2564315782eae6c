"""The roll workflow keeps finance from signing a roll other than the one the leader checked:
from `checked`, only what leaves the rows as they are may stay there or move on to `signed`;
anything that changes them returns the roll to `prepared` for a new check."""

from __future__ import annotations

from caseflow.workflow.registry import registry

# Transitions out of `checked` that change no row: the signature, finance's return with a
# reason, and finance's acknowledgement of a risk finding (a note beside a row, not a change);
# a supervisor's 督办意见 (shared by every workflow: an event and an inbox row, no row touched);
# and the only effects they may run.
LEAVE_ROWS_ALONE = {"sign", "return_to_township", "acknowledge_finding", "supervise_note"}
ROW_NEUTRAL_EFFECTS = {"seal_roll", "acknowledge_risk_finding", "notify_holder"}


def test_every_change_to_a_checked_roll_returns_it_for_a_new_check() -> None:
    wf = registry().workflow("roll")
    for t in wf.transitions_from("checked"):
        if t.trigger in LEAVE_ROWS_ALONE:
            assert set(t.effects) <= ROW_NEUTRAL_EFFECTS, t
        else:
            where = f"{t.trigger} (line {t.line})"
            assert t.dest == "prepared", f"{where} changes a checked roll and does not return it"


def test_a_row_removed_before_the_check_keeps_the_roll_prepared() -> None:
    wf = registry().workflow("roll")
    before, after = (
        wf.transition_for("prepared", "remove_row"),
        wf.transition_for("checked", "remove_row"),
    )
    assert before is not None and before.internal
    assert after is not None and after.dest == "prepared"
    assert before.effects == after.effects == ("remove_roll_row",)

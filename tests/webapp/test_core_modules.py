"""The small core modules behind the desk: checklists data, pinyin initials."""

from __future__ import annotations

from caseflow.casework.households import name_initials
from caseflow.casework.materials import checklists, missing_items
from caseflow.workflow.registry import registry


def test_every_checklist_names_a_known_case_type() -> None:
    known = {wf.case_type for wf in registry().workflows.values()}
    assert set(checklists()) <= known
    assert {"dibao", "tekun", "temporary", "removal", "referral"} <= set(checklists())


def test_missing_items_are_the_required_ones_not_supplied() -> None:
    missing = [m.key for m in missing_items("dibao", ["application", "hukou"])]
    assert "application" not in missing and "id_cards" in missing
    assert "disability" not in missing  # optional items never make a case incomplete


def test_initials_cover_polyphonic_surnames_and_ignore_other_characters() -> None:
    assert "wdm" in name_initials("王大明")
    assert {"sxh", "dxh"} <= name_initials("单小红")
    assert "aygl" in name_initials("阿依古丽·")

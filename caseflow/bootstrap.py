"""The composition root: the one place where caseflow's packages are plugged together.

`boot()` installs every package's guards, effects and after-commit hooks into the engine, maps
every table, loads and validates the workflow definitions and rule sets against exactly those
names, and makes them the process's registry. The CLI, the web factory, the timer, the seed and
the tests call it first; nothing is registered because some module happened to import another.
A new workflow's code is plugged in by adding its plugin to PLUGINS.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

# Every table is mapped before the first query (models of the packages beside the core's).
from caseflow.accounts import api_tokens as _api_tokens  # noqa: F401  (API tokens, rate windows)
from caseflow.accounts import training_models as _training  # noqa: F401  (业务培训 records)
from caseflow.campaigns import models as _campaigns  # noqa: F401  (screening campaigns)
from caseflow.casework import assessments, exit_rules, home_visit, means, notice, orphans
from caseflow.casework import change_models as _changes  # noqa: F401  (corrections, transfers)
from caseflow.engine import effects, guards
from caseflow.engine.plugins import EFFECTS, GUARDS, install
from caseflow.engine.uow import track_flushed_writes
from caseflow.inbox import filing, new_work, sendback, supervision
from caseflow.institutions import admission
from caseflow.institutions import models as _institutions  # noqa: F401  (institutions, beds)
from caseflow.ledger import job_models as _jobs  # noqa: F401  (background jobs, their files)
from caseflow.oversight import complaints, recovery, roll_deduction, spot_checks
from caseflow.oversight import models as _oversight  # noqa: F401  (spot checks, complaints)
from caseflow.payments import grants, orphan_allowance, rise
from caseflow.payments import hooks as payments
from caseflow.payments import models as _payments  # noqa: F401  (rolls, rows, findings)
from caseflow.reviews import effects as reviews
from caseflow.reviews import models as _reviews  # noqa: F401  (review schedules)
from caseflow.workflow.registry import Registry, load_registry, use_registry

PLUGINS = (
    guards.plugin,  # two-person sign-off, minors, staff relatives, appraisal, extension
    effects.plugin,  # extend_total_deadline
    assessments.plugin,  # means test, 特困 and 临时救助 assessments and the guards that read them
    exit_rules.plugin,  # 渐退期 only when income from work lifted the household over the standard
    notice.plugin,  # 一次性告知: issued once, never asking for an item marked received
    means.plugin,  # the household's incomes, assets and deductible expenses, line by line
    home_visit.plugin,  # visit dates never in the future; a mistaken one corrected with a reason
    sendback.plugin,  # 退回: tell whoever picks the case up again
    filing.plugin,  # 备案: a township's temporary-assistance approval shown to the district
    supervision.plugin,  # 督办意见: a note on an overdue case, told to whoever holds it
    new_work.plugin,  # urgent cases (hours limit, 突发事件, 督办) told to the step's holders
    grants.plugin,  # decisions → the entitlement history (approval, deviation, review, removal)
    rise.plugin,  # 提标: every entitlement recomputed under a new standard
    payments.plugin,  # the roll's guards and effects; signed one-offs recorded as paid
    reviews.plugin,  # review schedules kept by approvals, outcomes and removals
    admission.plugin,  # 入院: beds confirmed, admissions, moving out, death (集中供养)
    spot_checks.plugin,  # 抽查: the district's visit signed, findings, review or removal opened
    complaints.plugin,  # 投诉举报: a 低保 decision waits for the district's visit
    recovery.plugin,  # 追回: never more than overpaid, repayments within the balance
    roll_deduction.plugin,  # 扣减: a recovery withheld from the rolls where the rules allow it
    orphans.plugin,  # 孤儿 / 事实无人抚养儿童: the guardian's application, minors only
    orphan_allowance.plugin,  # the orphan allowance granted on approval, stopped on its end
)


@cache
def boot() -> Registry:
    """Plug everything together once per process; returns the registry in use."""
    install(*PLUGINS)
    track_flushed_writes()  # a unit of work never commits (or drops) a caller's earlier writes
    reg = load_definitions()
    use_registry(reg)
    return reg


def load_definitions(folder: Path | None = None) -> Registry:
    """Workflows and rule sets of `folder` (default: the repository's), validated against the
    installed guards and effects — for boot(), and for checking a district's own definitions."""
    install(*PLUGINS)
    return load_registry(folder, guard_names=GUARDS, effect_names=EFFECTS)

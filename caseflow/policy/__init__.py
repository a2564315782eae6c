"""The pure rule layer of caseflow: means test, classes, amounts, 特困 and 临时救助.

No database and no web imports here: every function takes plain frozen facts and a dated
`PolicyConfig`, and returns results that explain themselves in Chinese.
"""

from caseflow.policy.config import (
    NoPolicyInForce,
    PolicyConfig,
    PolicyConfigError,
    PolicyError,
    PolicyTable,
    dump_policy_yaml,
    load_policy_yaml,
)
from caseflow.policy.explain import Decision, RuleResult
from caseflow.policy.facts import Asset, HouseholdFacts, Income, MemberFacts

__all__ = [
    "Asset",
    "Decision",
    "HouseholdFacts",
    "Income",
    "MemberFacts",
    "NoPolicyInForce",
    "PolicyConfig",
    "PolicyConfigError",
    "PolicyError",
    "PolicyTable",
    "RuleResult",
    "dump_policy_yaml",
    "load_policy_yaml",
]

"""Periodic reviews (复核): schedules by class from the rule set, opened by the sweep, outcomes."""

"""Screening campaigns (排查摸底): dated stages, a linked comparison run, per-township progress, and
escalation of townships that miss a stage end with work unresolved."""

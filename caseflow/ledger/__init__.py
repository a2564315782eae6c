"""Ledger comparison (台账比对): roster import, validation, comparison, actions, export."""

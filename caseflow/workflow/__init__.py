"""Workflow definitions: declared as YAML, validated at load, run by one transitions.Machine each."""

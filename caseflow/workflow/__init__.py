"""Workflow definitions: YAML, validated at load, each run by one transitions.Machine."""

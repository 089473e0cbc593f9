"""Behavioural customer types (H13)."""

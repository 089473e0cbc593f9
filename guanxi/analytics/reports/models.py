"""Saved reports and schedules (H4)."""

"""Filled in by its part of the analytics area."""

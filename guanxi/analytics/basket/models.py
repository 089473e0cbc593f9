"""Market-basket rules (H10)."""

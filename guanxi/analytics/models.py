"""Customer metrics, CLV, churn (H6–H9); tables of the analytics app."""

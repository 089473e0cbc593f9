"""What the sales pipeline adds to the shared registries (navigation, tabs, jobs)."""

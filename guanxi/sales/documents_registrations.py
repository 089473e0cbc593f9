"""What the sales documents adds to the shared registries (navigation, tabs, jobs)."""

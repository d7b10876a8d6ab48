"""Routes of the dashboard."""

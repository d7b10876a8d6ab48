"""Routes of the funnel."""

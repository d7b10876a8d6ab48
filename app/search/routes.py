"""Routes of the search."""
